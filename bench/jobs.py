"""Jobs of the benchmark only (bench/orders.py), run by real `flask worker` processes."""


def noop():
    """The baseline: a job that does nothing, so its rate is RQ's own (fork, bookkeeping)."""
    return None
