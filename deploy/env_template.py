"""Write deploy/innbox.env.example, the env file of docker-compose.yml, from .env.example.

.env.example is the one list of Innbox's variables. Compose sets some of them itself (database
URLs, WAHA's address and key, APP_URL, production mode: the `environment` of its Innbox services);
those lines are commented out here so nobody edits a value that is overridden anyway. Run it with
`make deploy-env` after changing .env.example or docker-compose.yml; tests/test_deploy.py fails
while the file is out of date.

    python deploy/env_template.py          # write the file
    python deploy/env_template.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / ".env.example"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
TARGET = ROOT / "deploy" / "innbox.env.example"
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")

HEADER = """\
# deploy/innbox.env: Innbox's settings for docker-compose.yml (copy this file there and fill it in).
# Generated from .env.example by `make deploy-env`: edit .env.example, not this file.
# Lines commented out with "set by docker-compose.yml" come from deploy/.env through the compose
# file; setting them here changes nothing.

"""


def compose_sets() -> set[str]:
    """The variables docker-compose.yml gives every Innbox service itself."""
    compose = yaml.safe_load(COMPOSE.read_text())
    return set(compose["x-innbox"]["environment"])


def render(source: str, set_by_compose: set[str]) -> str:
    lines = []
    for line in source.splitlines():
        match = ASSIGNMENT.match(line)
        if match and match.group(1) in set_by_compose:
            lines.append(f"# {match.group(1)}: set by docker-compose.yml")
        else:
            lines.append(line)
    return HEADER + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    expected = render(SOURCE.read_text(), compose_sets())
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != expected:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run `make deploy-env`")
            return 1
        return 0
    TARGET.write_text(expected)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
