"""What the two webhooks (the PMS push and WAHA) share: the shape of a refusal.

A refusal is answered as it is and stores nothing: `status` is the HTTP status (400 malformed,
401 unsigned, 404 unknown hotel, 413 too large) and `reason` names the problem for the sender.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
