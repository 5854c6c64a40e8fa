"""Structured JSON logs (structlog), shared by Django's own loggers and ours.

Context such as request_id, tenant_id, reservation_id and job_id is bound with structlog's
contextvars, so every line logged while handling one request or job carries it.
"""

from __future__ import annotations

import logging.config
from enum import StrEnum
from typing import Any

import structlog

from innbox.metrics import count_webhook_refusals


class ErrorCategory(StrEnum):
    """Every error log says which kind of failure it is (plan, Task 0.5)."""

    VALIDATION = "validation"  # bad input from a user or a sender; refused, nothing changed
    INTEGRATION = "integration"  # a vendor refused or misbehaved; will not fix itself
    RETRYABLE = "retryable"  # timeouts, 5xx, 429: tried again later
    FATAL = "fatal"  # a bug or a broken deployment


def _add_error_category(_: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # An error logged without a category is one nobody anticipated: treat it as fatal.
    if method_name in {"error", "critical", "exception"} or event_dict.get("level") in {
        "error",
        "critical",
    }:
        event_dict.setdefault("error_category", ErrorCategory.FATAL.value)
    category = event_dict.get("error_category")
    if isinstance(category, ErrorCategory):
        event_dict["error_category"] = category.value
    return event_dict


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _add_error_category,
]


def configure_logging(level: str = "INFO") -> None:
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            # Our own events only (not Django's): webhook refusals are counted from their lines.
            count_webhook_refusals,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "json": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        structlog.processors.JSONRenderer(),
                    ],
                    "foreign_pre_chain": _SHARED_PROCESSORS,
                }
            },
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
            },
            "root": {"handlers": ["stderr"], "level": level.upper()},
            "loggers": {
                # Our request log replaces runserver's plain-text access lines.
                "django.server": {"level": "WARNING"},
                "django.db.backends": {"level": "INFO"},
                # innbox.http logs every outbound call without its query string; httpx's own
                # line would repeat it with the full URL.
                "httpx": {"level": "WARNING"},
                "httpcore": {"level": "WARNING"},
            },
        }
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


def current_request_id() -> str:
    """The request (or job's originating request) being handled, "" when there is none. A job
    binds its request id even when empty (as None, so an earlier one does not linger): never
    None here, since jobs queued meanwhile store it in a NOT NULL column."""
    return structlog.contextvars.get_contextvars().get("request_id") or ""
