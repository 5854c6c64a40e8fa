"""WAHA webhook envelopes and payloads (api-facts.md §1.10), parsed defensively: 2024.x servers
send no envelope id or timestamp, and engines add fields we ignore.

Every value that reaches a column is bounded here by that column, and every time by what a clock
can mean, so a signed but malformed event is refused with its field's name instead of failing in
the database or in datetime arithmetic.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Up to 31 Dec 9999, the last moment datetime can hold.
Milliseconds = Annotated[int, Field(ge=0, le=253_402_300_799_999)]
Seconds = Annotated[int, Field(ge=0, le=253_402_300_799)]

SESSION_NAME_LENGTH = 64  # waha_configurations.session_name
CHAT_ID_LENGTH = 64  # message_logs.chat_id
MESSAGE_ID_LENGTH = 255  # message_logs.waha_message_id
PHONE_DIGITS = 19  # waha_configurations.phone_number holds "+" and the number
PUSH_NAME_LENGTH = 100  # waha_configurations.push_name


class SessionMe(BaseModel):
    """The account a session is logged in as: `{"id": "6281100001111@c.us", "pushName": ...}`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = Field(default=None, max_length=CHAT_ID_LENGTH)
    push_name: str | None = Field(default=None, alias="pushName", max_length=PUSH_NAME_LENGTH)

    @field_validator("id")
    @classmethod
    def _number_fits(cls, value: str | None) -> str | None:
        if value and len(value.split("@", 1)[0]) > PHONE_DIGITS:
            raise ValueError(f"the number before @ is longer than {PHONE_DIGITS} characters")
        return value


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None  # its length is judged with the derived ids (inbound.parse)
    timestamp: Milliseconds | None = None
    event: str = Field(max_length=64)
    session: str = Field(max_length=SESSION_NAME_LENGTH)
    payload: dict[str, Any]
    engine: str | None = None
    me: SessionMe | None = None


class MessagePayload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(max_length=MESSAGE_ID_LENGTH)
    timestamp: Seconds | None = None
    from_: str = Field(alias="from", max_length=CHAT_ID_LENGTH)
    from_me: bool = Field(alias="fromMe")
    # "api" (sent through WAHA: our own sends) or "app" (typed on the phone), for fromMe.
    source: str | None = None
    to: str | None = Field(default=None, max_length=CHAT_ID_LENGTH)
    body: str | None = ""
    has_media: bool = Field(default=False, alias="hasMedia")


class AckPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=MESSAGE_ID_LENGTH)
    ack: int
    ackName: str | None = None


class StatusPoint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    timestamp: Milliseconds | None = None


class SessionStatusPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    status: str = Field(max_length=64)
    statuses: list[StatusPoint] = []
