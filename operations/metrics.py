"""GET /metrics: Prometheus's text format, every metric of docs/metrics.md.

The gauges are computed at scrape time from the database (operations.snapshot), so every gunicorn
process answers the same; request latency and webhook refusals are counted by the processes
(innbox.metrics). Hotels are labelled by their public id (`hotel`, the id in their webhook URL);
innbox_hotel_info maps it to the hotel's name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import timezone
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from automation.models import JobKind, JobStatus
from innbox.metrics import process_registry
from messaging.models import Direction, MessageStatus
from operations import snapshot
from pms.models import ConnectionHealth
from whatsapp.models import WahaConfiguration

QUEUE_STATES = (JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING)
OUTBOUND_STATES = (
    MessageStatus.QUEUED,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
    MessageStatus.FAILED,
)
# WahaConfiguration.health: what the WhatsApp page shows the owner, degraded included.
WHATSAPP_STATES = (
    "connected",
    "degraded",
    "starting",
    "scan_qr",
    "disconnected",
    "failed",
    "attention",
)


def scrape() -> bytes:
    registry = process_registry()
    registry.register(DatabaseCollector())
    return generate_latest(registry)


class DatabaseCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        taken = snapshot.take(timezone.now())
        hotel = {h.id: str(h.public_id) for h in taken.hotels}
        yield _hotel_info(taken)
        yield from _queue(taken)
        yield from _gave_up(taken, hotel)
        yield from _messages(taken, hotel)
        yield from _whatsapp(taken, hotel)
        yield from _pms(taken, hotel)
        yield from _workers(taken)


def _hotel_info(taken: snapshot.Snapshot) -> Metric:
    info = GaugeMetricFamily(
        "innbox_hotel_info", "Each hotel's public id and name; always 1.", labels=["hotel", "name"]
    )
    for h in taken.hotels:
        info.add_metric([str(h.public_id), h.name], 1)
    return info


def _queue(taken: snapshot.Snapshot) -> Iterator[Metric]:
    jobs = GaugeMetricFamily(
        "innbox_queue_jobs",
        "Jobs waiting (queued, retrying, even if not due yet) or running, by kind and state.",
        labels=["kind", "state"],
    )
    due = GaugeMetricFamily(
        "innbox_queue_due_jobs",
        "Jobs whose time has come but that no worker has finished, by kind and state.",
        labels=["kind", "state"],
    )
    oldest = GaugeMetricFamily(
        "innbox_queue_oldest_due_job_age_seconds",
        "Seconds since the oldest due job of this kind and state became due (0: none due).",
        labels=["kind", "state"],
    )
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    oldest_due: dict[tuple[str, str], dt.datetime] = {}
    for group in taken.jobs:
        key = (group.kind, group.status)
        counts[key][0] += group.jobs
        counts[key][1] += group.due_jobs
        if group.oldest_due is not None and (
            key not in oldest_due or group.oldest_due < oldest_due[key]
        ):
            oldest_due[key] = group.oldest_due
    for kind in JobKind.values:
        for state in QUEUE_STATES:
            key = (kind, state)
            jobs.add_metric([kind, state], counts[key][0])
            due.add_metric([kind, state], counts[key][1])
            since = oldest_due.get(key)
            age = (taken.taken_at - since).total_seconds() if since else 0.0
            oldest.add_metric([kind, state], max(age, 0.0))
    yield from (jobs, due, oldest)


def _gave_up(taken: snapshot.Snapshot, hotel: dict) -> Iterator[Metric]:
    dead = GaugeMetricFamily(
        "innbox_jobs_dead",
        "Jobs whose retries ran out (a person must retry or cancel them), by hotel and kind.",
        labels=["hotel", "kind"],
    )
    failed = GaugeMetricFamily(
        "innbox_jobs_failed",
        "Jobs that failed for good at once (a permanent error), by hotel and kind.",
        labels=["hotel", "kind"],
    )
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for group in taken.jobs:
        totals[(hotel.get(group.tenant_id, ""), group.kind, group.status)] += group.jobs
    for public_id in hotel.values():
        for kind in JobKind.values:
            dead.add_metric([public_id, kind], totals[(public_id, kind, JobStatus.DEAD)])
            failed.add_metric([public_id, kind], totals[(public_id, kind, JobStatus.FAILED)])
    yield from (dead, failed)


def _messages(taken: snapshot.Snapshot, hotel: dict) -> Iterator[Metric]:
    outbound = GaugeMetricFamily(
        "innbox_outbound_messages",
        "Messages to guests by hotel and delivery state (failed ones did not arrive).",
        labels=["hotel", "status"],
    )
    inbound = GaugeMetricFamily(
        "innbox_inbound_messages", "Messages received from guests, by hotel.", labels=["hotel"]
    )
    sent: dict[tuple[str, str], int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    for group in taken.messages:
        public_id = hotel.get(group.tenant_id, "")
        if group.direction == Direction.INBOUND:
            received[public_id] += group.messages
        else:
            sent[(public_id, group.status)] += group.messages
    for public_id in hotel.values():
        for status in OUTBOUND_STATES:
            outbound.add_metric([public_id, status], sent[(public_id, status)])
        inbound.add_metric([public_id], received[public_id])
    yield from (outbound, inbound)


def _whatsapp(taken: snapshot.Snapshot, hotel: dict) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "innbox_whatsapp_session_state",
        "1 for the state of the hotel's WhatsApp session as its owner sees it, 0 for the others.",
        labels=["hotel", "state"],
    )
    failures = GaugeMetricFamily(
        "innbox_whatsapp_consecutive_send_failures",
        f"Sends failed in a row; degraded from {settings.WAHA_DEGRADED_AFTER_FAILURES} while "
        "WAHA says WORKING.",
        labels=["hotel"],
    )
    for session in taken.whatsapp:
        public_id = hotel.get(session.tenant_id, "")
        health = WahaConfiguration(
            status=session.status, consecutive_send_failures=session.consecutive_send_failures
        ).health
        for name in WHATSAPP_STATES:
            state.add_metric([public_id, name], 1 if name == health else 0)
        failures.add_metric([public_id], session.consecutive_send_failures)
    yield from (state, failures)


def _pms(taken: snapshot.Snapshot, hotel: dict) -> Iterator[Metric]:
    failing = GaugeMetricFamily(
        "innbox_pms_sync_failing",
        "1 when the hotel's last PMS sync or connection test failed.",
        labels=["hotel"],
    )
    failures = GaugeMetricFamily(
        "innbox_pms_sync_failures",
        "Failed PMS syncs since the last successful one, by hotel.",
        labels=["hotel"],
    )
    lag = GaugeMetricFamily(
        "innbox_pms_sync_lag_seconds",
        "Seconds since the last successful PMS pull (since the connection was made if none), "
        "for hotels Innbox pulls from on a schedule.",
        labels=["hotel"],
    )
    for connection in taken.pms:
        public_id = hotel.get(connection.tenant_id, "")
        failing.add_metric([public_id], 1 if connection.health == ConnectionHealth.FAILING else 0)
        failures.add_metric([public_id], connection.failures_since_success)
        if connection.pulls:
            since = connection.last_success or connection.connected_at
            lag.add_metric([public_id], max((taken.taken_at - since).total_seconds(), 0.0))
    yield from (failing, failures, lag)


def _workers(taken: snapshot.Snapshot) -> Iterator[Metric]:
    running = GaugeMetricFamily(
        "innbox_workers_running",
        "Worker processes seen within WORKER_HEARTBEAT_STALE_MINUTES.",
    )
    running.add_metric([], taken.workers.running)
    yield running
    if taken.workers.last_seen is not None:
        age = GaugeMetricFamily(
            "innbox_worker_last_seen_seconds",
            "Seconds since any worker last recorded its heartbeat (absent: never).",
        )
        age.add_metric([], max((taken.taken_at - taken.workers.last_seen).total_seconds(), 0.0))
        yield age
