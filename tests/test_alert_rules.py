"""deploy/prometheus/alerts.yml: every rule is complete and every metric it names is one Innbox
exports (a renamed metric would otherwise silence its alert without a word)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from automation.models import WorkerHeartbeat
from pms.models import PMSConfiguration
from tests import factories
from tests.helpers import TOKEN
from whatsapp.models import WahaConfiguration

ROOT = Path(__file__).resolve().parent.parent
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())["groups"]
RUNBOOK = (ROOT / "docs" / "runbook.md").read_text()
METRICS_DOC = (ROOT / "docs" / "metrics.md").read_text()
ALL_RULES = [rule for group in RULES for rule in group["rules"]]


def anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


@pytest.fixture
def exported(client: Client, settings, db: None) -> set[str]:
    """Every metric and sample name a scrape of a busy installation shows."""
    settings.METRICS_TOKEN = TOKEN
    hotel = factories.make_hotel("Hotel Alpha")
    WahaConfiguration.objects.create(tenant=hotel.tenant, session_name="default")
    PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="w:1:1", started_at=now, seen_at=now)
    client.post(f"/api/webhooks/pms/{hotel.tenant.public_id}/", b"{}", content_type="x")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    return set(re.findall(r"^(?:# TYPE )?(innbox_[a-z_]+)", text, re.MULTILINE))


@pytest.mark.parametrize("rule", ALL_RULES, ids=[rule["alert"] for rule in ALL_RULES])
def test_each_rule_names_only_metrics_innbox_exports(rule: dict, exported: set[str]) -> None:
    named = set(re.findall(r"\binnbox_[a-z_]+", rule["expr"]))
    assert named, f"{rule['alert']} names no Innbox metric"
    assert named <= exported, f"{rule['alert']}: {sorted(named - exported)} are not exported"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[rule["alert"] for rule in ALL_RULES])
def test_each_rule_has_a_severity_a_summary_and_a_playbook(rule: dict) -> None:
    assert rule["labels"]["severity"] in {"page", "ticket"}
    assert rule["annotations"]["summary"]
    path, _, section = rule["annotations"]["runbook"].partition("#")
    assert path == "docs/runbook.md"
    headings = {anchor(h) for h in re.findall(r"^#{2,4} (.+)$", RUNBOOK, re.MULTILINE)}
    assert section in headings, f"{rule['alert']}: no runbook section #{section}"


def test_the_alerts_cover_what_the_issue_asks_for() -> None:
    exprs = " ".join(rule["expr"] for rule in ALL_RULES)
    for metric in (
        "innbox_queue_due_jobs",
        "innbox_queue_oldest_due_job_age_seconds",
        "innbox_jobs_dead",
        'innbox_whatsapp_session_state{state="degraded"}',
        "innbox_pms_sync_failing",
        "innbox_pms_sync_lag_seconds",
        "innbox_webhook_refusals_total",
        "innbox_workers_running",
    ):
        assert metric in exprs


def test_docs_list_every_exported_metric(exported: set[str]) -> None:
    samples = {re.sub(r"_(bucket|count|sum|created)$", "", name) for name in exported}
    # A counter's family is named without _total (TYPE line), its samples with it.
    families = {name for name in samples if f"{name}_total" not in samples}
    undocumented = sorted(name for name in families if f"`{name}`" not in METRICS_DOC)
    assert not undocumented, f"docs/metrics.md does not list {undocumented}"
