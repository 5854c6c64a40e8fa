"""/feedback/: what the hotel learns from its guests' ratings and from its journey messages.

The funnel test seeds a hotel with a mix of touchpoint messages (queued, failed, sent, delivered,
read; replies inside and outside the reply window or after the next touchpoint; forms completed)
and checks the page's numbers against counts computed here, message by message, from the rows
themselves. Another hotel writing in the same chats never counts."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from hotel.models import Guest, Reservation
from messaging.models import Direction, MessageLog, MessageOrigin, MessageStatus, Trigger
from tenancy.db import acting_for_tenant
from tests import factories

pytestmark = pytest.mark.django_db

TOUCHPOINTS = [str(value) for value in Trigger.values]
REPLY_WINDOW = dt.timedelta(hours=48)
NOW = timezone.now()


@dataclass
class Chat:
    hotel: factories.Hotel
    guest: Guest
    reservation: Reservation
    chat_id: str


_chats = iter(range(10_000, 99_999))


def new_chat(hotel: factories.Hotel, chat_id: str | None = None) -> Chat:
    n = next(_chats)
    with acting_for_tenant(hotel.tenant.id):
        guest = Guest.objects.create(
            tenant=hotel.tenant, first_name="Guest", last_name=str(n), phone_e164=f"+62811{n:07d}"
        )
        reservation = Reservation.objects.create(
            tenant=hotel.tenant,
            guest=guest,
            pms_reservation_id=f"A{n}",
            status="checked-out",
            check_in=NOW.date() - dt.timedelta(days=5),
            check_out=NOW.date() - dt.timedelta(days=2),
        )
    return Chat(hotel, guest, reservation, chat_id or f"62811{n:07d}@c.us")


def message(
    chat: Chat,
    at: dt.datetime,
    *,
    origin: str = "",
    status: str = MessageStatus.RECEIVED,
    direction: str = Direction.OUTBOUND,
) -> MessageLog:
    with acting_for_tenant(chat.hotel.tenant.id):
        row = MessageLog.objects.create(
            tenant=chat.hotel.tenant,
            direction=direction,
            guest=chat.guest,
            reservation=chat.reservation,
            origin=origin,
            body="…",
            chat_id=chat.chat_id,
            status=status,
            sent_at=at if status not in (MessageStatus.QUEUED, MessageStatus.RECEIVED) else None,
        )
        MessageLog.objects.filter(pk=row.pk).update(created_at=at)
    row.created_at = at
    return row


def guest_writes(chat: Chat, at: dt.datetime) -> MessageLog:
    return message(chat, at, direction=Direction.INBOUND)


def complete_form(chat: Chat, rating: int, *, source: str = "form", **fields: object) -> None:
    with acting_for_tenant(chat.hotel.tenant.id):
        Reservation.objects.filter(pk=chat.reservation.pk).update(
            feedback_status="completed",
            feedback_rating=rating,
            feedback_source=source,
            feedback_submitted_at=fields.pop("at", NOW - dt.timedelta(days=1)),
            **fields,
        )


def seed_journeys(hotel: factories.Hotel, seed: int) -> None:
    """Per touchpoint, chats with every kind of outcome, drawn at random (a fixed seed)."""
    pick = random.Random(seed)
    statuses = [
        MessageStatus.QUEUED,
        MessageStatus.FAILED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.READ,
    ]
    for index, touchpoint in enumerate(TOUCHPOINTS):
        for n in range(12):
            chat = new_chat(hotel)
            sent_at = NOW - dt.timedelta(days=20 - index, hours=n)
            message(chat, sent_at, origin=touchpoint, status=pick.choice(statuses))
            reply = pick.choice(["none", "soon", "late", "after-next", "before"])
            if reply == "soon":
                guest_writes(chat, sent_at + dt.timedelta(hours=pick.choice([1, 30, 47])))
            elif reply == "late":
                guest_writes(chat, sent_at + dt.timedelta(hours=49))
            elif reply == "after-next":
                following = TOUCHPOINTS[(index + 1) % len(TOUCHPOINTS)]
                message(chat, sent_at + dt.timedelta(hours=2), origin=following, status="read")
                guest_writes(chat, sent_at + dt.timedelta(hours=3))
            elif reply == "before":
                guest_writes(chat, sent_at - dt.timedelta(minutes=5))
            if touchpoint == Trigger.POST_STAY and pick.random() < 0.5:
                complete_form(chat, pick.randint(1, 5), source=pick.choice(["form", "chat"]))
    # Outside the period: never counted.
    old = new_chat(hotel)
    message(old, NOW - dt.timedelta(days=40), origin=Trigger.PRE_ARRIVAL, status="read")
    guest_writes(old, NOW - dt.timedelta(days=40) + dt.timedelta(hours=1))


def expected_funnel(hotel: factories.Hotel) -> dict[str, dict[str, int]]:
    """The funnel from the rows, message by message, without the page's queries."""
    start = (NOW - dt.timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = list(MessageLog.objects.filter(tenant=hotel.tenant).select_related("reservation"))
    counts: dict[str, dict[str, int]] = {}
    for touchpoint in TOUCHPOINTS:
        mine = [
            m
            for m in rows
            if m.direction == "outbound" and m.origin == touchpoint and m.created_at >= start
        ]
        sent = [m for m in mine if m.status in ("sent", "delivered", "read")]
        counts[touchpoint] = {
            "messages": len(mine),
            "sent": len(sent),
            "delivered": sum(m.status in ("delivered", "read") for m in sent),
            "read": sum(m.status == "read" for m in sent),
            "replied": sum(replied(m, rows) for m in sent),
            "form": sum(
                m.reservation.feedback_status == "completed"
                and m.reservation.feedback_source == "form"
                for m in sent
            )
            if touchpoint == "post-stay"
            else 0,
            "failed": sum(m.status == "failed" for m in mine),
        }
    return counts


def replied(sent: MessageLog, rows: list[MessageLog]) -> bool:
    went = sent.sent_at or sent.created_at
    same_chat = [m for m in rows if m.chat_id == sent.chat_id and m.pk != sent.pk]
    next_touchpoints = [
        m.created_at
        for m in same_chat
        if m.direction == "outbound" and m.origin in TOUCHPOINTS and m.created_at > went
    ]
    until = min(
        [went + REPLY_WINDOW, *[t - dt.timedelta(microseconds=1) for t in next_touchpoints]]
    )
    return any(m.direction == "inbound" and went < m.created_at <= until for m in same_chat)


def page(hotel: factories.Hotel, query: str = "") -> str:
    staff = Client()
    staff.force_login(hotel.staff)
    response = staff.get(f"/feedback/{query}")
    assert response.status_code == 200
    return response.content.decode()


def funnel_on(html: str) -> dict[str, dict[str, int]]:
    shown: dict[str, dict[str, int]] = {}
    for touchpoint, row in re.findall(r'<tr data-touchpoint="([\w-]+)">(.*?)</tr>', html, re.S):
        cells = dict(
            re.findall(r'data-stage="(\w+)">\s*(?:<span class="share">)?<strong>(\d+)', row)
        )
        messages = re.search(r"of (\d+) messages?<", row)
        shown[touchpoint] = {stage: int(value) for stage, value in cells.items()}
        shown[touchpoint]["messages"] = int(messages.group(1)) if messages else -1
        if "form" not in shown[touchpoint]:
            shown[touchpoint]["form"] = 0
    return shown


def test_the_funnel_matches_the_messages_counted_one_by_one(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    seed_journeys(hotel_a, seed=7)
    # Hotel Bravo: the same guests' chats (one WhatsApp number can write to both hotels), its
    # own touchpoints and replies. None of it may show up in Alpha's figures.
    for source in MessageLog.objects.filter(tenant=hotel_a.tenant, direction="outbound")[:20]:
        twin = new_chat(hotel_b, chat_id=source.chat_id)
        message(
            twin, source.created_at - dt.timedelta(minutes=1), origin=source.origin, status="read"
        )
        guest_writes(twin, source.created_at + dt.timedelta(minutes=10))
    expected = expected_funnel(hotel_a)
    # The seed covers every outcome, so a wrong definition cannot hide behind zeros.
    assert all(
        expected[t]["sent"] and expected[t]["messages"] > expected[t]["sent"] for t in TOUCHPOINTS
    )
    assert sum(e["replied"] for e in expected.values()) >= 6
    assert sum(e["failed"] for e in expected.values()) >= 6
    assert 0 < expected["post-stay"]["form"] < expected["post-stay"]["sent"]
    assert any(e["delivered"] > e["read"] > e["replied"] for e in expected.values())

    shown = funnel_on(page(hotel_a))

    assert shown == expected


def test_a_touchpoint_shows_each_stage_as_a_count_and_a_share_of_the_sent(
    hotel_a: factories.Hotel,
) -> None:
    """Post-stay: 5 messages, 1 queued, 1 failed; of the 3 sent, 2 delivered (one of them read),
    the reader replied after 3 h, and 1 guest filled in the form."""
    day = NOW - dt.timedelta(days=3)
    chats = [new_chat(hotel_a) for _ in range(5)]
    for chat, status in zip(chats, ["queued", "failed", "sent", "delivered", "read"], strict=True):
        message(chat, day, origin=Trigger.POST_STAY, status=status)
    guest_writes(chats[4], day + dt.timedelta(hours=3))
    guest_writes(chats[2], day + dt.timedelta(hours=60))  # too late to be a reply
    complete_form(chats[3], 5)
    complete_form(chats[4], 4, source="chat")  # feedback in the chat, not on the form

    html = page(hotel_a)
    row = re.search(r'<tr data-touchpoint="post-stay">(.*?)</tr>', html, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))

    assert "3 of 5 messages" in text
    assert "2 of 3 · 67%" in text  # delivered
    assert text.count("1 of 3 · 33%") == 3  # read, replied, form completed
    assert "1 of 5 · 20%" in text  # failed
    on_stay = re.search(r'<tr data-touchpoint="on-stay">(.*?)</tr>', html, re.S).group(1)
    assert "0 of 0 messages" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", on_stay))
    assert "%" not in on_stay, "no percentage of nothing"


def test_first_response_is_split_between_the_agent_and_staff(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    t = NOW - dt.timedelta(days=2)
    agent, staff, phone, waiting, retried, pre_arrival = (new_chat(hotel_a) for _ in range(6))
    guest_writes(agent, t)
    message(agent, t + dt.timedelta(seconds=30), origin=MessageOrigin.AGENT, status="read")
    guest_writes(agent, t + dt.timedelta(minutes=5))  # a new question, answered by nobody yet
    guest_writes(staff, t)
    guest_writes(staff, t + dt.timedelta(minutes=1))  # still the same wait
    message(staff, t + dt.timedelta(minutes=10), origin=MessageOrigin.MANUAL, status="delivered")
    guest_writes(phone, t)
    message(phone, t + dt.timedelta(hours=2), origin=MessageOrigin.HOTEL_PHONE, status="sent")
    guest_writes(waiting, t)
    message(waiting, t + dt.timedelta(minutes=1), origin=Trigger.CHECKOUT, status="read")
    guest_writes(retried, t)
    message(retried, t + dt.timedelta(minutes=1), origin=MessageOrigin.AGENT, status="failed")
    message(retried, t + dt.timedelta(minutes=5), origin=MessageOrigin.MANUAL, status="sent")
    guest_writes(pre_arrival, NOW - dt.timedelta(days=45))  # before the period
    message(pre_arrival, NOW - dt.timedelta(days=45), origin=MessageOrigin.MANUAL, status="sent")
    # Another hotel answering the same chat at once does not answer for Alpha.
    twin = new_chat(hotel_b, chat_id=waiting.chat_id)
    message(twin, t + dt.timedelta(seconds=5), origin=MessageOrigin.AGENT, status="read")

    html = page(hotel_a)
    rows = {
        who: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
        for who, body in re.findall(r'<tr data-responder="(\w+)">(.*?)</tr>', html, re.S)
    }

    # 6 waits: agent 1 (30 s); staff 3 (10 min, 2 h, 5 min); not answered 2.
    assert "1 of 6 · 17%" in rows["agent"] and rows["agent"].count("30 s") == 2
    assert "3 of 6 · 50%" in rows["staff"]
    assert "10 min" in rows["staff"] and "2 h 0 min" in rows["staff"]  # median, p90
    assert "2 of 6 · 33%" in rows["none"]
    assert 'data-card="first-response"' in html
    card = html.split('data-card="first-response"')[1][:600]
    assert "7 min" in card and "4 guest messages answered" in card  # median of 30 s, 5, 10, 120 min


def test_ratings_topics_response_rate_and_comments(
    hotel_a: factories.Hotel, hotel_b: factories.Hotel
) -> None:
    answers = [
        (5, {"room": 5, "staff": 4}, "Lovely pool", "form"),
        (3, {"room": 3}, "", "chat"),
        (4, {"breakfast": 2, "staff": 5}, "Breakfast was cold", "form"),
    ]
    for rating, topics, comments, source in answers:
        complete_form(
            new_chat(hotel_a),
            rating,
            source=source,
            feedback_topics=topics,
            feedback_comments=comments,
        )
    pending = new_chat(hotel_a)
    Reservation.objects.filter(pk=pending.reservation.pk).update(feedback_status="pending")
    old = new_chat(hotel_a)
    complete_form(
        old,
        2,
        feedback_topics={"room": 1},
        feedback_comments="Ancient complaint",
        at=NOW - dt.timedelta(days=100),
    )
    Reservation.objects.filter(pk=old.reservation.pk).update(
        check_out=NOW.date() - dt.timedelta(days=101), check_in=NOW.date() - dt.timedelta(days=103)
    )
    complete_form(
        new_chat(hotel_b), 1, feedback_topics={"room": 1, "spa": 1}, feedback_comments="Bravo's"
    )

    html = page(hotel_a)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    assert "Average 4.0 / 5 from 3 guests." in text
    topics = {
        key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).split()
        for key, body in re.findall(r'<tr data-topic="(\w+)">(.*?)</tr>', html, re.S)
    }
    assert topics == {
        "breakfast": ["Breakfast", "2.0", "/", "5", "1"],
        "room": ["Room", "4.0", "/", "5", "2"],
        "staff": ["Staff", "4.5", "/", "5", "2"],
    }
    stars = dict(re.findall(r'<tr data-stars="(\d)">.*?<strong>(\d+)</strong>', html, re.S))
    assert stars == {"5": "1", "4": "1", "3": "1", "2": "0", "1": "0"}
    assert "3 answered of 4 asked" in text and "75%" in text  # the pending one did not
    assert "Lovely pool" in text and "Breakfast was cold" in text
    assert "Ancient complaint" not in text and "Bravo's" not in text
    assert "Feedback form" in text

    year = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(hotel_a, "?days=365")))
    assert "Average 3.5 / 5 from 4 guests." in year and "Ancient complaint" in year
    assert "4 answered of 5 asked" in year


