"""Is a worker running? Each worker process records a heartbeat as it works; /readyz, the
dashboard and the metrics read the latest one.

A heartbeat is written at most every BEAT_EVERY_SECONDS, from the worker's loop and between the
jobs of one claim (ten paced sends take minutes), so a busy worker never looks dead. A failed write
is logged and skipped: the heartbeat must never stop the work it reports on.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone

from automation.models import WorkerHeartbeat
from innbox.logs import ErrorCategory, get_logger

BEAT_EVERY_SECONDS = 30
# Rows of workers that stopped long ago (every restart is a new process id) are removed.
FORGET_AFTER = dt.timedelta(days=7)

log = get_logger(__name__)


class Heartbeat:
    """One worker process's heartbeat."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.started_at = timezone.now()
        self._last_written: dt.datetime | None = None

    def beat(self) -> None:
        now = timezone.now()
        if self._last_written and (now - self._last_written).total_seconds() < BEAT_EVERY_SECONDS:
            return
        try:
            WorkerHeartbeat.objects.update_or_create(
                worker=self.worker,
                defaults={"seen_at": now},
                create_defaults={"started_at": self.started_at, "seen_at": now},
            )
            if self._last_written is None:
                WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
        except DatabaseError as exc:
            log.warning(
                "worker_heartbeat_failed", error=str(exc), error_category=ErrorCategory.RETRYABLE
            )
            return
        self._last_written = now


def last_seen() -> dt.datetime | None:
    """When any worker last said it was alive; None if none ever did."""
    seen: dt.datetime | None = WorkerHeartbeat.objects.aggregate(latest=Max("seen_at"))["latest"]
    return seen


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.WORKER_HEARTBEAT_STALE_MINUTES)


def is_running(seen: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """A worker counts as running if one was seen within WORKER_HEARTBEAT_STALE_MINUTES."""
    return seen is not None and (now or timezone.now()) - seen <= stale_after()
