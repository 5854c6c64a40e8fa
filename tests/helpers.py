"""Helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from agent.demo import seed_menu_and_knowledge
from agent.tools import AgentContext
from automation.models import AutomationJob, InboundEvent, WorkerHeartbeat
from hotel.models import Guest, Reservation, ReservationStatus
from messaging.defaults import seed_default_templates
from messaging.models import Direction, MessageLog, MessageStatus
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from whatsapp import sessions

ROOT = Path(__file__).resolve().parent.parent


def innbox_apps() -> set[str]:
    """Every installed app that is ours (a folder of this repository), so a new app is
    enumerated by the isolation tests without anybody remembering to add it."""
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }


QLOAPPS_FIXTURES = Path(__file__).parent / "fixtures" / "qloapps"
_numbers = itertools.count(1000)


@contextmanager
def django_connected_as(role: str) -> Iterator[None]:
    original = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == role
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = original


# The pushed stay runs around today (yesterday to the day after tomorrow): tests that travel to
# today's midday in Jakarta find it in house, whatever day the suite runs.
STAY_START = dt.date.today() - dt.timedelta(days=1)
STAY_END = STAY_START + dt.timedelta(days=3)
EVENT = {
    "type": "reservation.upserted",
    "reservation": {
        "id": "R-1042",
        "status": "pre-arrival",
        "check_in": STAY_START.isoformat(),
        "check_out": STAY_END.isoformat(),
        "booking_code": "HX7K2",
        "room_number": "214",
        "guest": {"id": "G-77", "first_name": "Siti", "phone": "+6281234560001", "language": "id"},
    },
}


def post(
    client: Client,
    hotel: factories.Hotel,
    secret: str,
    body: Any = EVENT,
    *,
    webhook_id: str | None = None,
    timestamp: int | None = None,
    signature: str | None = None,
    raw: bytes | None = None,
):
    content = raw if raw is not None else json.dumps(body).encode()
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": stamp,
        "HTTP_WEBHOOK_SIGNATURE": signature or pms_webhook.sign(secret, webhook_id, stamp, content),
    }
    return client.post(
        f"/api/webhooks/pms/{hotel.tenant.public_id}/",
        content,
        content_type="application/json",
        **headers,
    )


def guest_writes(
    client: Client,
    chat_id: str,
    text: str,
    *,
    message_id: str | None = None,
    sent_at: dt.datetime | None = None,
) -> Any:
    """WAHA tells the hotel's webhook that `chat_id` wrote `text` (a new event each call; the
    same `message_id` twice is WhatsApp redelivering one message), signed with the configured
    key as tests/test_whatsapp_webhook.py does."""
    payload = {
        "id": message_id or f"false_{chat_id}_{uuid.uuid4().hex[:16].upper()}",
        "timestamp": int(sent_at.timestamp() if sent_at else time.time()),
        "from": chat_id,
        "fromMe": False,
        "source": "app",
        "to": "6281100001111@c.us",
        "body": text,
        "hasMedia": False,
    }
    raw = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "timestamp": int(time.time() * 1000),
            "event": "message",
            "session": "default",
            "payload": payload,
            "engine": "NOWEB",
        }
    ).encode()
    key = django_settings.WAHA_WEBHOOK_HMAC_KEY.encode()
    return client.post(
        "/api/webhooks/waha/",
        raw,
        content_type="application/json",
        HTTP_X_WEBHOOK_HMAC=hmac.new(key, raw, hashlib.sha512).hexdigest(),
        HTTP_X_WEBHOOK_HMAC_ALGORITHM="sha512",
        HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time() * 1000)),
    )


def whatsapp_acks(client: Client, message_id: str, ack: int) -> Any:
    """WAHA tells the hotel's webhook how far a message we sent got (1 sent, 2 delivered, 3 read,
    -1 error), signed as guest_writes is."""
    names = {-1: "ERROR", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
    chat = message_id.split("_")[1] if "_" in message_id else ""
    raw = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "timestamp": int(time.time() * 1000),
            "event": "message.ack",
            "session": "default",
            "payload": {
                "id": message_id,
                "from": "6281100001111@c.us",
                "to": chat,
                "fromMe": True,
                "ack": ack,
                "ackName": names[ack],
            },
            "engine": "NOWEB",
        }
    ).encode()
    key = django_settings.WAHA_WEBHOOK_HMAC_KEY.encode()
    return client.post(
        "/api/webhooks/waha/",
        raw,
        content_type="application/json",
        HTTP_X_WEBHOOK_HMAC=hmac.new(key, raw, hashlib.sha512).hexdigest(),
        HTTP_X_WEBHOOK_HMAC_ALGORITHM="sha512",
        HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time() * 1000)),
    )


def session_cookie(base_url: str, user) -> list[dict]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return [
        {
            "name": django_settings.SESSION_COOKIE_NAME,
            "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
            "url": base_url,
        }
    ]


KEY = "ZQ88PRJX5VWQHCWE4EE7SQ7HPNX00RAJ"


def load(name: str) -> Any:
    return json.loads((QLOAPPS_FIXTURES / name).read_text())


class FakeQloApps:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.override: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None:
            return self.override
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return httpx.Response(
                401, json={"errors": [{"code": 18, "message": "Invalid authentication key format"}]}
            )
        resource = request.url.path.rsplit("/", 1)[-1]
        params = dict(request.url.params)
        if resource == "room_bookings":
            rows = load("room_bookings.json")["bookings"]
            offset, count = (int(part) for part in params.get("limit", "0,1000").split(","))
            chunk = rows[offset : offset + count]
            return httpx.Response(200, json={"bookings": chunk} if chunk else [])
        if resource in ("orders", "customers", "languages", "currencies"):
            return httpx.Response(200, json=load(f"{resource}.json"))
        return httpx.Response(404)


def hotel_now(hotel: factories.Hotel) -> dt.datetime:
    return timezone.localtime(timezone=ZoneInfo(hotel.tenant.time_zone))


def today(hotel: factories.Hotel) -> dt.date:
    return hotel_now(hotel).date()


def stay(
    hotel: factories.Hotel,
    *,
    status: str = ReservationStatus.PRE_ARRIVAL,
    room: str = "",
    check_in: dt.date | None = None,
    nights: int = 2,
) -> Reservation:
    n = next(_numbers)
    guest = Guest.objects.create(tenant=hotel.tenant, first_name="G", last_name=str(n))
    check_in = check_in or today(hotel)
    return Reservation.objects.create(
        tenant=hotel.tenant,
        guest=guest,
        pms_reservation_id=f"S{n}",
        room_number=room,
        status=status,
        check_in=check_in,
        check_out=check_in + dt.timedelta(days=nights),
    )


def message(
    hotel: factories.Hotel,
    status: str = MessageStatus.DELIVERED,
    *,
    created: dt.datetime | None = None,
    sent: dt.datetime | None = None,
    direction: str = Direction.OUTBOUND,
) -> MessageLog:
    log = MessageLog.objects.create(
        tenant=hotel.tenant,
        direction=direction,
        guest=hotel.guest,
        body="Hello",
        status=status,
        sent_at=sent,
    )
    if created is not None:  # created_at is auto_now_add: move it afterwards
        MessageLog.objects.filter(pk=log.pk).update(created_at=created)
    return log


PRODUCTION_ENV = {
    "INNBOX_ENV": "production",
    "APP_URL": "https://inn.example.com",
    "DATABASE_URL": "postgres://innbox_app@db.example.com:5432/innbox",
    "SECRET_KEY": "p" * 60,
    "CREDENTIALS_ENCRYPTION_KEYS": "ZGV2LW9ubHktaW5zZWN1cmUtY3JlZGVudGlhbC1rZXk=",
    "CRON_SECRET": "c" * 32,
    "WAHA_BASE_URL": "http://waha.internal:3000",
    "WAHA_API_KEY": "waha-key",
    "WAHA_WEBHOOK_HMAC_KEY": "h" * 32,
    "EMAIL_HOST": "smtp.example.com",
    "DEFAULT_FROM_EMAIL": "Innbox <inn@example.com>",
}


PHONE = {"width": 390, "height": 844}


def open_as(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


MIDDAY_IN_JAKARTA = dt.datetime.combine(dt.date.today(), dt.time(12), ZoneInfo("Asia/Jakarta"))


CHECKED_IN = {**EVENT, "reservation": {**EVENT["reservation"], "status": "on-stay"}}


def connect_whatsapp(hotel: factories.Hotel, fake: Any, settings: Any) -> None:
    settings.WAHA_MIN_GAP_SECONDS = settings.WAHA_MAX_GAP_SECONDS = 0
    sessions.connect(hotel.tenant)
    deadline = time.monotonic() + 5
    while fake.sessions["default"].status != "SCAN_QR_CODE":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fake.pair("default")
    sessions.refresh(hotel.tenant)


def checked_in(hotel: factories.Hotel, fake: Any, settings: Any) -> AutomationJob:
    """A guest checks in through a signed PMS webhook: one welcome message is queued."""
    settings.APP_URL = "http://127.0.0.1:9"
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        seed_default_templates(hotel.tenant)
        secret = pms_webhook.rotate_secret(
            PMSConfiguration.objects.create(tenant=hotel.tenant, provider="demo")
        )
    connect_whatsapp(hotel, fake, settings)
    post(Client(), hotel, secret, EVENT)
    post(Client(), hotel, secret, CHECKED_IN)
    return AutomationJob.objects.get(kind="send_message")


def worker_seen(at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker="test-host:1:1", defaults={"started_at": at, "seen_at": at}
    )


TOKEN = "metrics-test-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.running = env, logs, {}

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=ROOT,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[str]:
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def as_role(url: str, role: str) -> str:
    """The same database, logged in as `role` (the test server trusts local logins)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


