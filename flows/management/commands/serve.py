"""Serve Loupe: HTTP and WebSockets with Daphne, plus the background task worker and the
housekeeping loop (expired leases, expired loops) in the same process.

In the embedded mode the in-memory channel layer reaches only its own process, so the worker
runs here, where its events reach every WebSocket. ``--no-worker`` serves only (scale-out, where
workers run as separate ``manage.py db_worker`` processes).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("loupe.serve")


def _run_task_worker(stop: threading.Event) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    while not stop.is_set():
        try:
            Worker(
                queue_names=["*"],
                interval=0.2,
                batch=False,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=f"serve-{threading.get_ident()}",
                excluded_queue_names=[],
            ).run()
        except Exception:
            logger.exception("Background task worker crashed; restarting in 1 s")
            time.sleep(1)


def _run_housekeeping(stop: threading.Event) -> None:
    hooks = [import_string(path) for path in settings.LOUPE_HOUSEKEEPING]
    while not stop.wait(settings.LOUPE_HOUSEKEEPING_INTERVAL):
        close_old_connections()
        for hook in hooks:
            try:
                hook()
            except Exception:
                logger.exception("Housekeeping step %s failed", hook)
        close_old_connections()


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets (Daphne) with the background worker in the same process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Do not run the background worker here.")
        parser.add_argument("--fd", type=int, help="Serve on an already bound socket file descriptor.")

    def handle(self, *args: Any, **opts: Any) -> None:
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from config.asgi import application

        stop = threading.Event()
        if not opts["no_worker"]:
            threading.Thread(target=_run_task_worker, args=(stop,), name="task-worker", daemon=True).start()
            threading.Thread(target=_run_housekeeping, args=(stop,), name="housekeeping", daemon=True).start()
        if opts["fd"] is not None:
            endpoints = [f"fd:fileno={opts['fd']}"]
        else:
            # Twisted listens with a backlog of 50: a burst of connects (hundreds of workers at
            # once) overflows it and the kernel resets some; 1024 queues them (somaxconn caps it).
            endpoints = [
                f"{e}:backlog=1024" for e in build_endpoint_description_strings(host=opts["host"], port=opts["port"])
            ]
        logger.info("Serving on %s (worker: %s)", endpoints, not opts["no_worker"])
        try:
            Server(
                application=application,
                endpoints=endpoints,
                signal_handlers=True,
                verbosity=0,
                http_timeout=None,
                websocket_handshake_timeout=10,
                application_close_timeout=10,
                server_name="loupe",
            ).run()
        finally:
            stop.set()
