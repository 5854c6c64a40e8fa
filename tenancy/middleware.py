"""Resolve the logged-in user's hotel into request.tenant and request.role.

The tenant comes from the user's membership only: never from a URL, a form or a header. On
PostgreSQL the rest of the request runs in one transaction whose RLS context names that tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import structlog
from auditlog.context import set_extra_data
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from innbox.client_address import client_address
from tenancy.db import enforces_rls, set_db_context
from tenancy.models import Membership, Tenant


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Times on pages are the hotel's, not the server's; reset for every request.
        timezone.deactivate()
        if not enforces_rls() or not request.user.is_authenticated:
            # Anonymous requests (login, signup, webhooks, /healthz) have no tenant; code that
            # acts for one opens its own transaction with acting_for_tenant().
            self._resolve(request)
            return self.get_response(request)
        # PostgreSQL: the tenant's RLS context holds for the whole request, in one transaction
        # (this replaces ATOMIC_REQUESTS, whose transaction would begin after middleware).
        with transaction.atomic():
            # Before the tenant is known, a user may read their own membership row only.
            set_db_context(user_id=request.user.pk)
            self._resolve(request, set_context=True)
            response = self.get_response(request)
            if response.status_code >= 500:
                # Django turned an exception into this response before it reached us: undo the
                # request's writes, as ATOMIC_REQUESTS would have.
                transaction.set_rollback(True)
            return response

    @staticmethod
    def _resolve(request: HttpRequest, *, set_context: bool = False) -> Membership | None:
        request.tenant = None  # type: ignore[attr-defined]
        request.role = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if not request.user.is_authenticated:
            return None
        membership = Membership.objects.filter(user_id=request.user.pk).first()
        if membership is None:
            return None
        if set_context:
            set_db_context(
                tenant_id=membership.tenant_id,
                role="owner" if membership.is_owner else "staff",
                user_id=request.user.pk,
            )
        # Loaded after the context is set: the tenants row is visible only to its own members.
        membership.tenant = Tenant.objects.get(pk=membership.tenant_id)
        request.membership = membership  # type: ignore[attr-defined]
        request.tenant = membership.tenant  # type: ignore[attr-defined]
        request.role = membership.role  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(tenant_id=str(membership.tenant_id))
        timezone.activate(ZoneInfo(membership.tenant.time_zone))
        return membership


class UserLanguageMiddleware:
    """Activate the logged-in user's chosen screen language for this request.

    A per-user field instead of LocaleMiddleware's cookie: the choice follows the person to any
    device. Anonymous pages (login, signup, webhooks) follow the browser's Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            language = getattr(request.user, "ui_language", "") or settings.LANGUAGE_CODE
        else:
            language = translation.get_language_from_request(request)
        # For this request only: the thread's language is put back after it, so nothing that
        # runs later in the thread (a test, a job run inline) speaks this user's language.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        if not request.user.is_authenticated:
            patch_vary_headers(response, ("Accept-Language",))
        return response


class AuditContextMiddleware:
    """Who is acting, and from where, for the audit rows django-auditlog writes during the
    request (tenancy.audit). Instead of auditlog's own middleware, which believes any
    X-Forwarded-For: the client's address is the one innbox.client_address trusts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = request.user if request.user.is_authenticated else None
        with set_extra_data(context_data={"actor": actor, "remote_addr": client_address(request)}):
            return self.get_response(request)
