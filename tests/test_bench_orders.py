"""The order benchmark (bench/orders.py, not part of the suite) still works: a few orders
through two real workers, one of them killed, every check passing and nothing left running."""
import os
import time
from argparse import Namespace

from bench import orders as bench_orders
from webapp.devrun import descendants


def test_order_benchmark_runs_end_to_end_with_a_few_orders(monkeypatch):
    """10 orders per phase, 2 workers, one SIGKILL: the three phases are measured, every
    check passes, and every process the benchmark started is gone afterwards."""
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    before = set(descendants(os.getpid()))
    args = Namespace(orders=10, workers=2, placers=2, error_rate=0.3, timeout_rate=0.0,
                     drop_rate=0.0, kills=1, deadline=60, keep=False)
    phases = bench_orders.run(args)

    assert [phase.count for phase in phases] == [10, 10, 10]
    assert all(phase.rate > 0 for phase in phases)
    failed = [text for phase in phases for ok, text in phase.checks if not ok]
    assert failed == []
    assert any("SIGKILL to worker" in note for note in phases[2].notes)
    table = bench_orders.report(phases, args)
    assert "| no-op jobs (baseline) | 10 |" in table and "[FAILED]" not in table
    # Processes told to stop may take a moment to be gone (and reaped).
    deadline = time.monotonic() + 10
    while _started_since(before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _started_since(before) == set()


def _started_since(before):
    """Our descendants that were not there before and do not belong to one that was: what the
    benchmark left behind. (Processes of earlier tests — the session's Chromium starts helper
    processes whenever it likes — are not the benchmark's.)"""
    others = {pid for old in before for pid in descendants(old)}
    return set(descendants(os.getpid())) - before - others
