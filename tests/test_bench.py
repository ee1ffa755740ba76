"""The benchmark (bench/, not part of the suite) still works: seeding with small counts,
gunicorn up, wrk driving every endpoint for about a second, and gunicorn's process group gone
afterwards; without wrk it refuses and says how to install it.

wrk is a system package (apt-get install wrk) that .ci/run installs, so a missing wrk fails
this test; set SCHNITTSTELLEN_NO_WRK=1 to skip it on a machine without it."""
import math
import os
import shutil
from argparse import Namespace

import pytest

from bench import run as bench_run

ENDPOINTS = [
    "health (baseline)", "interface search fragment", "interface list page",
    "effective configuration (workstation)", "change log page", "change log search fragment",
    "interface editor (card templates table)", "order list", "customer list"]


def _small(**overrides):
    return Namespace(**{"branches": 2, "workstations": 3, "services": 40, "changes": 30,
                        "customers": 30, "orders": 20, "seconds": 1, "threads": 2,
                        "connections": 4, "workers": 1, **overrides})


def _need_wrk():
    if shutil.which("wrk") is None:
        if os.environ.get("SCHNITTSTELLEN_NO_WRK"):
            pytest.skip("wrk is missing (apt-get install wrk) and SCHNITTSTELLEN_NO_WRK is set")
        pytest.fail(f"{bench_run.INSTALL_WRK} (or set SCHNITTSTELLEN_NO_WRK=1 to skip the "
                    "benchmark's tests)")


def test_benchmark_runs_end_to_end_with_small_counts(monkeypatch):
    """wrk drives every endpoint for a second with only 2xx answers; the table has each; the
    server's whole process group is stopped."""
    _need_wrk()
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    servers = []

    class RecordingServer(bench_run.Server):
        def __enter__(self):
            servers.append(self)
            return super().__enter__()

    monkeypatch.setattr(bench_run, "Server", RecordingServer)
    args = _small()
    results = bench_run.run(args)

    assert [r.endpoint.name for r in results] == ENDPOINTS
    for result in results:
        assert result.requests > 0 and result.errors == 0 and not result.failure, result
        assert 0.5 < result.seconds < 5 and result.rate > 0
        assert 0 < result.p50 <= result.p99 and not math.isnan(result.p99)
    # /health again just before each page: the ratio's baseline is measured beside it.
    assert results[0].baseline_rate is None
    assert all(result.baseline_rate > 0 for result in results[1:])
    (server,) = servers
    assert server.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)
    table = bench_run.report(results, args)
    assert "| health (baseline) (`/health`) |" in table and "| 1.000 |" in table
    assert "order list (`/orders/`)" in table and "customer list (`/customers/`)" in table


def test_benchmark_counts_answers_that_are_not_2xx(monkeypatch):
    """A page that answers with a redirect (here: not logged in, to the login page) fails."""
    _need_wrk()
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    monkeypatch.setattr(bench_run, "_log_in", lambda _url, _seeded: {})
    monkeypatch.setattr(bench_run, "endpoints", lambda seeded: [
        bench_run.Endpoint("health (baseline)", "/health", {}),
        bench_run.Endpoint("customer list", "/customers/", {})])
    health, customers = bench_run.run(_small(customers=3, orders=2))

    assert health.errors == 0 and not health.failure
    assert customers.non_2xx == customers.requests > 0
    assert "not 2xx" in customers.failure


def test_benchmark_refuses_without_wrk(monkeypatch):
    """Before seeding anything: exit status ≠ 0 and how to install wrk."""
    monkeypatch.setattr(bench_run.shutil, "which", lambda _name: None)
    monkeypatch.setattr(bench_run, "_seed", lambda *_args: pytest.fail("seeded without wrk"))
    with pytest.raises(SystemExit) as refused:
        bench_run.main(["--seconds", "1"])
    assert "apt-get install wrk" in str(refused.value.code)


def test_snapshot_renders_every_page_and_escapes_the_hostile_data(tmp_path):
    """bench.snapshot (the check that speed work changed no page) renders its pages in German
    and English with 200, and --hostile marks the shown texts, which every page escapes."""
    from bench import profile as bench_profile
    from bench import snapshot

    data = tmp_path / "data"
    sizes = ["--branches", "2", "--workstations", "3", "--services", "40", "--changes", "30",
             "--customers", "30", "--orders", "20"]
    assert bench_profile.main(["--data", str(data), "--requests", "1", "--only", "customer",
                               *sizes]) == 0
    assert snapshot.main([str(tmp_path / "plain"), "--data", str(data)]) == 0
    assert snapshot.main([str(tmp_path / "hostile"), "--data", str(data), "--hostile"]) == 0
    plain = sorted(path.name for path in (tmp_path / "plain").iterdir())
    assert plain == sorted(path.name for path in (tmp_path / "hostile").iterdir())
    assert len(plain) > 60 and plain[0].startswith("de-") and plain[-1].startswith("en-")
    escaped = 0
    for path in (tmp_path / "hostile").iterdir():
        body = path.read_text()
        assert body.startswith("422\n" if "-post-" in path.name else "200\n"), path.name
        assert "<i>x</i>" not in body, path.name
        escaped += "&lt;i&gt;x&lt;/i&gt; &amp; " in body
    assert escaped > 40
