"""Production headers: a Content-Security-Policy on every page (scripts and styles from files
only), HTTPS redirect and HSTS in production, and nothing inline that the policy would block."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.test import Client

from feedback import services as feedback_services
from tenancy.db import acting_for_tenant
from tests.helpers import PRODUCTION_ENV, ROOT

PAGES = [
    "/",
    "/guests/",
    "/reservations/",
    "/messages/",
    "/feedback/",
    "/automation/",
    "/settings/templates/",
    "/settings/menu/",
    "/settings/knowledge/",
    "/settings/hotel/",
    "/settings/waha/",
    "/settings/pms/",
    "/settings/agent/",
    "/settings/team/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
def test_every_page_has_a_policy_and_nothing_inline_it_would_block(hotel_a) -> None:
    client = Client()
    with acting_for_tenant(hotel_a.tenant.id):
        feedback_link = feedback_services.issue_link(hotel_a.reservation)
    public = [
        client.get("/login/"),
        client.get("/signup/"),
        client.get(urlsplit(feedback_link).path),
    ]
    client.force_login(hotel_a.owner)
    for response in public + [client.get(path) for path in PAGES]:
        assert response.status_code == 200, response.request["PATH_INFO"]
        policy = directives(response)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        html = response.content.decode()
        where = response.request["PATH_INFO"]
        assert not INLINE_SCRIPT.search(html), where
        assert not INLINE_HANDLER.search(html), where
        assert not STYLE_ATTRIBUTE.search(html), where


REQUEST_AS_PRODUCTION = """
from django.test import Client
client = Client(HTTP_HOST="inn.example.com")
plain = client.get("/")
secure = client.get("/", HTTP_X_FORWARDED_PROTO="https")
probes = [client.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")]
print(plain.status_code, plain["Location"])
print(secure.status_code, secure["Strict-Transport-Security"])
print(secure["Content-Security-Policy"])
print(*probes)
"""


@pytest.mark.slow
def test_production_redirects_to_https_and_tells_browsers_to_stay() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REQUEST_AS_PRODUCTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line and "imported" not in line]
    redirect, hsts, policy, probe = lines[-4:]
    assert redirect == "301 https://inn.example.com/"
    assert hsts == "302 max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in policy and "unsafe" not in policy
    # The orchestrator's probes and Prometheus talk to the process directly, over http.
    assert "301" not in probe.split(), probe