def concierge_guest(
    hotel: factories.Hotel, *, at: dt.datetime | None = None, conversation: str = "chat-1"
) -> AgentContext:
    """The hotel's guest in house in room 214 with the demo menu and knowledge base, and the
    AgentContext a conversation of theirs would bind (at 19:30 hotel time unless `at`)."""
    with acting_for_tenant(hotel.tenant.id):
        Reservation.objects.filter(pk=hotel.reservation.pk).update(
            status=ReservationStatus.ON_STAY, room_number="214"
        )
        seed_menu_and_knowledge(hotel.tenant)
    hotel.reservation.refresh_from_db()
    zone = ZoneInfo(hotel.tenant.time_zone)
    now = at or dt.datetime.combine(today(hotel), dt.time(19, 30), tzinfo=zone)
    return AgentContext(
        hotel.tenant, hotel.guest, hotel.reservation, conversation, language="en", now=now
    )


@dataclass
class Person:
    """A guest with something in every table that can hold a guest's data, and the strings that
    name them there (what an erasure or the purge must leave nowhere)."""

    guest: Guest
    reservation: Reservation
    names: list[str]


def furnish_guest(
    hotel: factories.Hotel,
    secret: str,
    *,
    first: str,
    last: str,
    phone: str,
    email: str,
    pms_id: str,
    check_in: dt.date,
    check_out: dt.date,
    status: str = "checked-out",
) -> Person:
    """Through the PMS push (guest, stay, the raw event), then as the other apps would write:
    messages both ways (one from their number before Innbox knew it), a room-service order with
    a note, a housekeeping request, feedback, consent history, a job whose error quotes them,
    their conversation (with a staff note, a concierge's line, an escalation quoting them) and a
    draft order the concierge wrote for them, and the words of their answer to the concierge's
    post-stay follow-up."""
    from agent.models import (
        FeedbackFollowUp,
        HousekeepingRequest,
        HousekeepingType,
        PendingOrder,
        RoomServiceOrder,
    )
    from automation.models import JobKind, JobStatus
    from conversations.models import Conversation, ConversationNote, NoteKind
    from hotel.consent import record_consent_change
    from hotel.models import ConsentChange, ConsentSource

    event = {
        "type": "reservation.upserted",
        "reservation": {
            "id": f"R-{pms_id}",
            "status": status,
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
            "booking_code": f"B{pms_id}",
            "room_number": "214",
            "guest": {
                "id": f"G-{pms_id}",
                "first_name": first,
                "last_name": last,
                "phone": phone,
                "email": email,
                "language": "id",
            },
        },
    }
    assert post(Client(), hotel, secret, event).status_code == 200
    tenant = hotel.tenant
    chat = phone.lstrip("+") + "@c.us"
    with acting_for_tenant(tenant.id, role="owner"):
        reservation = Reservation.objects.select_related("guest").get(
            tenant=tenant, pms_reservation_id=f"R-{pms_id}"
        )
        guest = reservation.guest
        guest.whatsapp_chat_id = chat
        guest.save(update_fields=["whatsapp_chat_id"])
        said = f"{first} here, I am allergic to peanuts"
        inbound = MessageLog.objects.create(
            tenant=tenant,
            direction=Direction.INBOUND,
            guest=guest,
            reservation=reservation,
            body=said,
            chat_id=chat,
            waha_message_id=f"false_{chat}_{pms_id}A",
            status=MessageStatus.RECEIVED,
        )
        InboundEvent.objects.create(
            tenant=tenant,
            source="waha",
            event_id=f"false_{chat}_{pms_id}A",
            event_type="message",
            payload={"event": "message", "payload": {"from": chat, "body": said}},
        )
        MessageLog.objects.create(  # before the guest was matched: no guest on the row
            tenant=tenant,
            direction=Direction.INBOUND,
            body=f"Hello, this is {first} {last}",
            chat_id=chat,
            status=MessageStatus.RECEIVED,
        )
        MessageLog.objects.create(
            tenant=tenant,
            direction=Direction.OUTBOUND,
            guest=guest,
            reservation=reservation,
            origin="pre-arrival",
            body=f"Halo {first} {last}, see you in room 214",
            chat_id=chat,
            waha_message_id=f"true_{chat}_{pms_id}B",
            status=MessageStatus.READ,
        )
        RoomServiceOrder.objects.create(
            tenant=tenant,
            reservation=reservation,
            guest=guest,
            room_number="214",
            items=[{"name": "Nasi goreng", "quantity": 2, "notes": f"for {first}, no peanuts"}],
            notes=f"{last} asked for extra chili",
        )
        HousekeepingRequest.objects.create(
            tenant=tenant,
            reservation=reservation,
            guest=guest,
            room_number="214",
            request_type=HousekeepingType.TOWELS,
            details=f"{first} wants two more towels",
        )
        Reservation.objects.filter(pk=reservation.pk).update(
            feedback_status="completed",
            feedback_rating=4,
            feedback_comments=f"Lovely stay, {first}",
            feedback_token_hash=hashlib.sha256(pms_id.encode()).hexdigest(),
        )
        record_consent_change(
            guest,
            ConsentChange.OPTED_OUT,
            ConsentSource.GUEST_MESSAGE,
            text_shown="You will receive no more messages from us on WhatsApp.",
            message_id=inbound.pk,
        )
        record_consent_change(
            guest,
            ConsentChange.OPTED_IN,
            ConsentSource.STAFF,
            recorded_by_id=hotel.owner.pk,
            note=f"{first} asked at the desk ({email})",
        )
        AutomationJob.objects.create(
            tenant=tenant,
            kind=JobKind.SEND_MESSAGE,
            status=JobStatus.FAILED,
            reservation=reservation,
            run_at=timezone.now(),
            payload={"reservation": reservation.pk, "trigger": "on-stay"},
            last_error=f"invalid chatId {chat}",
            error_history=[{"attempt": 1, "error": f"invalid chatId {chat}"}],
        )
        conversation = Conversation.objects.create(
            tenant=tenant,
            chat_id=chat,
            phone_e164=phone,
            contact_name=f"{first} {last}",
            guest=guest,
            reservation=reservation,
            last_message_at=timezone.now(),
            last_message_preview=said,
            escalated_at=timezone.now(),
            escalation_reason=f"{first} wants to speak to the manager",
        )
        ConversationNote.objects.create(
            tenant=tenant,
            conversation=conversation,
            author=hotel.owner,
            body=f"{last} is a regular, write to {email}",
        )
        ConversationNote.objects.create(
            tenant=tenant,
            conversation=conversation,
            kind=NoteKind.SYSTEM,
            body=f"request_housekeeping: towels for {first}",
        )
        ConversationNote.objects.create(
            tenant=tenant,
            conversation=conversation,
            kind=NoteKind.EVENT,
            body="Asked for a person: %(reason)s",
            params={"reason": f"{first} wants to speak to the manager"},
        )
        PendingOrder.objects.create(
            tenant=tenant,
            conversation_key=str(conversation.public_id),
            reservation=reservation,
            guest=guest,
            items=[{"name": "Es teh", "quantity": 1, "notes": f"{first}: less sugar"}],
            total="15000.00",
            currency="IDR",
            expires_at=timezone.now() + dt.timedelta(minutes=30),
        )
        FeedbackFollowUp.objects.create(
            tenant=tenant,
            reservation=reservation,
            guest=guest,
            comments=f"{first} loved the pool, {last} did not",
        )
    return Person(
        guest=guest,
        reservation=reservation,
        names=[first, last, phone, phone.lstrip("+"), email],
    )


def texts_of_every_table(tenant_ids: list[Any] | None = None) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every text, string and JSON value of every model of ours, found
    from the models: where a guest's personal data could be, whichever app added the table."""
    from django.db import models as db

    for model in apps.get_models():
        if model._meta.app_label not in innbox_apps():
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, db.CharField | db.TextField | db.JSONField | db.EmailField)
        ]
        rows = model._default_manager.all()
        if tenant_ids is not None and any(f.name == "tenant" for f in model._meta.fields):
            rows = rows.filter(tenant_id__in=tenant_ids)
        for values in rows.values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, values, strict=True):
                if value not in (None, "", {}, []):
                    text = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    yield model._meta.db_table, field.name, text


def where_named(names: list[str]) -> list[tuple[str, str]]:
    """Every (table, column) still holding one of `names` (case aside)."""
    lowered = [name.lower() for name in names]
    return sorted(
        {
            (table, column)
            for table, column, text in texts_of_every_table()
            if any(name in text.lower() for name in lowered)
        }
    )
