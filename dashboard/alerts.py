"""What needs a person now, shown at the top of the dashboard.

Each source is a small function that looks at one part of the system and returns an Alert or
None; ALERT_SOURCES lists them in the order they are shown. The on-stay agent (not built yet)
adds its escalated conversations by appending one more source here, e.g.
`escalated_conversations(context) -> Alert | None` counting conversations handed to a human;
until then there is nothing to show and no row is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pms.models import ConnectionHealth, PMSConfiguration
from whatsapp.models import WahaConfiguration


@dataclass(frozen=True)
class AlertContext:
    """What the sources look at; loaded once by the view (one query each)."""

    dead_jobs: int
    whatsapp: WahaConfiguration | None
    pms: PMSConfiguration | None
    sandbox: bool
    # The latest worker heartbeat (automation.heartbeat), and whether it is recent enough.
    worker_last_seen: dt.datetime | None
    worker_running: bool


@dataclass(frozen=True)
class Alert:
    key: str
    title: str
    detail: str
    link_url: str
    link_text: str
    # Settings pages are the owner's; staff are told whom to ask instead of getting a 404 link.
    owner_only_link: bool = False


def dead_jobs(context: AlertContext) -> Alert | None:
    if not context.dead_jobs:
        return None
    return Alert(
        key="dead-jobs",
        title=ngettext(
            "%(count)d automation job gave up.",
            "%(count)d automation jobs gave up.",
            context.dead_jobs,
        )
        % {"count": context.dead_jobs},
        detail=_("Guests may be missing a message. Check the errors, then retry or cancel."),
        link_url=reverse("jobs"),
        link_text=_("Open automation"),
    )


def whatsapp_connection(context: AlertContext) -> Alert | None:
    config = context.whatsapp
    # In the sandbox there is no WhatsApp to lose; the banner at the top already says so.
    if context.sandbox or config is None:
        return None
    if config.is_degraded:
        title = _("WhatsApp is degraded.")
        detail = _(
            "WAHA reports the session as working, but the last %(count)d messages failed: %(error)s"
        ) % {"count": config.consecutive_send_failures, "error": config.last_error}
    elif config.health in {"disconnected", "failed"}:
        title = _("WhatsApp is disconnected.")
        detail = _("No messages reach guests until the hotel's phone is linked again.")
    else:
        return None
    return Alert(
        key="whatsapp",
        title=title,
        detail=detail,
        link_url=reverse("waha_settings"),
        link_text=_("Check the connection"),
        owner_only_link=True,
    )


def pms_sync(context: AlertContext) -> Alert | None:
    config = context.pms
    if config is None or config.health != ConnectionHealth.FAILING:
        return None
    return Alert(
        key="pms",
        title=_("PMS sync is failing."),
        detail=_("Reservations may be out of date. Last error: %(error)s")
        % {"error": config.last_error or _("none recorded")},
        link_url=reverse("pms_settings"),
        link_text=_("Open PMS settings"),
        owner_only_link=True,
    )


def worker_stopped(context: AlertContext) -> Alert | None:
    if context.worker_running:
        return None
    if context.worker_last_seen is None:
        title = _("No background worker has been seen.")
    else:
        title = _("The background worker stopped %(when)s ago.") % {
            "when": timesince(context.worker_last_seen)
        }
    return Alert(
        key="worker",
        title=title,
        detail=_(
            "Messages to guests, PMS syncs and retries wait until it runs again. "
            "Ask whoever runs your Innbox server to start the worker."
        ),
        link_url=reverse("jobs"),
        link_text=_("See waiting jobs"),
    )


ALERT_SOURCES: tuple[Callable[[AlertContext], Alert | None], ...] = (
    worker_stopped,
    dead_jobs,
    whatsapp_connection,
    pms_sync,
)


def collect(context: AlertContext) -> list[Alert]:
    return [alert for source in ALERT_SOURCES if (alert := source(context)) is not None]
