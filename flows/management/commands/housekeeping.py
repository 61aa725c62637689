"""Run the housekeeping steps (``settings.LOUPE_HOUSEKEEPING``: expired leases, expired loops,
settled stops) in a loop, for the scale-out layout where ``manage.py serve --no-worker`` serves
and this runs beside it. ``manage.py serve`` runs the same steps in a thread of its own."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("loupe.housekeeping")


def run_hooks(hooks: list[Any]) -> dict[str, Any]:
    """Run each hook once; a failing hook is logged and does not stop the others."""
    results: dict[str, Any] = {}
    for hook in hooks:
        name = f"{hook.__module__}.{hook.__qualname__}"
        try:
            results[name] = hook()
        except Exception:
            logger.exception("Housekeeping step %s failed", name)
            results[name] = None
    return results


class Command(BaseCommand):
    help = "Run the housekeeping steps (expired leases, expired loops, settled stops) every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=None, help="Seconds between passes (LOUPE_HOUSEKEEPING_INTERVAL)."
        )
        parser.add_argument("--once", action="store_true", help="Run one pass, print what it did, and exit.")

    def handle(self, *args: Any, **opts: Any) -> None:
        hooks = [import_string(path) for path in settings.LOUPE_HOUSEKEEPING]
        if opts["once"]:
            for name, result in run_hooks(hooks).items():
                self.stdout.write(f"{name}: {result}")
            return
        interval = opts["interval"] if opts["interval"] is not None else settings.LOUPE_HOUSEKEEPING_INTERVAL
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        logger.info("Housekeeping every %s s: %s", interval, ", ".join(settings.LOUPE_HOUSEKEEPING))
        while not stop.wait(interval):
            close_old_connections()
            run_hooks(hooks)
            close_old_connections()
