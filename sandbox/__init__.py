"""The partner sandbox: a small separate web app that speaks every ear-mould ordering protocol
written down in docs/partners/, records what it receives and can be told to fail.

Run it with `python -m sandbox --port 5010`; `make run` starts it as a child process."""
from .app import PARTNERS, create_sandbox_app

__all__ = ["PARTNERS", "create_sandbox_app"]
