"""Test data: a hotel with an owner, a staff member and one row of every tenant-scoped table."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import secrets
from dataclasses import dataclass

from django.utils import timezone

from agent.models import (
    BoardSettings,
    FeedbackFollowUp,
    HousekeepingRequest,
    HousekeepingType,
    KnowledgeEntry,
    MenuItem,
    PendingOrder,
    RoomServiceOrder,
)
from automation.models import AutomationJob, EventSource, InboundEvent, JobKind
from compliance.models import DataRequest, RequestKind
from conversations.models import Conversation, ConversationNote, SavedReply
from feedback.models import FeedbackSettings
from hotel.models import (
    ConsentChange,
    ConsentEvent,
    ConsentSource,
    Guest,
    Reservation,
    ReservationStatus,
    StatusTransition,
)
from messaging.models import (
    Direction,
    JourneySettings,
    MessageLog,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    MessageTemplateVariant,
    Trigger,
)
from pms.adapters.base import Page, PMSGuest, PMSReservation
from pms.adapters.demo import DemoAdapter
from pms.models import PMSConfiguration, PMSProvider, SyncRun
from tenancy.db import acting_for_tenant
from tenancy.models import Invitation, Membership, Role, Tenant, User
from tenancy.services import create_tenant_with_owner
from whatsapp.models import RefusedNumber, WahaConfiguration

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


@dataclass
class Hotel:
    tenant: Tenant
    owner: User
    staff: User
    guest: Guest
    reservation: Reservation


def make_user(prefix: str, *, verified: bool = True) -> User:
    """An account as they exist: its address confirmed (signup tests make unverified ones)."""
    return User.objects.create_user(
        f"{prefix}{next(_sequence)}@example.com",
        PASSWORD,
        email_verified_at=timezone.now() if verified else None,
    )


def make_hotel(name: str) -> Hotel:
    slug = name.lower().replace(" ", "-")
    owner = make_user(f"owner-{slug}-")
    tenant = create_tenant_with_owner(owner, name=name)
    with acting_for_tenant(tenant.id, role="owner"):
        staff = make_user(f"staff-{slug}-")
        Membership.objects.create(tenant=tenant, user=staff, role=Role.STAFF)
        n = next(_sequence)
        guest = Guest.objects.create(
            tenant=tenant,
            pms_guest_id=f"G{n}",
            first_name="Ana",
            last_name=f"Guest {n}",
            phone_e164=f"+62812345{n:05d}",
            language="id",
        )
        reservation = Reservation.objects.create(
            tenant=tenant,
            guest=guest,
            pms_reservation_id=f"R{n}",
            booking_code=f"BK{n}",
            room_number="101",
            check_in=timezone.localdate(),
            check_out=timezone.localdate() + dt.timedelta(days=2),
        )
    return Hotel(tenant=tenant, owner=owner, staff=staff, guest=guest, reservation=reservation)


def fill_every_table(hotel: Hotel) -> None:
    """One row in each tenant-scoped table that make_hotel leaves empty."""
    tenant, n = hotel.tenant, next(_sequence)
    with acting_for_tenant(tenant.id, role="owner"):
        Invitation.objects.create(
            tenant=tenant,
            invited_email=f"invitee{n}@example.com",
            invited_by=hotel.owner,
            token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            expires_at=timezone.now() + dt.timedelta(days=7),
        )
        config = PMSConfiguration(tenant=tenant, provider=PMSProvider.DEMO)
        config.set_credentials({"api_key": f"secret-{n}"})
        config.save()
        WahaConfiguration.objects.create(tenant=tenant, session_name=f"tenant-{n}")
        JourneySettings.objects.create(tenant=tenant, pre_arrival_days_before=2)
        template = MessageTemplate.objects.create(
            tenant=tenant, trigger=Trigger.PRE_ARRIVAL, name="Before you arrive"
        )
        MessageTemplateVariant.objects.create(
            template=template, language_code="en", content="Hello {{guestName}}"
        )
        job = AutomationJob.objects.create(
            tenant=tenant,
            kind=JobKind.SEND_MESSAGE,
            idempotency_key=f"{hotel.reservation.pk}:pre-arrival",
            reservation=hotel.reservation,
            run_at=timezone.now(),
        )
        MessageLog.objects.create(
            tenant=tenant,
            direction=Direction.OUTBOUND,
            guest=hotel.guest,
            reservation=hotel.reservation,
            template=template,
            job=job,
            origin=MessageOrigin.PRE_ARRIVAL,
            language_code="en",
            body="Hello Ana",
            status=MessageStatus.QUEUED,
        )
        InboundEvent.objects.create(
            tenant=tenant, source=EventSource.PMS, event_id=f"evt-{n}", event_type="x", payload={}
        )
        RoomServiceOrder.objects.create(
            tenant=tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            items=[{"name": "Nasi goreng", "quantity": 1}],
        )
        MenuItem.objects.create(tenant=tenant, name="Nasi Goreng", price=65000)
        KnowledgeEntry.objects.create(
            tenant=tenant, question="What time is check-out?", answer="At noon.", language="en"
        )
        PendingOrder.objects.create(
            tenant=tenant,
            conversation_key=f"conversation-{n}",
            reservation=hotel.reservation,
            guest=hotel.guest,
            items=[{"name": "Nasi Goreng", "quantity": 1, "unit_price": "65000"}],
            total=65000,
            currency="IDR",
            expires_at=timezone.now() + dt.timedelta(minutes=30),
        )
        FeedbackFollowUp.objects.create(
            tenant=tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            comments="It was lovely, thank you",
        )
        run = SyncRun.objects.create(
            tenant=tenant,
            provider="demo",
            range_start=hotel.reservation.check_in,
            range_end=hotel.reservation.check_out,
        )
        StatusTransition.objects.create(
            tenant=tenant,
            reservation=hotel.reservation,
            from_status="pre-arrival",
            to_status="on-stay",
            source="sync:demo",
            sync_run=run,
        )
        HousekeepingRequest.objects.create(
            tenant=tenant,
            reservation=hotel.reservation,
            guest=hotel.guest,
            room_number="101",
            request_type=HousekeepingType.TOWELS,
        )
        conversation = Conversation.objects.create(
            tenant=tenant,
            chat_id=f"{hotel.guest.phone_e164.lstrip('+')}@c.us",
            phone_e164=hotel.guest.phone_e164,
            guest=hotel.guest,
            reservation=hotel.reservation,
        )
        ConversationNote.objects.create(
            tenant=tenant, conversation=conversation, author=hotel.staff, body="Prefers email"
        )
        SavedReply.objects.create(
            tenant=tenant, name=f"Wi-Fi {n}", body="The password is on the card"
        )
        RefusedNumber.objects.create(tenant=tenant, phone_e164=f"+62813{n:07d}", reason="STOP")
        BoardSettings.objects.create(tenant=tenant)
        ConsentEvent.objects.create(
            tenant=tenant,
            guest=hotel.guest,
            change=ConsentChange.OPTED_OUT,
            source=ConsentSource.STAFF,
            recorded_by=hotel.staff,
        )
        DataRequest.objects.create(
            tenant=tenant, kind=RequestKind.EXPORT, guest=hotel.guest, requested_by=hotel.owner
        )
        FeedbackSettings.objects.create(
            tenant=tenant, google_url="https://g.page/r/example/review", ask_room=True
        )


def pms_stay(pms_id: str, guest_id: str, *, phone: str = "", name: str = "Rina") -> PMSReservation:
    """A stay as an adapter hands it to the sync, with the guest's phone as the PMS has it."""
    today = timezone.localdate()
    return PMSReservation(
        pms_id=pms_id,
        guest=PMSGuest(pms_id=guest_id, first_name=name, last_name=guest_id, phone=phone),
        status=ReservationStatus.PRE_ARRIVAL,
        pms_status="booked",
        check_in=today + dt.timedelta(days=3),
        check_out=today + dt.timedelta(days=5),
    )


class StaysAdapter(DemoAdapter):
    """A PMS whose pull returns exactly the given pages of stays."""

    def __init__(self, *pages: list[PMSReservation]) -> None:
        super().__init__()
        self.pages = pages

    def pull_reservations(self, start: dt.date, end: dt.date):  # type: ignore[no-untyped-def]
        for stays in self.pages:
            yield Page(reservations=stays)
