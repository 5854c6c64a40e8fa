"""The environment contract: production refuses to start on a bad environment, naming everything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from innbox import config
from tests.helpers import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """The real start-up: manage.py in a fresh process with exactly this environment."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without(*names: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in names}
    env.update(overrides)
    return env


@pytest.mark.slow
def test_it_starts_in_production_with_a_complete_environment() -> None:
    result = start(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_deploy_check_finds_nothing_to_warn_about_in_production() -> None:
    # A secret key as an operator makes one (the check rejects a repetitive one like "ppp…").
    env = {**PRODUCTION_ENV, "SECRET_KEY": "8vJ$kq2!Zr7@Lm4#Wt9^Xc1&Ny6*Pb3(Hd5)Fg0-Se8+Ua2=Qo7"}
    result = start(env, "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


@pytest.mark.slow
def test_production_turns_https_off_only_when_the_operator_says_so() -> None:
    result = start({**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"}, "check", "--deploy")
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.slow
def test_it_refuses_to_start_in_production_when_a_variable_is_missing() -> None:
    result = start(without("SECRET_KEY"))
    assert result.returncode != 0
    assert "SECRET_KEY: missing" in result.stderr
    assert "1 configuration problem" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_it_names_every_problem_at_once() -> None:
    result = start(without("SECRET_KEY", "CRON_SECRET", APP_URL="not a url"))
    assert result.returncode != 0
    assert "3 configuration problem" in result.stderr
    for name in ("SECRET_KEY", "CRON_SECRET", "APP_URL"):
        assert name in result.stderr


@pytest.mark.slow
def test_the_web_entry_point_refuses_a_bad_environment_too() -> None:
    env = {"PATH": os.environ["PATH"], **without("DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", "import innbox.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "DATABASE_URL: missing" in result.stderr


@pytest.mark.slow
def test_it_starts_in_development_with_defaults_and_says_which() -> None:
    result = start({"DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr
    assert "defaults used for: APP_URL" in result.stderr
    assert "DATABASE_URL" not in result.stderr.split("defaults used for:")[1].split("\n")[0]
    assert "Sandbox: WAHA_BASE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"CREDENTIALS_ENCRYPTION_KEYS": "short"},
            "CREDENTIALS_ENCRYPTION_KEYS: key 1 is not a Fernet key",
        ),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL: only sqlite"),
        ({"APP_URL": "https://user:pw@inn.example.com"}, "APP_URL: must not contain"),
        ({"WAHA_MULTI_SESSION": "perhaps"}, "WAHA_MULTI_SESSION"),
        ({"PMS_WEBHOOK_TOLERANCE_SECONDS": "5"}, "PMS_WEBHOOK_TOLERANCE_SECONDS"),
        ({"LLM_BASE_URL": "http://127.0.0.1:11434/v1"}, "LLM_MODEL: required when LLM_BASE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        (
            {"PMS_ALLOWED_PRIVATE_HOSTS": "qloapps.lan, http://10.0.0.5/api"},
            "PMS_ALLOWED_PRIVATE_HOSTS: 'http://10.0.0.5/api' is neither a host name",
        ),
        ({"TRUSTED_PROXY_HEADER": "X-Forwarded-For: 1"}, "TRUSTED_PROXY_HEADER"),
        ({"TRUSTED_PROXY_COUNT": "0"}, "TRUSTED_PROXY_COUNT"),
    ],
)
def test_it_explains_malformed_values(overrides: dict[str, str], expected: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load({**PRODUCTION_ENV, **overrides})
    assert expected in caught.value.message


def test_production_requires_whatsapp_and_email_but_development_does_not() -> None:
    names = ("WAHA_BASE_URL", "WAHA_API_KEY", "WAHA_WEBHOOK_HMAC_KEY", "EMAIL_HOST")
    with pytest.raises(config.ConfigError) as caught:
        config.load(without(*names))
    for name in names:
        assert f"{name}: missing" in caught.value.message
    assert config.load(without(*names, INNBOX_ENV="development")).settings.sandbox_messaging


def test_it_reports_missing_and_conditional_problems_together() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(without("SECRET_KEY", "EMAIL_HOST", LLM_BASE_URL="http://127.0.0.1:1/v1"))
    assert len(caught.value.problems) == 3


def test_development_defaults_never_apply_in_production() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load({"INNBOX_ENV": "production"})
    for name in config.DEV_DEFAULTS:
        assert f"{name}: missing" in caught.value.message


def test_the_private_pms_allowlist_takes_names_addresses_and_networks() -> None:
    loaded = config.load({**PRODUCTION_ENV, "PMS_ALLOWED_PRIVATE_HOSTS": " QloApps.LAN, 10.0.0.5,"})
    assert loaded.settings.PMS_ALLOWED_PRIVATE_HOSTS == "qloapps.lan,10.0.0.5"
    networks = config.load(
        {**PRODUCTION_ENV, "PMS_ALLOWED_PRIVATE_HOSTS": "192.168.1.0/24,fd00::/8"}
    )
    assert networks.settings.PMS_ALLOWED_PRIVATE_HOSTS == "192.168.1.0/24,fd00::/8"


def test_env_example_documents_every_variable() -> None:
    documented = (ROOT / ".env.example").read_text()
    for name in config.Settings.model_fields:
        assert f"{name}=" in documented, f"{name} is missing from .env.example"