def test_a_strange_period_shows_the_last_30_days(hotel_a: factories.Hotel) -> None:
    for query in ("?days=7", "?days=abc", "?days=", "?days=99999999999999999999"):
        html = page(hotel_a, query)
        assert re.search(r'<a href="\?days=30" aria-current="page">', html), query


def test_the_dashboard_card_sums_it_up_and_links_to_the_page(hotel_a: factories.Hotel) -> None:
    complete_form(new_chat(hotel_a), 5)
    complete_form(new_chat(hotel_a), 4)
    asked = new_chat(hotel_a)
    Reservation.objects.filter(pk=asked.reservation.pk).update(feedback_status="pending")
    chat = new_chat(hotel_a)
    guest_writes(chat, NOW - dt.timedelta(hours=3))
    message(
        chat, NOW - dt.timedelta(hours=3) + dt.timedelta(minutes=4), origin="agent", status="read"
    )
    staff = Client()
    staff.force_login(hotel_a.staff)

    html = staff.get("/").content.decode()

    card = html.split('data-card="feedback"')[1].split("</section>")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    assert "4.5 / 5" in text and "2 answers, last 30 days" in text
    assert "Response rate 67% (2 of 3)" in text
    assert "First response 4 min (median)" in text
    assert 'href="/feedback/"' in card


def test_a_new_hotel_sees_what_will_appear_instead_of_tables_of_zeros(
    hotel_a: factories.Hotel,
) -> None:
    html = page(hotel_a)

    assert "No answers in this period." in html
    assert html.count("No ratings in this period yet.") == 2
    assert "No guest messages in this period." in html
    assert "No journey messages in this period." in html
    assert "data-touchpoint" not in html and "data-responder" not in html
