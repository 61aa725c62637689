"""config/sqlite: the process's SQLite write transactions are taken in turn on one lock, held
from BEGIN to COMMIT/ROLLBACK, so writers queue instead of sleeping in SQLite's busy handler.
Runs on its own SQLite file whatever database the suite uses."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from config.sqlite import base


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Any:
    # These tests open their own SQLite files, not the suite's database.
    with django_db_blocker.unblock():
        yield


def _connection(path: Path, timeout: float = 30) -> base.DatabaseWrapper:
    settings: dict[str, Any] = {
        "ENGINE": "config.sqlite",
        "NAME": str(path),
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "TIME_ZONE": None,
        "TEST": {},
    }
    conn = base.DatabaseWrapper(settings, alias=f"lock-test-{id(settings)}")
    conn.inc_thread_sharing()
    return conn


def _begin(conn: base.DatabaseWrapper) -> None:
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def test_a_second_writer_waits_for_the_first_to_commit_and_then_runs(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    first, second = _connection(db), _connection(db)
    with first.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    _begin(first)
    with first.cursor() as c:
        c.execute("INSERT INTO t VALUES (1)")
    assert first._holds_writer
    done: list[float] = []

    def write() -> None:
        _begin(second)
        with second.cursor() as c:
            c.execute("INSERT INTO t VALUES (2)")
        second.commit()
        second.set_autocommit(True)
        done.append(time.monotonic())

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert done == [], "the second writer must wait for the first one's transaction"
    committed = time.monotonic()
    first.commit()
    first.set_autocommit(True)
    assert not first._holds_writer
    thread.join(5)
    assert done
    assert done[0] - committed < 0.2, "the waiting writer starts at once, not after a busy-handler sleep"
    with first.cursor() as c:
        c.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in c.fetchall()] == [1, 2]
    first.close()
    second.close()


def test_a_rollback_gives_the_lock_back_and_a_writer_that_waits_too_long_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    first, impatient = _connection(db), _connection(db, timeout=0.2)
    _begin(first)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            _begin(impatient)
        except OperationalError as exc:
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(5)
    assert failures
    assert "database is locked" in str(failures[0])
    assert not impatient._holds_writer
    first.rollback()
    first.set_autocommit(True)
    assert not first._holds_writer
    # the lock is free again
    _begin(impatient)
    assert impatient._holds_writer
    impatient.rollback()
    impatient.set_autocommit(True)
    first.close()
    impatient.close()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_every_way_a_transaction_ends_releases_the_lock(tmp_path: Path, end: str) -> None:
    conn = _connection(tmp_path / f"{end}.sqlite3")
    _begin(conn)
    assert conn._holds_writer
    getattr(conn, end)()
    assert not conn._holds_writer
    assert base._writer.acquire(timeout=1)
    base._writer.release()
