""".ci/audit_dependencies.py, run as CI runs it, against a fake OSV on this machine: a pinned
package with a known, fixed vulnerability fails the run; one without a fix is reported; a source
that cannot be reached is never taken for a clean audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
FIXED = {
    "id": "GHSA-test-fixd-0001",
    "summary": "A vulnerability with a fix",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.2.1"}]}],
        }
    ],
}
UNFIXED = {
    "id": "GHSA-test-open-0002",
    "summary": "A vulnerability nobody fixed yet",
    "affected": [
        {
            "package": {"name": "sqlparse", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}
KNOWN = {("django", "4.2.0"): [FIXED], ("sqlparse", "0.4.0"): [UNFIXED]}


@pytest.fixture
def fake_osv() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            vulns = KNOWN.get((query["package"]["name"], query["version"]), [])
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


def audit(osv_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, ".ci/audit_dependencies.py", *args],
        cwd=ROOT,
        env={**os.environ, "AUDIT_OSV_URL": osv_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def lock(tmp_path: Path, *pins: str) -> str:
    path = tmp_path / "requirements.lock"
    path.write_text("".join(f"{pin}    # via innbox\n" for pin in pins))
    return str(path)


@pytest.mark.slow
def test_a_fixed_vulnerability_fails_the_audit(fake_osv: str, tmp_path: Path) -> None:
    result = audit(fake_osv, lock(tmp_path, "django==4.2.0", "sqlparse==0.5.0"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "django==4.2.0: GHSA-test-fixd-0001 (fixed in 4.2.1)" in result.stdout


@pytest.mark.slow
def test_a_vulnerability_without_a_fix_is_reported_but_passes(
    fake_osv: str, tmp_path: Path
) -> None:
    result = audit(fake_osv, lock(tmp_path, "django==4.2.1", "sqlparse==0.4.0"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no fix yet: sqlparse==0.4.0: GHSA-test-open-0002" in result.stdout


@pytest.mark.slow
def test_ci_audits_every_pin_of_both_lock_files(fake_osv: str) -> None:
    result = audit(fake_osv)
    pins = {
        line.split("==")[0]
        for name in ("requirements.lock", "requirements-dev.lock")
        for line in (ROOT / name).read_text().splitlines()
        if "==" in line
    }
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Dependency audit: {len(pins)} pinned packages" in result.stdout


@pytest.mark.slow
def test_an_unreachable_source_is_not_a_clean_audit(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v1/query"
    pins = lock(tmp_path, "django==4.2.0")
    refused = audit(nowhere, pins)
    assert refused.returncode == 1
    assert "DEPENDENCY AUDIT NOT PERFORMED" in refused.stdout
    allowed = audit(nowhere, pins, "--allow-unreachable")
    assert allowed.returncode == 0
    assert "DEPENDENCY AUDIT NOT PERFORMED" in allowed.stdout
