"""The renderer: strict substitution, clear refusals, and nothing unexpected reaches a guest."""

from __future__ import annotations

import datetime as dt

import pytest

from messaging import renderer
from messaging.renderer import TemplateError, Values, render, validate

STAY = Values(
    guest_name="Siti Rahayu",
    room_number="214",
    check_in=dt.date(2026, 12, 24),
    check_out=dt.date(2026, 12, 27),
    hotel_name="Hotel Nusantara",
    feedback_link="https://inn.example.com/feedback/abc/",
    language="en",
)


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("guestName", "Siti Rahayu"),
        ("roomNumber", "214"),
        ("checkInDate", "December 24, 2026"),
        ("checkOutDate", "December 27, 2026"),
        ("hotelName", "Hotel Nusantara"),
        ("feedbackLink", "https://inn.example.com/feedback/abc/"),
    ],
)
def test_every_variable_is_filled_in(variable: str, expected: str) -> None:
    assert render("{{" + variable + "}}", STAY) == expected


def test_spaces_inside_the_braces_are_allowed() -> None:
    assert render("Hi {{ guestName }}!", STAY) == "Hi Siti Rahayu!"


def test_dates_are_written_in_the_guests_language() -> None:
    indonesian = Values(check_in=dt.date(2026, 12, 24), language="id")
    japanese = Values(check_in=dt.date(2026, 12, 24), language="ja")
    assert render("{{checkInDate}}", indonesian) == "24 Desember 2026"
    assert render("{{checkInDate}}", japanese) == "2026年12月24日"


def test_an_unknown_language_falls_back_to_english_dates() -> None:
    assert (
        render("{{checkInDate}}", Values(check_in=dt.date(2026, 1, 2), language="xx"))
        == "January 2, 2026"
    )


def test_an_unknown_variable_is_refused_at_save_by_name() -> None:
    with pytest.raises(TemplateError) as caught:
        validate("Hi {{guestname}}, room {{roomNo}}", "pre-arrival")
    assert "{{guestname}}" in str(caught.value) and "{{roomNo}}" in str(caught.value)
    assert "{{guestName}}" in str(caught.value), "it says what to use instead"


def test_the_feedback_link_belongs_to_post_stay_messages_only() -> None:
    validate("{{feedbackLink}}", "post-stay")
    with pytest.raises(TemplateError, match="not available in pre-arrival"):
        validate("{{feedbackLink}}", "pre-arrival")


@pytest.mark.parametrize("content", ["Hi {{guestName}", "Hi {guestName}}", "{{ }}", "{{1abc}}"])
def test_broken_braces_are_refused_at_save(content: str) -> None:
    with pytest.raises(TemplateError):
        validate(content, "on-stay")


def test_missing_values_use_the_documented_fallbacks() -> None:
    text = render(
        "Hi {{guestName}}, room {{roomNumber}} from {{checkInDate}} to {{checkOutDate}} at {{hotelName}}.",
        Values(),
    )
    assert (
        text
        == "Hi Guest, room your room from your arrival date to your departure date at our hotel."
    )


def test_no_braces_reach_a_guest_even_from_an_unvalidated_template() -> None:
    text = render("Hi {{guestName}} {{unknownThing}} {{", STAY)
    assert "{{" not in text and "}}" not in text


def test_a_hostile_guest_name_is_inserted_literally_once() -> None:
    hostile = Values(guest_name="{{hotelName}} <script>alert(1)</script>", hotel_name="Nusantara")
    assert render("Hi {{guestName}}", hostile) == "Hi {{hotelName}} <script>alert(1)</script>"


def test_a_very_long_value_is_clipped() -> None:
    text = render("Hi {{guestName}}", Values(guest_name="A" * 10_000))
    assert len(text) <= renderer.MAX_VALUE_LENGTH + 3
    assert text.endswith("…")


def test_the_renderer_runs_no_code() -> None:
    # Not a variable, not evaluated: the braces are dropped, the words stay words.
    assert render("{{guestName.__class__}} {% if x %}", STAY) == "guestName.__class__ {% if x %}"


def test_a_hostile_value_cannot_let_a_templates_stray_braces_through() -> None:
    text = render("Hi {{guestName}} {{ oops and }}", Values(guest_name="{{x"))
    assert text == "Hi {{x  oops and "


def test_a_lone_closing_pair_is_dropped() -> None:
    assert render("Hi {guestName}}", STAY) == "Hi {guestName"
