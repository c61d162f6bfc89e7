"""A Redis restart under a busy worker: the worker reconnects, answers and keeps working.

Issue 8 point 8. Celery 5.7.0 closes the broken connection again right after ``collect()``
when the broker connection is lost (``Consumer.on_connection_error_after_connected``). If a
task is in flight and the consumer has a BRPOP pending (a worker with room for another
task: the Procfile's and the README's ``--concurrency 2``), closing the channel restores the
unacknowledged message through a transport whose client ``collect()`` already set to None:
kombu's ``_connparams`` raises ``AttributeError: 'NoneType' object has no attribute
'hostname'``, which ``ignore_errors`` does not ignore, and the worker exits
("Unrecoverable error"). An idle worker has nothing to restore and survives.

This runs the real thing: its own redis-server on a free loopback port, a real prefork
worker process of this project on it (concurrency 2, as deployed), one slow task in flight,
a redis restart on the same port; then the worker must still run, answer a remote-control
ping and run a task sent after the restart. The tasks (tests/studio/broker_restart_tasks.py,
loaded with ``--include``) write marker files and touch neither the database nor S3.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

from tests.conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
SLOW_TASK_SECONDS = 8

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server binary is not installed"),
    pytest.mark.timeout(120),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Redis:
    """A throwaway redis-server on a loopback port, with no persistence."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir, self.process = port, workdir, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), timeout=10, interval=0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis shuts down and closes every client
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    server = Redis(_free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(redis_server, tmp_path):
    """A real ``celery -A studio worker`` process (prefork, concurrency 2) on that redis."""
    broker = f"redis://127.0.0.1:{redis_server.port}/0"
    node = f"broker-restart-{redis_server.port}@localhost"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "REDIS_URL": broker,
        "STUDIO_CACHE_URL": f"redis://127.0.0.1:{redis_server.port}/1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studio", "worker", "--hostname", node]
            + "--pool prefork --concurrency 2 --queues cpu,io --loglevel INFO".split()
            + ["--include", "tests.studio.broker_restart_tasks"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    probe = Celery("broker-restart-probe", broker=broker, set_as_current=False)
    probe.conf.broker_connection_retry_on_startup = True
    handle = _Worker(process, node, probe, log)
    try:
        yield handle
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        probe.close()


class _Worker:
    def __init__(self, process, node: str, probe: Celery, log: Path) -> None:
        self.process, self.node, self.probe, self.log = process, node, probe, log

    def alive(self) -> bool:
        return self.process.poll() is None

    def answers_ping(self) -> bool:
        try:
            replies = self.probe.control.ping(destination=[self.node], timeout=1.0)
        except Exception:  # the broker may still be coming back
            return False
        return any(self.node in reply for reply in replies)

    def wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers_ping():
            assert self.alive(), f"the worker exited (code {self.process.poll()})\n{self.tail()}"
            assert time.monotonic() < deadline, f"no ping reply in {timeout}s\n{self.tail()}"
            time.sleep(0.3)

    def send(self, name: str, *args) -> None:
        self.probe.send_task(name, args=args, queue="cpu")

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        lines_ = text.splitlines()
        crashes = [line for line in lines_ if "Unrecoverable error" in line]
        return "\n".join(
            ["--- worker log: crashes ---", *crashes, "--- tail ---", *lines_[-lines:]]
        )


def test_a_busy_worker_survives_a_redis_restart(loopback_only, redis_server, worker, tmp_path):
    worker.wait_until_answering(timeout=40)

    slow = tmp_path / "slow"
    worker.send("tests.broker_restart.slow", str(slow), SLOW_TASK_SECONDS)
    wait_for(lambda: Path(f"{slow}.started").exists(), timeout=20, interval=0.1)

    # Restart redis on the same port while the slow task runs.
    redis_server.stop()
    time.sleep(1)
    redis_server.start()

    # A worker that crashed on the connection loss never answers again (its consumer is gone);
    # it lingers only until the in-flight task ends. The fixed one reconnects in seconds.
    worker.wait_until_answering(timeout=25)
    assert worker.alive(), worker.tail()
    assert "Unrecoverable error" not in worker.log.read_text(errors="replace"), worker.tail()

    fresh = tmp_path / "fresh"
    worker.send("tests.broker_restart.touch", str(fresh))
    try:
        wait_for(fresh.exists, timeout=20, interval=0.1)
    except AssertionError:
        pytest.fail(f"a task sent after the restart did not run\n{worker.tail()}")
    assert worker.alive(), worker.tail()
