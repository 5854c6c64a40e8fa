"""/readyz and /metrics from the real processes an operator starts (deploy/innbox): gunicorn with
two processes as innbox_app, the worker as innbox_worker, on a fresh PostgreSQL database.

Whichever gunicorn process answers a scrape, it reports every process's requests (prometheus-client
multiprocess mode, PROMETHEUS_MULTIPROC_DIR set by deploy/innbox web). /readyz is unready until the
worker has recorded its heartbeat, and ready after.
"""

from __future__ import annotations

import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import PRODUCTION_ENV, Processes, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TOKEN = "production-metrics-token-0123456789"
CONCURRENT_REQUESTS = 40


def scrape(http: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text[:500]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def healthz_requests(samples: dict) -> float:
    return sum(
        amount
        for (name, labels), amount in samples.items()
        if name == "innbox_http_request_duration_seconds_count" and ("route", "healthz") in labels
    )


def test_readiness_and_metrics_from_the_processes_an_operator_starts(
    database: dict[str, str],
    tmp_path: Path,
) -> None:
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        **PRODUCTION_ENV,
        **database,
        "APP_URL": f"http://127.0.0.1:{port}",
        "WAHA_BASE_URL": "http://127.0.0.1:9",
        "METRICS_TOKEN": TOKEN,
        "PYTHON": sys.executable,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by the previous run")
    processes = Processes(env, tmp_path)
    try:
        prepared = processes.run("deploy/innbox", "prepare")
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        processes.start("web", "deploy/innbox", "web")
        # As the reverse proxy in front of it tells Innbox: the caller came over HTTPS.
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"X-Forwarded-Proto": "https"},
            timeout=10,
        )
        wait_for(lambda: _answers(http), "gunicorn to answer", timeout=30)
        assert not (metrics_dir / "counter_999999.db").exists()

        not_ready = http.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"] == {
            "database": "ok",
            "migrations": "ok",
            "worker": "no worker has recorded a heartbeat",
        }
        assert http.get("/metrics").status_code == 401

        # Concurrent requests keep both gunicorn processes busy, so both count some.
        before = healthz_requests(scrape(http))
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(
                pool.map(
                    lambda _: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code,
                    range(CONCURRENT_REQUESTS),
                )
            )
        assert codes == [200] * CONCURRENT_REQUESTS
        assert len(list(metrics_dir.glob("histogram_*.db"))) == 2  # both processes counted
        for _ in range(4):  # each scrape, whichever process answers it, sees them all
            assert healthz_requests(scrape(http)) == before + CONCURRENT_REQUESTS

        unknown = http.post(f"/api/webhooks/pms/{uuid.uuid4()}/", content=b"{}")
        assert unknown.status_code == 404
        refused = (
            "innbox_webhook_refusals_total",
            frozenset({("source", "pms"), ("reason", "unknown hotel")}),
        )
        assert scrape(http)[refused] == 1

        processes.start("worker", "deploy/innbox", "worker")
        wait_for(lambda: http.get("/readyz").status_code == 200, "the worker's heartbeat")
        assert scrape(http)[("innbox_workers_running", frozenset())] == 1
    finally:
        processes.stop_all()


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
