"""Deterministic races (after Saleor's ``tests/race_condition.py``): run a competing operation
in another thread at a named function of the code under test.

``compete_at("flows.locks.lock_task", competitor)`` patches ``lock_task`` so that the first time
it runs (and returns: the row is locked and the transaction is open), ``competitor`` starts in a
thread with its own database connection. The code under test then waits ``grace`` seconds: the
competitor either finishes in that time (it needed nothing we hold) or is left blocked on our
locks (PostgreSQL row locks; on SQLite the write lock), and finishes after we commit. Either way
the outcome must be one a serial order of the two would give.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.db import connection
from django.utils.module_loading import import_string


@dataclass
class Competition:
    value: Any = None
    error: BaseException | None = None
    started: bool = False
    finished_during_grace: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)


@contextmanager
def compete_at(target: str, competitor: Callable[[], Any], *, grace: float = 0.5) -> Iterator[Competition]:
    original = import_string(target)
    outcome = Competition()
    main = threading.get_ident()

    def run() -> None:
        try:
            outcome.value = competitor()
        except BaseException as exc:  # reported to the test
            outcome.error = exc
        finally:
            connection.close()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        if threading.get_ident() == main and not outcome.started:
            outcome.started = True
            outcome.thread = threading.Thread(target=run, name="competitor")
            outcome.thread.start()
            outcome.thread.join(grace)
            outcome.finished_during_grace = not outcome.thread.is_alive()
        return value

    with mock.patch(target, wrapper):
        yield outcome
    if outcome.thread is not None:
        outcome.thread.join(60)
        assert not outcome.thread.is_alive(), "the competing operation never finished"
    assert outcome.started, f"{target} was never reached"
