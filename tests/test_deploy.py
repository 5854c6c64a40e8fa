"""deploy/: what can be proven without a container engine.

docker-compose.yml parses, and every Innbox service gets a complete environment and nothing Innbox
does not read; its services, the Dockerfile and the systemd units run the very deploy/innbox
commands that tests/test_production_start.py runs in CI; the compose env file is generated from
.env.example and up to date; the Dockerfile's build step collects the static files with exactly
the placeholders it sets; the database's first-start script creates roles the migrations accept.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from innbox import config
from tests import conftest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
INNBOX_SERVICES = ("migrate", "web", "worker")
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$", re.MULTILINE)


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as Docker's env_file and systemd's EnvironmentFile read them."""
    return dict(ASSIGNMENT.findall(path.read_text()))


def service_environment(name: str) -> dict[str, str]:
    """What an Innbox container gets: its env_file (the template an operator copies), then the
    compose `environment`, which wins."""
    service = COMPOSE["services"][name]
    assert service["env_file"] == "innbox.env"
    return {**env_file(DEPLOY / "innbox.env.example"), **service.get("environment", {})}


def deploy_script_variables() -> set[str]:
    """Every variable deploy/innbox reads (its ${NAME...} expansions)."""
    script = (DEPLOY / "innbox").read_text()
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}-]", script)) - {"BASH_SOURCE"}


def required_in_production() -> set[str]:
    return {
        name
        for name, field in config.ProductionSettings.model_fields.items()
        if field.is_required()
    }


CONTRACT = set(config.Settings.model_fields) | deploy_script_variables()


def commands_ci_runs() -> set[str]:
    """The deploy/innbox commands tests/test_production_start.py starts Innbox with."""
    source = (ROOT / "tests" / "test_production_start.py").read_text()
    return set(re.findall(r'"deploy/innbox", "([a-z]+)"', source))


# --- the env contract ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", INNBOX_SERVICES)
def test_every_innbox_service_gets_every_required_variable(name: str) -> None:
    environment = service_environment(name)
    missing = sorted(required_in_production() - set(environment))
    assert not missing, f"{name} lacks {missing}"
    assert environment["INNBOX_ENV"] == "production"


@pytest.mark.parametrize("name", INNBOX_SERVICES)
def test_no_innbox_service_gets_a_variable_innbox_does_not_read(name: str) -> None:
    unknown = sorted(set(service_environment(name)) - CONTRACT)
    assert not unknown, f"{name} sets {unknown}, which neither Innbox nor deploy/innbox reads"


def test_env_example_documents_every_variable_deploy_innbox_reads() -> None:
    documented = env_file(ROOT / ".env.example")
    assert deploy_script_variables() <= set(documented)


def test_each_innbox_role_connects_with_its_own_database_url() -> None:
    environment = service_environment("web")
    users = {
        name: re.match(r"postgres://([^:]+):", environment[name]).group(1)
        for name in ("MIGRATE_DATABASE_URL", "DATABASE_URL", "WORKER_DATABASE_URL")
    }
    assert users == {
        "MIGRATE_DATABASE_URL": COMPOSE["services"]["db"]["environment"]["POSTGRES_USER"],
        "DATABASE_URL": "innbox_app",
        "WORKER_DATABASE_URL": "innbox_worker",
    }


def test_the_compose_env_template_documents_every_value_compose_fills_in() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used <= set(env_file(DEPLOY / "compose.env.example"))


