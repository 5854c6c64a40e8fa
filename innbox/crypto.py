"""Secrets at rest: PMS credentials and webhook secrets are stored as Fernet tokens.

CREDENTIALS_ENCRYPTION_KEYS holds one or more keys; the first encrypts, all decrypt, so a key is
rotated by putting a new one first and re-encrypting (`rotate`) before dropping the old one.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UnreadableSecret(Exception):
    """The stored token was made with a key that is no longer configured."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.CREDENTIALS_ENCRYPTION_KEYS])


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise UnreadableSecret(
            "stored credentials cannot be decrypted with the configured keys"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret(
            "stored secret cannot be decrypted with the configured keys"
        ) from None
