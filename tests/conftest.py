"""Shared fixtures, personas (owner_a, staff_a, owner_b) and the rules for required tests.

PostgreSQL tests (marker `postgres`) run in their own pytest session with INNBOX_TEST_DB=postgres
(`make test` runs both sessions). Where PostgreSQL or Chromium is missing their tests are skipped
with the reason printed; with CI=true such a skip fails the run.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic_ai import models as llm_models

from tests import conftest, factories
from tests.fake_openai import FakeOpenAI
from tests.fake_waha import FakeWaha

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
USING_POSTGRES = os.environ.get("INNBOX_TEST_DB") == "postgres"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRED_MARKERS = ("postgres", "browser")

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM is safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox")


def _postgres_unreachable() -> str | None:
    url = test_database_url()
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable at TEST_DATABASE_URL={url}: {exc}".strip()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    postgres_items = [item for item in items if item.get_closest_marker("postgres")]
    if USING_POSTGRES:
        # This session's connection is PostgreSQL: run only the tests written for it.
        others = [item for item in items if not item.get_closest_marker("postgres")]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = postgres_items
        reason = _postgres_unreachable()
    else:
        reason = "needs INNBOX_TEST_DB=postgres (`make test` runs these in a second session)"
    if reason:
        for item in postgres_items:
            item.add_marker(pytest.mark.skip(reason=reason))
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"Chromium not found at {CHROMIUM} (apt install chromium)"
                    )
                )


_required_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and any(marker in report.keywords for marker in REQUIRED_MARKERS):
        _required_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if CI and _required_skips:
        terminalreporter.section("required tests were skipped (CI=true)", red=True)
        for nodeid in _required_skips:
            terminalreporter.write_line(f"SKIPPED BUT REQUIRED: {nodeid}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if CI and _required_skips:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- personas -------------------------------------------------------------------------------


@pytest.fixture
def hotel_a(db: None) -> factories.Hotel:
    return factories.make_hotel("Hotel Alpha")


@pytest.fixture
def hotel_b(db: None) -> factories.Hotel:
    return factories.make_hotel("Hotel Bravo")


@pytest.fixture
def owner_a(hotel_a: factories.Hotel):
    return hotel_a.owner


@pytest.fixture
def staff_a(hotel_a: factories.Hotel):
    return hotel_a.staff


@pytest.fixture
def owner_b(hotel_b: factories.Hotel):
    return hotel_b.owner


# --- browser (Playwright driving Debian's Chromium) -----------------------------------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling home, and this machine refuses every connection.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Every page a browser test opens reports what the Content-Security-Policy blocked; a browser
# test fails if anything was (the policy must not break a page, nor a page need a weaker one).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""
_csp_violations: list[str] = []


def _record_csp_violation(message: Any) -> None:
    if "CSP violation" in message.text or "Content Security Policy" in message.text:
        _csp_violations.append(f"{message.text} ({message.location.get('url', '')})")


class _WatchedBrowser:
    """The browser, with every context it opens reporting Content-Security-Policy violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", _record_csp_violation)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield _WatchedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    _csp_violations.clear()
    yield
    if request.node.get_closest_marker("browser"):
        assert not _csp_violations, "the Content-Security-Policy blocked: " + "; ".join(
            _csp_violations
        )


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """screenshot("login") saves test-artifacts/screenshots/<test>-login.png; pass `of=` to
    photograph another page than the test's own (a second person's browser)."""

    def take(label: str, of: Any = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Real hashing is slow by design; the tests check behaviour, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- WhatsApp: a fake WAHA server on a random port -------------------------------------------

WAHA_TEST_KEY = "test-waha-api-key"
WAHA_TEST_HMAC = "test-waha-hmac-key-0123456789"


@pytest.fixture
def fake_waha(settings: Any) -> Iterator[Any]:
    """A running fake WAHA, with Innbox configured to use it (Core mode, fast pacing)."""

    fake = FakeWaha(api_key=WAHA_TEST_KEY).start()
    settings.WAHA_BASE_URL = fake.url
    settings.WAHA_API_KEY = WAHA_TEST_KEY
    settings.WAHA_WEBHOOK_HMAC_KEY = WAHA_TEST_HMAC
    settings.WAHA_MULTI_SESSION = False
    settings.WAHA_MIN_GAP_SECONDS = 0.3
    settings.WAHA_MAX_GAP_SECONDS = 0.4
    settings.WAHA_TYPING_CHARS_PER_SECOND = 400.0
    settings.WAHA_MAX_TYPING_SECONDS = 0.05
    yield fake
    fake.stop()


# --- the concierge's LLM: pydantic-ai may call no real model, only the fake server ---------------


@pytest.fixture(autouse=True)
def no_real_model_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """pydantic-ai's switch forbids real model requests in every test but those that talk to the
    fake OpenAI-compatible server (scripted models, FunctionModel, need no request)."""
    if "fake_openai" in request.fixturenames:
        yield
        return
    with llm_models.override_allow_model_requests(False):
        yield


@pytest.fixture
def fake_openai(settings: Any) -> Iterator[FakeOpenAI]:
    """A running fake OpenAI-compatible server, with Innbox's LLM mode pointed at it."""
    fake = FakeOpenAI().start()
    settings.LLM_BASE_URL = fake.url
    settings.LLM_API_KEY = fake.api_key
    settings.LLM_MODEL = "fake-model"
    settings.LLM_TIMEOUT_SECONDS = 5.0
    yield fake
    fake.stop()


@pytest.fixture
def parsed_logs() -> Iterator[Callable[[], list[dict]]]:
    """Reads every line logged so far in the test, as the JSON our handler writes, parsed."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite tests use a database file in WAL mode, as `make run` does, not shared-cache memory:
    the browser tests' live server answers the page's parallel HTMX requests in threads, and a
    shared-cache in-memory database refuses those ("database table is locked") where the file
    waits its turn."""
    from django.conf import settings as django_settings

    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test_file = tmp_path_factory.mktemp("database") / "innbox-test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(test_file)


@pytest.fixture
def database() -> Iterator[dict[str, str]]:
    """A new database and its three URLs: owner (migrations), app role, worker role."""
    server = conftest.test_database_url().rsplit("/", 1)[0]
    name = f"innbox_production_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    host = server.split("@", 1)[1]
    try:
        yield {
            "MIGRATE_DATABASE_URL": f"{server}/{name}",
            "DATABASE_URL": f"postgres://innbox_app@{host}/{name}",
            "WORKER_DATABASE_URL": f"postgres://innbox_worker@{host}/{name}",
        }
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_database() -> Iterator[str]:
    server = conftest.test_database_url().rsplit("/", 1)[0]
    name = f"innbox_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
