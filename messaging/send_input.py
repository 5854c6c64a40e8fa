"""What a manual send (or its preview) asks for, from a form or a JSON body, checked before
anything is looked up or stored: a refusal names the field and the problem."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from innbox import json_input
from messaging.models import Trigger

FIELDS = ("reservation", "guest", "trigger", "text")
# A form post from the send dialog also carries these; a JSON body has no use for them.
FORM_EXTRAS = ("next", "csrfmiddlewaretoken")
# WhatsApp's own ceiling for one text message.
MAX_TEXT_LENGTH = 4096
MAX_ID_LENGTH = 64  # a public id is 36 characters; anything much longer is not one


class BadSendRequest(ValueError):
    """The request itself is malformed (English: it answers an API caller)."""


@dataclass(frozen=True)
class SendRequest:
    reservation: str  # public ids; one of the two is set
    guest: str
    trigger: str  # a template's trigger, or "" for staff's own words
    text: str


def is_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json"


def read(request: HttpRequest) -> SendRequest:
    values = _json_fields(request.body) if is_json(request) else _form_fields(request)
    for name, value in values.items():
        if "\x00" in value:
            raise BadSendRequest(f"{name} contains a NUL character")
    if not values["reservation"] and not values["guest"]:
        raise BadSendRequest("say whom to write to: a reservation or guest public id is missing")
    if max(len(values["reservation"]), len(values["guest"])) > MAX_ID_LENGTH:
        raise BadSendRequest("reservation or guest is not a public id")
    if values["trigger"] and values["trigger"] not in Trigger.values:
        raise BadSendRequest(
            f"unknown trigger; use one of {', '.join(Trigger.values)}, or none with text"
        )
    if len(values["text"]) > MAX_TEXT_LENGTH:
        raise BadSendRequest(f"text is longer than {MAX_TEXT_LENGTH} characters")
    return SendRequest(**values)


def _form_fields(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in FIELDS}


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        data = json_input.load(body)
    except json_input.MalformedJson as problem:
        raise BadSendRequest(str(problem)) from None
    if not isinstance(data, dict):
        raise BadSendRequest("the body must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS) - set(FORM_EXTRAS))
    if unknown:
        raise BadSendRequest(f"unknown field {unknown[0][:40]!r}; expected {', '.join(FIELDS)}")
    values = {}
    for name in FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise BadSendRequest(f"{name} must be a string")
        values[name] = value or ""
    return values
