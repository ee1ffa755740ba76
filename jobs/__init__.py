"""Background jobs, one module per family. Jobs take ids, reload state and are idempotent."""
