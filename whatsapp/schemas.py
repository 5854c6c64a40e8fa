"""WAHA webhook envelopes and payloads (api-facts.md §1.10), parsed defensively: 2024.x servers
send no envelope id or timestamp, and engines add fields we ignore."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    timestamp: int | None = None  # milliseconds
    event: str
    session: str
    payload: dict[str, Any]
    engine: str | None = None
    me: dict[str, Any] | None = None


class MessagePayload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    timestamp: int | None = None  # seconds
    from_: str = Field(alias="from")
    from_me: bool = Field(alias="fromMe")
    to: str | None = None
    body: str | None = ""
    has_media: bool = Field(default=False, alias="hasMedia")


class AckPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    ack: int
    ackName: str | None = None


class SessionStatusPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    status: str
    statuses: list[dict[str, Any]] = []