def test_the_compose_env_file_is_generated_from_env_example_and_up_to_date() -> None:
    checked = subprocess.run(
        [sys.executable, "deploy/env_template.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    template = env_file(DEPLOY / "innbox.env.example")
    overridden = set(COMPOSE["x-innbox"]["environment"])
    assert not overridden & set(template), "compose sets these: the template must not offer them"
    assert set(template) | overridden == set(env_file(ROOT / ".env.example"))


# --- the same commands everywhere ---------------------------------------------------------------


def test_compose_runs_the_deploy_innbox_commands_ci_runs() -> None:
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert entrypoint and yaml.safe_load(entrypoint.group(1)) == ["deploy/innbox"]
    commands = {name: COMPOSE["services"][name]["command"] for name in INNBOX_SERVICES}
    assert commands == {"migrate": ["prepare"], "web": ["web"], "worker": ["worker"]}
    assert {"prepare", "web", "worker"} <= commands_ci_runs()


def test_web_and_worker_start_only_after_the_migrations_succeeded() -> None:
    for name in ("web", "worker"):
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert COMPOSE["services"]["migrate"]["restart"] == "no"
    assert COMPOSE["services"]["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_the_image_is_slim_pinned_non_root_and_installs_the_lock_file() -> None:
    base = re.search(r"^FROM (\S+)$", DOCKERFILE, re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", base.group(1)), base
    assert "pip install -r requirements.lock" in DOCKERFILE
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}


def dockerfile_build_step() -> tuple[dict[str, str], list[str]]:
    """The RUN that collects static files: its placeholder environment and its command."""
    joined = DOCKERFILE.replace("\\\n", " ")
    run = next(line for line in joined.splitlines() if "deploy/innbox static" in line)
    words = shlex.split(run.removeprefix("RUN "))
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    command = words[len(env) : words.index("static") + 1]
    return env, command


@pytest.mark.slow
def test_the_image_build_step_collects_the_static_files_with_its_placeholders(
    tmp_path: Path,
) -> None:
    env, command = dockerfile_build_step()
    assert command == ["deploy/innbox", "static"]
    assert not set(env) - set(config.Settings.model_fields)
    built = subprocess.run(
        command,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHON": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert (ROOT / "var" / "static" / "staticfiles.json").exists()


def test_caddy_proxies_to_the_web_service_port() -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    port = service_environment("web")["PORT"]
    assert re.search(rf"reverse_proxy web:{port}\b", caddyfile)
    assert "{$INNBOX_DOMAIN}" in caddyfile
    assert {"80:80", "443:443"} <= set(COMPOSE["services"]["caddy"]["ports"])


# --- systemd ------------------------------------------------------------------------------------


UNITS = {
    "innbox-prepare.service": "prepare",
    "innbox-web.service": "web",
    "innbox-worker.service": "worker",
}


def unit(name: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+)=(.*)$", (DEPLOY / "systemd" / name).read_text(), re.M))


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_each_systemd_unit_calls_deploy_innbox(name: str, command: str) -> None:
    settings = unit(name)
    assert settings["ExecStart"] == f"/opt/innbox/deploy/innbox {command}"
    assert settings["WorkingDirectory"] == "/opt/innbox"
    assert settings["EnvironmentFile"] == "/etc/innbox/innbox.env"
    assert settings["User"] == "innbox"
    if command != "prepare":
        assert "innbox-prepare.service" in settings["After"]
        assert settings["Requires"] == "innbox-prepare.service"
    assert command in commands_ci_runs()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text().replace("/opt/innbox", str(ROOT))
        (tmp_path / name).write_text(text)
    verified = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""


# --- the database's first start ----------------------------------------------------------------


@pytest.mark.postgres
def test_the_first_start_script_creates_login_roles_the_migrations_accept(
    tmp_path: Path,
) -> None:
    server = conftest.test_database_url().rsplit("/", 1)[0]
    suffix = uuid.uuid4().hex[:8]
    roles = {"DB_APP_ROLE": f"app_{suffix}", "DB_WORKER_ROLE": f"worker_{suffix}"}
    host = server.split("@", 1)[1].split(":")[0]
    env: dict[str, Any] = {
        "PATH": os.environ["PATH"],
        "PGHOST": host,
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "postgres",
        "INNBOX_APP_DB_PASSWORD": "app-password-1",
        "INNBOX_WORKER_DB_PASSWORD": "worker-password-2",
        **roles,
    }
    try:
        ran = subprocess.run(
            ["sh", str(DEPLOY / "postgres" / "init-roles.sh")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        with psycopg.connect(server + "/postgres") as admin:
            rows = admin.execute(
                "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, rolcreaterole,"
                " rolpassword IS NOT NULL FROM pg_authid WHERE rolname = ANY(%s) ORDER BY 1",
                [list(roles.values())],
            ).fetchall()
        assert rows == sorted((role, True, False, False, False, True) for role in roles.values())
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            for role in roles.values():
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_the_image_leaves_out_local_state_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git", "deploy/.env", "deploy/innbox.env"} <= ignored
    committed_never = set((ROOT / ".gitignore").read_text().split())
    assert {"deploy/.env", "deploy/innbox.env"} <= committed_never


def test_behind_caddy_the_web_tells_clients_apart_by_the_forwarded_address() -> None:
    """Issue 12 #3 again otherwise: every client would have Caddy's address, and five wrong
    passwords from anyone would lock an account for everybody."""
    environment = service_environment("web")
    assert environment["TRUSTED_PROXY_HEADER"] == "X-Forwarded-For"
    assert environment["TRUSTED_PROXY_COUNT"] == "1"


def test_a_stopping_worker_has_time_to_finish_the_send_in_hand() -> None:
    """Pacing gap (up to 45 s) plus typing (up to 8 s) plus the call: well over Docker's
    default 10 s and systemd's 60 s."""
    grace = COMPOSE["services"]["worker"]["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) >= 90
    unit = (DEPLOY / "systemd" / "innbox-worker.service").read_text()
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.MULTILINE).group(1)) >= 90
