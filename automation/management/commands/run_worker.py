"""The background worker: claim due jobs, run them, repeat. Stops cleanly on SIGTERM/SIGINT,
after the job in hand."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from automation import queue, scheduler
from innbox.logs import get_logger

log = get_logger(__name__)


class Command(BaseCommand):
    help = "Run background jobs (PMS syncs; later sends and schedules) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args: Any, once: bool = False, interval: float = 1.0, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker_started", worker=queue.worker_id())
        next_tick = 0.0
        while not stopping:
            if time.monotonic() >= next_tick:
                scheduler.tick()
                next_tick = time.monotonic() + settings.AUTOMATION_SCHEDULER_SECONDS
            ran = queue.run_once()
            if once:
                break
            if not ran:
                time.sleep(interval)
        log.info("worker_stopped", worker=queue.worker_id())
