"""Domain errors raised by services and turned into responses by views or error handlers."""


class DomainError(Exception):
    """A rule refused the operation; `field` names the form field the message belongs to."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(Exception):
    """The actor may not do this. Not a DomainError: views let it through to the 403 handler
    instead of showing it as a form message."""


class InUse(DomainError):
    """The record is still referenced and cannot be deleted."""


class Conflict(DomainError):
    """Someone else saved the record after the form was loaded (optimistic locking)."""
