"""Audit the pinned dependencies (requirements.lock, requirements-dev.lock) with pip-audit.

Fails (exit 1) on a known vulnerability that has a fixed version: upgrade the pin (`make lock`
after raising the bound in pyproject.toml). A vulnerability without any fix is printed, not
fatal: there is nothing to upgrade to. A package the vulnerability source could not be asked
about also fails, so a silent network problem never passes as a clean audit, unless
--allow-unreachable is given (then it says loudly that nothing was audited).

    python .ci/audit_dependencies.py [--allow-unreachable]

The vulnerability source is OSV (pip-audit's `-s osv`); AUDIT_OSV_URL points elsewhere (tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_FILES = ("requirements.lock", "requirements-dev.lock")


def pip_audit(lock_files: list[Path], report: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--vulnerability-service=osv",
        "--no-deps",  # the lock files pin every package already
        "--disable-pip",
        "--progress-spinner=off",
        "--format=json",
        f"--output={report}",
        "--timeout=30",
    ]
    if os.environ.get("AUDIT_OSV_URL"):
        command.append(f"--osv-url={os.environ['AUDIT_OSV_URL']}")
    for lock in lock_files:
        command += ["--requirement", str(lock)]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def main(argv: list[str]) -> int:
    allow_unreachable = "--allow-unreachable" in argv
    lock_files = [Path(arg) for arg in argv if not arg.startswith("--")] or [
        ROOT / name for name in LOCK_FILES
    ]
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "audit.json"
        ran = pip_audit(lock_files, report)
        if not report.exists():
            reason = (ran.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"DEPENDENCY AUDIT NOT PERFORMED: pip-audit could not run ({reason})")
            return 0 if allow_unreachable else 1
        dependencies = json.loads(report.read_text())["dependencies"]

    fixable, unfixed, skipped = [], [], []
    for dependency in dependencies:
        if "skip_reason" in dependency:
            skipped.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns", []):
            line = f"{dependency['name']}=={dependency['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                unfixed.append(f"{line} (no fix released yet)")

    audited = len(dependencies) - len(skipped)
    for line in unfixed:
        print(f"known vulnerability, no fix yet: {line}")
    for line in skipped:
        print(f"not audited: {line}")
    if fixable:
        print("Known vulnerabilities with a fix; upgrade these pins:")
        for line in fixable:
            print(f"  {line}")
        return 1
    if skipped and not allow_unreachable:
        return 1
    print(f"Dependency audit: {audited} pinned packages, no known vulnerability with a fix.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
