"""Ordering adapters, one per partner protocol; `get_adapter(interface_key)` picks one.

HTTPS partners and the Audia web portal: https.py (one adapter, a table of protocols);
Kommandozeilenbefehl: command.py; Standard Bestellprozess (e-mail, print/fax, phone):
standard.py. The order form for the UI's print view: `order_document(request)`."""
from .base import Adapter
from .command import CommandAdapter
from .document import order_document
from .https import PROTOCOLS, HttpsAdapter
from .standard import StandardOrderAdapter

ADAPTERS: dict[str, Adapter] = {
    **{key: HttpsAdapter(key, protocol) for key, protocol in PROTOCOLS.items()},
    "ear_mould_command": CommandAdapter(),
    "ear_mould_standard_order": StandardOrderAdapter(),
}


def get_adapter(interface_key: str) -> Adapter:
    """The adapter for a catalogue interface key; KeyError when none speaks it."""
    return ADAPTERS[interface_key]


__all__ = ["ADAPTERS", "get_adapter", "order_document"]
