"""Ordering adapters, one per partner protocol; `get_adapter(interface_key)` picks one."""
