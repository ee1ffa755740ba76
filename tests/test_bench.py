"""The benchmark (bench/, not part of the suite) still works: seeding with small counts,
gunicorn up, one request per endpoint, and gunicorn's process group gone afterwards."""
import os
from argparse import Namespace

import pytest

from bench import run as bench_run


def test_benchmark_runs_end_to_end_with_small_counts(monkeypatch):
    """Every endpoint answers 200 once; the server's whole process group is stopped."""
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    servers = []

    class RecordingServer(bench_run.Server):
        def __enter__(self):
            servers.append(self)
            return super().__enter__()

    monkeypatch.setattr(bench_run, "Server", RecordingServer)
    args = Namespace(branches=2, workstations=3, services=40, changes=30, seconds=5,
                     requests=1, clients=1, workers=1)
    results = bench_run.run(args)

    assert [r.endpoint.name for r in results] == [
        "health (baseline)", "interface search fragment", "interface list page",
        "effective configuration (workstation)", "change log page", "change log search fragment"]
    assert [(r.requests, r.errors) for r in results] == [(1, 0)] * len(results)
    (server,) = servers
    assert server.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)
    table = bench_run.report(results, args)
    assert "| health (baseline) (`/health`) | 1 | 0 |" in table and "change log" in table
