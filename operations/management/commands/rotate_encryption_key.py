"""manage.py rotate_encryption_key: re-encrypt every stored secret with the first key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from innbox.logs import get_logger
from operations.key_rotation import rotate_all

log = get_logger(__name__)


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential and secret with the first key of "
        "CREDENTIALS_ENCRYPTION_KEYS; afterwards the other keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        keys = len(settings.CREDENTIALS_ENCRYPTION_KEYS)
        rotation = rotate_all()
        log.info(
            "encryption_key_rotated",
            hotels=rotation.hotels,
            rotated=rotation.rotated,
            unreadable=len(rotation.unreadable),
        )
        self.stdout.write(
            f"Re-encrypted {rotation.rotated} stored secret(s) of {rotation.hotels} hotel(s) "
            "with the first key of CREDENTIALS_ENCRYPTION_KEYS."
        )
        if rotation.unreadable:
            raise CommandError(
                f"{len(rotation.unreadable)} secret(s) could not be read with any configured key "
                "and were left as they are: "
                + "; ".join(rotation.unreadable)
                + ". Add the key they were made with (after the first) and run this again, or "
                "have the hotel's owner enter them again on the PMS page."
            )
        if keys > 1:
            self.stdout.write(
                f"Every stored secret now decrypts with the first key alone: the other {keys - 1} "
                "key(s) may be removed from CREDENTIALS_ENCRYPTION_KEYS."
            )
