"""Access helpers: the only way views reach tenant data.

A record of another tenant is a 404, exactly like a missing one, so a URL never confirms that
something exists elsewhere. `get_for_owner` also answers 404 to staff, for records only owners
handle; a whole page that is the owners' answers "Owners only" instead (tenancy.permissions).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from tenancy.models import Membership, Role, Tenant, User

M = TypeVar("M", bound=Model)


class TenantRequest(HttpRequest):
    """What TenantMiddleware adds to a request (for type checkers)."""

    tenant: Tenant | None
    role: str | None
    membership: Membership | None
    request_id: str


class MemberRequest(TenantRequest):
    """A request that passed member_required: logged in, with a hotel."""

    tenant: Tenant
    role: str
    membership: Membership
    user: User  # type: ignore[assignment]


def tenant_queryset(
    request: TenantRequest, model_or_queryset: type[M] | QuerySet[M]
) -> QuerySet[M]:
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    if request.tenant is None:
        return queryset.none()
    return queryset.filter(tenant=request.tenant)


def get_for_member(
    request: TenantRequest, model_or_queryset: type[M] | QuerySet[M], **lookup: Any
) -> M:
    try:
        return get_object_or_404(tenant_queryset(request, model_or_queryset), **lookup)
    except (ValidationError, ValueError):  # "not-a-uuid" from a form field: as missing as any
        raise Http404 from None


def get_for_owner(
    request: TenantRequest, model_or_queryset: type[M] | QuerySet[M], **lookup: Any
) -> M:
    if request.role != Role.OWNER:
        raise Http404
    return get_for_member(request, model_or_queryset, **lookup)


View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    """Logged in and a member of a hotel; otherwise to login or onboarding.

    Not a permission declaration: views declare who may use them with tenancy.permissions
    (`@requires(ACTION)`), which does this and checks the role."""

    @login_required
    @wraps(view)
    def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.tenant is None:
            return redirect("onboarding")
        return view(request, *args, **kwargs)

    return wrapper


def owner_required(view: View) -> View:
    """Owners only; staff get the "Owners only" page (403). Not a permission declaration either:
    use `@requires(ACTION)` of tenancy.permissions, whose action says what staff may not do."""

    @member_required
    @wraps(view)
    def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.role != Role.OWNER:
            return render(request, "tenancy/owners_only.html", {"action": None}, status=403)
        return view(request, *args, **kwargs)

    return wrapper
