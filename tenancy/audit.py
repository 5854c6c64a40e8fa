"""The audit log: who did what, when, in one hotel (/settings/audit/, owners only).

Two ways in, one table (tenancy.models.AuditEntry, one hotel per row under RLS):

- Changes of a model, through django-auditlog. An app registers the model with `track(...)` in
  its AppConfig.ready: the fields worth keeping, the secret ones (kept as "changed", never their
  value) and the event each kind of change is. auditlog diffs the saves; the actor and the
  client's address come from the request (AuditContextMiddleware).
- Events that are no model change (logins, invitations sent, exports, erasures...), through

      audit.record(request_or_tenant, "compliance.guest_exported", guest, {"format": "json"})

  with the event declared once, `event("compliance.guest_exported", _("Exported a guest's data"))`,
  so the page says it in the reader's language.

Either way nothing secret is stored: secret fields become "changed", and details whose key
sounds secret (password, token, secret, key, credential) are dropped to a marker too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from auditlog.registry import auditlog
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from innbox.client_address import client_address
from innbox.logs import get_logger
from tenancy import lookups
from tenancy.db import acting_for_tenant
from tenancy.models import AuditEntry, Membership, Tenant, User

log = get_logger(__name__)

# What a secret field's old and new values are stored as: the change shows, the value never.
SECRET = "[secret]"  # noqa: S105 - the marker that replaces a secret, not one
SECRET_KEY_PATTERN = re.compile(r"secret|passw|token|key|credential|api", re.IGNORECASE)

Label = str | Promise

# --- the catalogue of events -----------------------------------------------------------------

EVENTS: dict[str, Label] = {}


def event(key: str, label: Label) -> str:
    """Declare an event (once, at import) and get its key back for record()."""
    known = EVENTS.get(key)
    if known is not None and known is not label and str(known) != str(label):
        raise ValueError(f"two audit events are called {key!r}")
    EVENTS[key] = label
    return key


def label_of(key: str) -> str:
    return str(EVENTS.get(key, key))


LOGIN = event("auth.login", _("Logged in"))
LOGIN_FAILED = event("auth.login_failed", _("Failed login (wrong password)"))
LOCKED_OUT = event("auth.locked_out", _("Login locked after repeated failures"))
INVITATION_SENT = event("team.invitation_sent", _("Invited a team member"))
INVITATION_RESENT = event("team.invitation_resent", _("Sent an invitation again"))
INVITATION_REVOKED = event("team.invitation_revoked", _("Revoked an invitation"))
MEMBER_JOINED = event("team.member_joined", _("Joined the hotel"))
MEMBER_REMOVED = event("team.member_removed", _("Removed a team member"))
ROLE_CHANGED = event("team.role_changed", _("Changed a team member's role"))
HOTEL_CHANGED = event("hotel.changed", _("Changed the hotel's details"))

# How the details of record() read on the page; an unknown key shows as it is.
DETAIL_LABELS: dict[str, Label] = {
    "email": _("Email"),
    "role": _("Role"),
    "reason": _("Reason"),
    "format": _("Format"),
}


def detail_label(key: str, label: Label) -> None:
    DETAIL_LABELS.setdefault(key, label)


# --- model changes (django-auditlog) ---------------------------------------------------------

UpdateEvent = str | Callable[[Any, Mapping[str, Any]], str | None] | None


@dataclass(frozen=True)
class Tracking:
    fields: Mapping[str, Label]  # field name -> its label on the page
    secret_fields: frozenset[str]
    created: str | None
    updated: UpdateEvent
    deleted: str | None
    describe: Callable[[Any], str]
    tenant_of: Callable[[Any], UUID]


TRACKED: dict[type[Model], Tracking] = {}


def _tenant_id(instance: Any) -> UUID:
    return instance.tenant_id  # type: ignore[no-any-return]


def track(
    model: type[Model],
    *,
    fields: Mapping[str, Label],
    secret_fields: tuple[str, ...] = (),
    created: str | None = None,
    updated: UpdateEvent = None,
    deleted: str | None = None,
    describe: Callable[[Any], str] = str,
    tenant_of: Callable[[Any], UUID] = _tenant_id,
) -> None:
    """Keep changes of `model`'s `fields` in the audit log; a kind of change whose event is None
    is not kept (a template created by opening the page is no edit)."""
    missing = set(secret_fields) - set(fields)
    if missing:
        raise ValueError(f"secret fields must be tracked fields too: {sorted(missing)}")
    TRACKED[model] = Tracking(
        fields=fields,
        secret_fields=frozenset(secret_fields),
        created=created,
        updated=updated,
        deleted=deleted,
        describe=describe,
        tenant_of=tenant_of,
    )
    auditlog.unregister(model)  # tests and reloads may register twice
    auditlog.register(
        model,
        include_fields=list(fields),
        mask_fields=list(secret_fields),
        mask_callable="tenancy.audit.mask_secret",
    )


def mask_secret(value: str) -> str:
    """auditlog's mask for secret fields. Its default keeps half of the value: not here. An empty
    secret stays empty, so setting one the first time shows as a change and none as none."""
    return SECRET if value and value != "None" else ""


def tracked_entry(
    instance: Model, action: int | None, changes: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The hotel, event and description of an auditlog entry, or None to write none."""
    tracking = TRACKED.get(type(instance))
    if tracking is None:
        return None
    if action == AuditEntry.Action.CREATE:
        event_key = tracking.created
    elif action == AuditEntry.Action.UPDATE:
        updated = tracking.updated
        event_key = updated(instance, changes or {}) if callable(updated) else updated
    elif action == AuditEntry.Action.DELETE:
        event_key = tracking.deleted
    else:
        event_key = None
    if event_key is None:
        return None
    return {
        "tenant_id": tracking.tenant_of(instance),
        "event": event_key,
        "object_repr": tracking.describe(instance),
    }


