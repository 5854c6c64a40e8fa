"""The application wall: the tenant comes from the membership, and other hotels' rows are 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from automation.models import AutomationJob, InboundEvent, JobKind, WorkerHeartbeat
from hotel.models import Guest, Reservation
from messaging.models import MessageTemplate, MessageTemplateVariant
from pms.models import PMSConfiguration
from tenancy.access import get_for_member, get_for_owner, tenant_queryset
from tenancy.models import Invitation, Membership, Role, Tenant, User, VerificationEmail
from tenancy.permissions import EDIT_HOTEL, requires
from tests import factories
from tests.helpers import innbox_apps

INNBOX_APPS = innbox_apps()
# Rows that belong to no hotel. A new model is tenant-scoped unless it is added here on purpose.
# VerificationEmail: an account's confirmation emails, sent before it has a hotel.
GLOBAL_MODELS = {User, WorkerHeartbeat, VerificationEmail}


def request_for(user: User, membership: Membership | None) -> object:
    request = RequestFactory().get("/")
    request.user = user
    request.tenant = membership.tenant if membership else None
    request.role = membership.role if membership else None
    return request


def test_every_model_is_tenant_scoped_or_declared_global() -> None:
    for model in apps.get_models():
        if model._meta.app_label not in INNBOX_APPS or model in GLOBAL_MODELS or model is Tenant:
            continue
        field = next((f for f in model._meta.fields if f.name == "tenant"), None)
        assert field is not None and field.related_model is Tenant, (
            f"{model.__name__} has no tenant: give it one (TenantScopedModel) or declare it global"
        )


def test_it_resolves_the_hotel_and_role_from_the_membership(
    client: Client, hotel_a: factories.Hotel
) -> None:
    client.force_login(hotel_a.staff)
    response = client.get("/")

    assert response.status_code == 200
    assert response.wsgi_request.tenant == hotel_a.tenant
    assert response.wsgi_request.role == Role.STAFF
    assert hotel_a.tenant.name in response.content.decode()


def test_it_sends_a_visitor_without_a_session_to_login(db: None, client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_it_sends_a_user_without_a_hotel_to_onboarding(db: None, client: Client) -> None:
    client.force_login(factories.make_user("lonely-"))
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/onboarding/"


def test_it_answers_404_for_another_hotels_record(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    request = request_for(hotel_a.owner, hotel_a.owner.membership)

    own = get_for_member(request, Reservation, public_id=hotel_a.reservation.public_id)
    assert own == hotel_a.reservation
    with pytest.raises(Http404):
        get_for_member(request, Reservation, public_id=hotel_b.reservation.public_id)


def test_it_lists_only_the_requests_hotel(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    request = request_for(hotel_a.staff, hotel_a.staff.membership)

    assert list(tenant_queryset(request, Guest)) == [hotel_a.guest]


def test_it_lists_nothing_for_a_user_without_a_hotel(hotel_a: factories.Hotel) -> None:
    request = request_for(factories.make_user("lonely-"), None)

    assert not tenant_queryset(request, Guest).exists()


def test_it_hides_owner_records_from_staff_as_404(hotel_a: factories.Hotel) -> None:
    factories.fill_every_table(hotel_a)
    staff_request = request_for(hotel_a.staff, hotel_a.staff.membership)
    owner_request = request_for(hotel_a.owner, hotel_a.owner.membership)

    assert get_for_owner(owner_request, PMSConfiguration, tenant=hotel_a.tenant)
    with pytest.raises(Http404):
        get_for_owner(staff_request, PMSConfiguration, tenant=hotel_a.tenant)


def test_owner_pages_answer_owners_only_to_staff(client: Client, hotel_a: factories.Hotel) -> None:
    view = requires(EDIT_HOTEL)(lambda request: HttpResponse("settings"))
    staff_request = request_for(hotel_a.staff, hotel_a.staff.membership)
    owner_request = request_for(hotel_a.owner, hotel_a.owner.membership)

    assert view(owner_request).status_code == 200
    refused = view(staff_request)
    assert refused.status_code == 403
    assert "Owners only" in refused.content.decode()


def test_the_database_refuses_a_second_hotel_for_one_user(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(tenant=hotel_b.tenant, user=hotel_a.staff, role=Role.STAFF)


def _violations(hotel: factories.Hotel) -> dict[str, object]:
    """Each writes a row the plan's rules forbid; the database must refuse every one."""
    tenant, reservation = hotel.tenant, hotel.reservation
    template = MessageTemplate.objects.get(tenant=tenant)
    later = timezone.now() + dt.timedelta(days=7)
    return {
        "role outside owner|staff": lambda: Membership.objects.create(
            tenant=tenant, user=factories.make_user("x-"), role="admin"
        ),
        "second template for a trigger": lambda: MessageTemplate.objects.create(
            tenant=tenant, trigger=template.trigger, name="again"
        ),
        "second variant for a language": lambda: MessageTemplateVariant.objects.create(
            template=template, language_code="en", content="again"
        ),
        "same inbound event twice": lambda: InboundEvent.objects.create(
            tenant=tenant,
            source="pms",
            event_id=InboundEvent.objects.get(tenant=tenant).event_id,
            event_type="x",
            payload={},
        ),
        "same job idempotency key twice": lambda: AutomationJob.objects.create(
            tenant=tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=AutomationJob.objects.get(tenant=tenant).idempotency_key,
            run_at=timezone.now(),
        ),
        "unknown job status": lambda: AutomationJob.objects.create(
            tenant=tenant, kind=JobKind.SEND_MESSAGE, status="lost", run_at=timezone.now()
        ),
        "unknown reservation status": lambda: Reservation.objects.filter(pk=reservation.pk).update(
            status="checked-in"
        ),
        "feedback rating 6": lambda: Reservation.objects.filter(pk=reservation.pk).update(
            feedback_rating=6
        ),
        "check-out before check-in": lambda: Reservation.objects.filter(pk=reservation.pk).update(
            check_out=reservation.check_in - dt.timedelta(days=1)
        ),
        "same PMS reservation twice": lambda: Reservation.objects.create(
            tenant=tenant,
            guest=hotel.guest,
            pms_reservation_id=reservation.pms_reservation_id,
            check_in=reservation.check_in,
            check_out=reservation.check_out,
        ),
        "two pending invitations for one email": lambda: Invitation.objects.create(
            tenant=tenant,
            invited_email=Invitation.objects.get(tenant=tenant).invited_email.upper(),
            token_hash="f" * 64,
            expires_at=later,
        ),
        "unknown invitation status": lambda: Invitation.objects.filter(tenant=tenant).update(
            status="maybe"
        ),
        "same email twice, other case": lambda: User.objects.create(
            email=hotel.owner.email.upper()
        ),
    }


VIOLATIONS = [
    "role outside owner|staff",
    "second template for a trigger",
    "second variant for a language",
    "same inbound event twice",
    "same job idempotency key twice",
    "unknown job status",
    "unknown reservation status",
    "feedback rating 6",
    "check-out before check-in",
    "same PMS reservation twice",
    "two pending invitations for one email",
    "unknown invitation status",
    "same email twice, other case",
]


@pytest.mark.parametrize("rule", VIOLATIONS)
def test_the_database_enforces_the_plans_rules(rule: str, hotel_a: factories.Hotel) -> None:
    factories.fill_every_table(hotel_a)
    violation = _violations(hotel_a)[rule]

    with pytest.raises(IntegrityError), transaction.atomic():
        violation()
