"""Django settings, derived entirely from the validated environment contract (innbox.config)."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from innbox import config
from innbox.logs import configure_logging

CONFIG = config.get().settings
BASE_DIR = config.BASE_DIR

DEBUG = not CONFIG.is_production
SECRET_KEY = CONFIG.SECRET_KEY
APP_URL = str(CONFIG.APP_URL).rstrip("/")
ALLOWED_HOSTS = [CONFIG.app_host] if CONFIG.is_production else ["*"]
CSRF_TRUSTED_ORIGINS = [APP_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "auditlog",
    "tenancy",
    "hotel",
    "pms",
    "whatsapp",
    "messaging",
    "conversations",
    "automation",
    "agent",
    "dashboard",
    "feedback",
    "compliance",
    "operations",
]

MIDDLEWARE = [
    "innbox.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "tenancy.middleware.AuditContextMiddleware",
    # After authentication: the screen language is the user's own choice (users.ui_language).
    "tenancy.middleware.UserLanguageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "innbox.urls"
WSGI_APPLICATION = "innbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.innbox",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    # The test run on PostgreSQL (`make test`) points the whole suite at TEST_DATABASE_URL.
    if os.environ.get("INNBOX_TEST_DB") == "postgres":
        url = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/innbox")
    else:
        url = CONFIG.DATABASE_URL
    database: dict[str, Any] = dict(dj_database_url.parse(url))
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + IMMEDIATE + busy timeout let the web process and a worker share the file
        # without "database is locked" errors (architecture.md, "Scale path").
        database["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        if database["NAME"] != ":memory:":
            os.makedirs(os.path.dirname(database["NAME"]), exist_ok=True)
    else:
        database["CONN_MAX_AGE"] = 60
        database["CONN_HEALTH_CHECKS"] = True
        # No JIT: Innbox's queries are short, and a correlated subquery the planner prices
        # high (the feedback card's first-response waits) spent 570 ms compiling for 1 ms of
        # work (docs/performance.md). A startup option, so a pooler must pass it through.
        database["OPTIONS"] = {"connect_timeout": 5, "options": "-c jit=off"}
    return database


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DB_APP_ROLE = CONFIG.DB_APP_ROLE
DB_WORKER_ROLE = CONFIG.DB_WORKER_ROLE
# Bearer secret of POST /api/cron/automation/ (an external cron's scheduler tick).
CRON_SECRET = CONFIG.CRON_SECRET
# PMS hosts or networks that may be private (innbox/netguard.py): the operator's, never a hotel's.
PMS_ALLOWED_PRIVATE_HOSTS = tuple(filter(None, CONFIG.PMS_ALLOWED_PRIVATE_HOSTS.split(",")))

AUTH_USER_MODEL = "tenancy.User"
# The audit log (tenancy.audit): django-auditlog's entries live in tenancy's audit_entries, one
# hotel per row under RLS. auditlog's own migrations would create its unused, unprotected table.
AUDITLOG_LOGENTRY_MODEL = "tenancy.AuditEntry"
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_CID_GETTER = "tenancy.audit.current_request_id"
# Loading a dump (loaddata, docs/deploy.md) is no one's edit: the dump brings its own audit rows.
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# Emails are unique case-insensitively (constraint users_email_unique_ci), which this check
# cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 15 minutes without activity (plan, Task 1.5).
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CONFIG.is_production
CSRF_COOKIE_SECURE = CONFIG.is_production
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if CONFIG.is_production else None
# Production: https only. Plain http is redirected (but for the orchestrator's health probe, which
# talks to the process directly) and browsers remember to use https (HSTS, also for subdomains of
# Innbox's own host name; "preload" only allows a submission to the browsers' list).
SECURE_SSL_REDIRECT = CONFIG.is_production and CONFIG.SECURE_SSL_REDIRECT
# The orchestrator's probes and Prometheus talk to the process directly, over plain http inside
# the deployment's network (/metrics is guarded by its bearer token).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = CONFIG.HSTS_SECONDS if CONFIG.is_production else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Content-Security-Policy (django-csp): everything Innbox serves is its own, scripts and styles
# only from files (no inline code, no eval: HTMX is configured without it in base.html); images
# may be data: URIs (the click-to-chat QR code, Pico's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The client's address behind a reverse proxy (innbox/client_address.py); unset: REMOTE_ADDR.
TRUSTED_PROXY_HEADER = CONFIG.TRUSTED_PROXY_HEADER
TRUSTED_PROXY_COUNT = CONFIG.TRUSTED_PROXY_COUNT

# Login throttling (django-axes, tenancy/throttling.py): an account is locked for one client
# address after 5 failures from it, and everywhere after 20 failures from any addresses, within the
# cool-off. The address alone locks nobody: behind a proxy it is every user's.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 20
AXES_HANDLER = "tenancy.throttling.LoginThrottle"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT_PER_ADDRESS
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_CLIENT_IP_CALLABLE = "innbox.client_address.client_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "tenancy.views.auth.login_locked_out"
AXES_USERNAME_CALLABLE = "tenancy.throttling.username_for_throttling"

LANGUAGE_CODE = "en"
# Innbox's own screens; must match tenancy.models.UILanguage (tests/test_shell_i18n.py checks).
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
os.makedirs(STATIC_ROOT, exist_ok=True)  # whitenoise warns at start-up if it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if CONFIG.is_production
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

if CONFIG.EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.EMAIL_HOST
    EMAIL_PORT = CONFIG.EMAIL_PORT
    EMAIL_HOST_USER = CONFIG.EMAIL_HOST_USER
    EMAIL_HOST_PASSWORD = CONFIG.EMAIL_HOST_PASSWORD
    EMAIL_USE_TLS = CONFIG.EMAIL_USE_TLS
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG.DEFAULT_FROM_EMAIL

CREDENTIALS_ENCRYPTION_KEYS = CONFIG.CREDENTIALS_ENCRYPTION_KEYS.split(",")

# WhatsApp through WAHA. No WAHA_BASE_URL: the console transport records messages, sends none.
WAHA_BASE_URL = str(CONFIG.WAHA_BASE_URL).rstrip("/") if CONFIG.WAHA_BASE_URL else None
WAHA_API_KEY = CONFIG.WAHA_API_KEY or ""
WAHA_WEBHOOK_HMAC_KEY = CONFIG.WAHA_WEBHOOK_HMAC_KEY or ""
WAHA_MULTI_SESSION = CONFIG.WAHA_MULTI_SESSION
WAHA_PACING_ENABLED = CONFIG.WAHA_PACING_ENABLED
WAHA_MIN_GAP_SECONDS = CONFIG.WAHA_MIN_GAP_SECONDS
WAHA_MAX_GAP_SECONDS = CONFIG.WAHA_MAX_GAP_SECONDS
WAHA_TYPING_CHARS_PER_SECOND = CONFIG.WAHA_TYPING_CHARS_PER_SECOND
WAHA_MAX_TYPING_SECONDS = CONFIG.WAHA_MAX_TYPING_SECONDS
WAHA_DEGRADED_AFTER_FAILURES = CONFIG.WAHA_DEGRADED_AFTER_FAILURES
WAHA_WEBHOOK_TOLERANCE_SECONDS = CONFIG.WAHA_WEBHOOK_TOLERANCE_SECONDS
WAHA_WEBHOOK_MAX_BODY_BYTES = 1_048_576

# The concierge's LLM mode (agent/llm.py); without LLM_BASE_URL the embedded engine answers.
LLM_BASE_URL = str(CONFIG.LLM_BASE_URL).rstrip("/") if CONFIG.LLM_BASE_URL else ""
LLM_API_KEY = CONFIG.LLM_API_KEY or ""
LLM_MODEL = CONFIG.LLM_MODEL or ""
LLM_TIMEOUT_SECONDS = CONFIG.LLM_TIMEOUT_SECONDS

PMS_WEBHOOK_TOLERANCE_SECONDS = CONFIG.PMS_WEBHOOK_TOLERANCE_SECONDS
PMS_WEBHOOK_MAX_BODY_BYTES = CONFIG.PMS_WEBHOOK_MAX_BODY_BYTES

# Background jobs (automation/retry_policy.py): exponential backoff with full jitter.
AUTOMATION_MAX_ATTEMPTS = 8
AUTOMATION_RETRY_BASE_SECONDS = 30.0
AUTOMATION_RETRY_CAP_SECONDS = 3600.0
AUTOMATION_PMS_SYNC_MINUTES = 15
AUTOMATION_SCHEDULER_SECONDS = 60
# Timed messages go when each hotel's journey settings say (messaging.journey); nothing is sent
# outside QUIET_HOURS_END..QUIET_HOURS_START (local), it waits for the morning instead. Equal
# values mean no quiet hours.
AUTOMATION_QUIET_HOURS_START = "21:00"
AUTOMATION_QUIET_HOURS_END = "09:00"
# Per-hotel token bucket for sends: a few a minute keeps a WhatsApp number safe.
AUTOMATION_SENDS_PER_MINUTE = 6
# A guest's messages this close together are one turn: the concierge answers them together
# (conversations.turns), instead of once per line of a guest who writes in short bursts.
CONVERSATION_BURST_SECONDS = 4
# Who answers a guest's turn (conversations.turns): named here, in the composition root, since
# the concierge and the conversations app sit on one row of the layers. Empty: nobody.
CONVERSATION_RESPONDER = "agent.concierge.answer_turn"

# Operations (docs/metrics.md, docs/runbook.md): /metrics is off without METRICS_TOKEN.
METRICS_TOKEN = CONFIG.METRICS_TOKEN or ""
WORKER_HEARTBEAT_STALE_MINUTES = CONFIG.WORKER_HEARTBEAT_STALE_MINUTES

LOGGING_CONFIG = None
configure_logging(level=CONFIG.LOG_LEVEL)
