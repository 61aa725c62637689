"""Read what a transaction would publish from captured on-commit callbacks."""

from __future__ import annotations

from typing import Any

from flows import events


def sent(callbacks: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(group, event, data) of every channel-layer message the callbacks would send."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for cb in callbacks:
        func, args = getattr(cb, "func", None), getattr(cb, "args", ())
        if func is events.group_send_now:
            out.append((args[0], args[1]["event"], args[1]["data"]))
        elif func is events.group_send_many_now:
            out.extend((group, message["event"], message["data"]) for group, message in args[0])
    return out