def field_label(entry: AuditEntry, name: str) -> str:
    model = entry.content_type.model_class()
    tracking = TRACKED.get(model) if model else None
    if tracking and name in tracking.fields:
        return str(tracking.fields[name])
    return name


# --- events that are no model change ---------------------------------------------------------


def record(
    where: HttpRequest | Tenant | UUID,
    event_key: str,
    target: Model | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    about: str | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Write one audit row for the hotel `where` names (a request of a hotel's member, a hotel, or
    a hotel's id). The actor is the request's user unless given (or, without a request, the user
    of the request being served: AuditContextMiddleware); `target` is what the event is about (the
    hotel itself if None), described by `about` or its str(); `details` is shown as it is, so put no personal data in it
    that the owner should not read, and never a secret (secret-sounding keys are masked anyway).

    Works in a request, a worker job or before any hotel is known (a failed login): it writes in
    its own savepoint with the hotel's RLS context, then restores the caller's.
    """
    if event_key not in EVENTS:
        raise ValueError(f"unknown audit event {event_key!r}: declare it with tenancy.audit.event")
    if isinstance(where, HttpRequest):
        request = where
        tenant = getattr(where, "tenant", None)
        if tenant is None:
            raise ValueError("record(request, ...) needs a request of a hotel's member")
        tenant_id = tenant.id
    else:
        tenant_id = where.id if isinstance(where, Tenant) else where
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user  # type: ignore[assignment]
    target_model = type(target) if target is not None else Tenant
    target_pk = target.pk if target is not None else tenant_id
    entry = AuditEntry(
        tenant_id=tenant_id,
        event=event_key,
        action=AuditEntry.Action.ACCESS,  # auditlog's "logged": the meaning is in `event`
        content_type=ContentType.objects.get_for_model(target_model),
        object_pk=str(target_pk),
        object_id=target_pk if isinstance(target_pk, int) else None,
        object_repr=about if about is not None else _describe(target),
        additional_data=_scrub(details) if details else None,
        actor=actor,
        actor_email=actor.email if actor is not None else None,
        remote_addr=client_address(request) if request is not None else None,
        cid=current_request_id(),
    )
    with acting_for_tenant(tenant_id):
        entry.save()
    return entry


def _describe(target: Model | None) -> str:
    if target is None:
        return ""
    tracking = TRACKED.get(type(target))
    return tracking.describe(target) if tracking else str(target)


def _scrub(value: Any, key: str = "") -> Any:
    """JSON-safe details with anything secret-sounding replaced by the marker."""
    if key and SECRET_KEY_PATTERN.search(key):
        return SECRET
    if isinstance(value, Mapping):
        return {str(k): _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def current_request_id() -> str | None:
    """AUDITLOG_CID_GETTER: an entry carries the request id its log lines carry."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return str(request_id) if request_id else None


# --- logins (django.contrib.auth's and django-axes' signals) ---------------------------------


def _account(username: object) -> User | None:
    if not isinstance(username, str) or not username.strip():
        return None
    return User.objects.filter(email__iexact=username.strip()).first()


def _record_for_account(
    user: User | None, event_key: str, request: HttpRequest | None, *, actor: User | None = None
) -> None:
    """An account's login event goes to its hotel's log; an account without a hotel (or an
    unknown address) has no hotel log, and the structured logs keep it."""
    if user is None:
        return
    tenant_id = lookups.tenant_of_user(user.pk)
    if tenant_id is None:
        return
    record(tenant_id, event_key, user, actor=actor, request=request)


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    _record_for_account(user, LOGIN, request, actor=user)


def on_login_failed(
    sender: Any, credentials: Mapping[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # django-axes handles the failure first (it is installed before tenancy): a failure that
    # locks the account, or is refused because it is locked, is the lockout's row, not this one.
    if request is None or getattr(request, "axes_locked_out", False):
        return
    _record_for_account(_account(credentials.get("username")), LOGIN_FAILED, request)


def on_locked_out(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    # Axes signals a lockout on every attempt while the lock lasts (and again when the lockout
    # page re-validates its form): the lock is one row, the first, until the cool-off ends.
    if getattr(request, "_innbox_lockout_audited", False):
        return
    request._innbox_lockout_audited = True  # type: ignore[attr-defined]
    user = _account(username)
    tenant_id = lookups.tenant_of_user(user.pk) if user is not None else None
    if user is None or tenant_id is None:
        return
    # No cool-off configured: a lock lasts until an administrator lifts it; a day bounds the look.
    since = timezone.now() - (get_cool_off(request) or dt.timedelta(days=1))
    with acting_for_tenant(tenant_id):
        already = AuditEntry.objects.filter(
            tenant_id=tenant_id, event=LOCKED_OUT, object_pk=str(user.pk), timestamp__gte=since
        ).exists()
    if not already:
        record(tenant_id, LOCKED_OUT, user, request=request)


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="innbox-audit-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="innbox-audit-login-failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="innbox-audit-locked-out")


# --- tenancy's own tracked models ------------------------------------------------------------


def _membership(membership: Membership) -> str:
    # The role is in the entry's changes, shown in the reader's language; stored text is not.
    return membership.user.email


def track_tenancy_models() -> None:
    track(
        Tenant,
        fields={
            "name": _("Name"),
            "time_zone": _("Time zone"),
            "default_language": _("Default language"),
            "country_code": _("Country"),
            "room_count": _("Rooms"),
        },
        updated=HOTEL_CHANGED,  # a new hotel's first row is its owner joining
        describe=lambda tenant: tenant.name,
        tenant_of=lambda tenant: tenant.pk,
    )
    track(
        Membership,
        fields={"role": _("Role")},
        created=MEMBER_JOINED,
        updated=ROLE_CHANGED,
        deleted=MEMBER_REMOVED,
        describe=_membership,
    )


# --- reading it (the /settings/audit/ page) --------------------------------------------------

SHOWN_LENGTH = 140


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    entry: AuditEntry
    who: str
    what: str
    about: str
    details: list[str]


def present(entry: AuditEntry) -> Line:
    if entry.actor_email:
        who = entry.actor_email
    elif entry.remote_addr:
        who = str(_("Someone not logged in"))
    else:
        who = str(_("Innbox (automatic)"))
    return Line(
        entry=entry,
        who=who,
        what=label_of(entry.event),
        about=entry.object_repr,
        details=_change_lines(entry) + _detail_lines(entry),
    )


def _change_lines(entry: AuditEntry) -> list[str]:
    lines = []
    for name, values in (entry.changes or {}).items():
        old, new = [*list(values), None, None][:2]
        label = field_label(entry, name)
        if entry.action == AuditEntry.Action.CREATE and _empty(new):
            continue  # a new record's empty fields say nothing
        if SECRET in (old, new):
            lines.append(str(_("%(field)s: changed")) % {"field": label})
        elif entry.action == AuditEntry.Action.CREATE:
            lines.append(f"{label}: {_shown(entry, name, new)}")
        elif entry.action == AuditEntry.Action.DELETE:
            lines.append(f"{label}: {_shown(entry, name, old)}")
        else:
            lines.append(f"{label}: {_shown(entry, name, old)} → {_shown(entry, name, new)}")
    return lines


def _empty(value: Any) -> bool:
    return value in (None, "", "None")


def _shown(entry: AuditEntry, name: str, value: Any) -> str:
    if _empty(value):
        return "—"
    model = entry.content_type.model_class()
    try:
        field = model._meta.get_field(name) if model else None
    except FieldDoesNotExist:  # a field since removed: the stored text as it is
        field = None
    choices = {str(key): label for key, label in getattr(field, "flatchoices", None) or []}
    text = str(choices.get(str(value), value))
    if text in ("True", "False"):
        text = str(_("yes")) if text == "True" else str(_("no"))
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


def _detail_lines(entry: AuditEntry) -> list[str]:
    details = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    return [
        f"{DETAIL_LABELS.get(key, key)}: {_plain(value)}"
        for key, value in details.items()
        if value not in (None, "")
    ]


def _plain(value: Any) -> str:
    if value == SECRET:
        return str(_("changed"))
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value)
    return str(value)
