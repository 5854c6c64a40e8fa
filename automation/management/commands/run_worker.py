"""The background worker: claim due jobs, run them, repeat. Stops cleanly on SIGTERM/SIGINT,
after the job in hand, handing the rest of its claim back to the queue at once (an orchestrator
waits seconds, not minutes, before it kills). `--concurrency N` runs N worker processes that
share the queue. Nothing a job or the database does ends the loop: it logs, waits, goes on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from automation import queue, scheduler
from automation.heartbeat import Heartbeat
from innbox.logs import ErrorCategory, get_logger

log = get_logger(__name__)


class Command(BaseCommand):
    help = "Run background jobs (syncs, messages, schedules) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="run everything that is due now, then exit (for cron and benchmarks)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--concurrency", type=int, default=1, help="worker processes to run")

    def handle(
        self,
        *args: Any,
        once: bool = False,
        interval: float = 1.0,
        concurrency: int = 1,
        **options: Any,
    ) -> None:
        if concurrency > 1:
            self._supervise(concurrency, once=once, interval=interval)
            return
        self._loop(once=once, interval=interval)

    def _loop(self, *, once: bool, interval: float) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker_started", worker=queue.worker_id())
        heartbeat = Heartbeat(queue.worker_id())

        def stop_requested() -> bool:
            # Asked before each job of a claim: the worker also says it is alive there, so a
            # long claim (ten paced sends) does not look like a stopped worker.
            heartbeat.beat()
            return stopping

        next_tick = 0.0
        while not stopping:
            # As Django does around each request: a connection the database dropped, or one
            # past its CONN_MAX_AGE, is replaced before the round uses it. (Never inside a
            # transaction: only a test calls the command inside one.)
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                heartbeat.beat()
                if time.monotonic() >= next_tick:
                    scheduler.tick()
                    next_tick = time.monotonic() + settings.AUTOMATION_SCHEDULER_SECONDS
                ran = queue.run_once(should_stop=stop_requested)
            except Exception:
                # The database restarting, a network blip: the next round tries again.
                log.exception("worker_round_failed", error_category=ErrorCategory.RETRYABLE)
                connection.close()
                ran = 0
            if once and not ran:
                break  # nothing due any more: a cron run ends here
            if not ran and not stopping:
                time.sleep(interval)
        log.info("worker_stopped", worker=queue.worker_id())

    def _supervise(self, count: int, *, once: bool, interval: float) -> None:
        """Separate processes (not threads): each has its own database connection and GIL."""
        command = [sys.executable, sys.argv[0], "run_worker", "--interval", str(interval)]
        if once:
            command.append("--once")
        children = [subprocess.Popen(command) for _ in range(count)]  # noqa: S603 - our own command

        def forward(signum: int, frame: Any) -> None:
            for child in children:
                child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        codes = [child.wait() for child in children]
        if any(codes):
            raise SystemExit(max(codes))
