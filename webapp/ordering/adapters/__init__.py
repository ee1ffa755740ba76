"""Ordering adapters, one per partner protocol; `get_adapter(interface_key)` picks one.

HTTPS partners and the Audia web portal: https.py (one adapter, a table of protocols);
Kommandozeilenbefehl: command.py."""
from .base import Adapter
from .command import CommandAdapter
from .https import PROTOCOLS, HttpsAdapter

ADAPTERS: dict[str, Adapter] = {
    **{key: HttpsAdapter(key, protocol) for key, protocol in PROTOCOLS.items()},
    "ear_mould_command": CommandAdapter(),
}


def get_adapter(interface_key: str) -> Adapter:
    """The adapter for a catalogue interface key; KeyError when none speaks it."""
    return ADAPTERS[interface_key]


__all__ = ["ADAPTERS", "get_adapter"]
