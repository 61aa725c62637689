"""A live Loupe server for tests: `manage.py serve` (Daphne + the background worker, exactly as
`make run` serves) in a subprocess, on a free port, on the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """The DATABASE_URL of the test database this process set up."""
    sd = connection.settings_dict
    if sd["ENGINE"] in ("django.db.backends.sqlite3", "config.sqlite"):
        return f"sqlite:///{sd['NAME']}"
    user = sd.get("USER") or ""
    password = f":{sd['PASSWORD']}" if sd.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = sd.get("HOST") or "127.0.0.1"
    port = f":{sd['PORT']}" if sd.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{sd['NAME']}"


#: Live servers of this test process that are running now.
_RUNNING: list[LiveServer] = []


@contextlib.contextmanager
def live_servers_paused() -> Iterator[None]:
    """SIGSTOP every running live server (and its in-process background worker) for the block:
    for tests that must be the only ones running background tasks on the test database."""
    paused = [s for s in _RUNNING if s.proc.poll() is None]
    for server in paused:
        server.proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for server in paused:
            server.proc.send_signal(signal.SIGCONT)


class LiveServer:
    def __init__(
        self, *, extra_env: dict[str, str] | None = None, worker: bool = True, port: int | None = None
    ) -> None:
        # ``port``: serve on this one (a restart after a crash, where clients know the address).
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": test_database_url(),
                "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
                "LOUPE_PUBLIC_URL": self.url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra_env or {})
        self.log_path = ROOT / "var" / f"live-{self.port}.log"
        self._log = self.log_path.open("wb")
        args = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not worker:
            args.append("--no-worker")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        _RUNNING.append(self)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Live server exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Live server did not start in {timeout} s:\n{self.log_path.read_text()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)
