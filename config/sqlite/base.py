"""Django's SQLite backend, with every write transaction of the process taken in turn.

SQLite lets one writer in at a time; a second ``BEGIN IMMEDIATE`` sleeps and retries in SQLite's
busy handler with a growing back-off (1, 2, 5, 10 ... 100 ms), so under load a writer can sleep
long after the lock came free, and everything queued behind it waits too (DESIGN.md, "Serving
HTTP": a claim's p99 of 1.2-1.5 s with 32 writers). Here each connection of the process takes one
process-wide lock before ``BEGIN`` and gives it back the moment the transaction commits or rolls
back (before Django's on-commit callbacks run): writers of the process queue on the lock and
start at once when it is free, whether they are request threads, the background task worker or
housekeeping. Writers of other processes (a second server, a management command) still meet
SQLite's own lock and busy timeout.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 30))
        if not _writer.acquire(timeout=timeout):
            raise OperationalError(f"database is locked: no write transaction of this process ended in {timeout:.0f} s")
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
