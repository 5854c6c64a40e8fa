"""manage.py rotate_encryption_key: secrets made with key A, keys become "B,A", rotate, and then
key B alone reads every one of them. On PostgreSQL it runs as the app role, under RLS."""

from __future__ import annotations

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from innbox import crypto
from operations.key_rotation import ENCRYPTED_COLUMNS
from pms import webhook as pms_webhook
from pms.models import PMSConfiguration
from tenancy.db import acting_for_tenant
from tests import factories
from tests.helpers import django_connected_as

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


def hotel_with_secrets(name: str, api_key: str) -> tuple[factories.Hotel, str]:
    hotel = factories.make_hotel(name)
    with acting_for_tenant(hotel.tenant.id, role="owner"):
        config = PMSConfiguration(tenant=hotel.tenant, provider="qloapps")
        config.set_credentials({"api_key": api_key})
        config.save()
        secret = pms_webhook.rotate_secret(config)
    return hotel, secret


def stored_secrets(hotel: factories.Hotel) -> tuple[dict[str, Any], str]:
    with acting_for_tenant(hotel.tenant.id):
        config = PMSConfiguration.objects.get(tenant=hotel.tenant)
        return config.get_credentials(), pms_webhook.secret_for(config)


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    return out.getvalue()


def rotation_from_a_to_b(settings: Any) -> None:
    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_A]
    alpha, alpha_secret = hotel_with_secrets("Hotel Alpha", "alpha-api-key")
    bravo, bravo_secret = hotel_with_secrets("Hotel Bravo", "bravo-api-key")

    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(crypto.UnreadableSecret):
        stored_secrets(alpha)  # without rotation, dropping key A loses the secrets

    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    output = rotate()

    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_B]
    assert stored_secrets(alpha) == ({"api_key": "alpha-api-key"}, alpha_secret)
    assert stored_secrets(bravo) == ({"api_key": "bravo-api-key"}, bravo_secret)
    assert "Re-encrypted 4 stored secret(s) of 2 hotel(s)" in output
    assert "the other 1 key(s) may be removed" in output


@pytest.mark.django_db
def test_after_rotation_the_new_key_alone_reads_every_secret(settings: Any) -> None:
    rotation_from_a_to_b(settings)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotation_reaches_every_hotel_as_the_app_role(settings: Any) -> None:
    with django_connected_as(django_settings.DB_APP_ROLE):
        rotation_from_a_to_b(settings)


@pytest.mark.django_db
def test_a_secret_no_key_can_read_is_named_and_left_alone(settings: Any) -> None:
    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_C]
    lost, _ = hotel_with_secrets("Hotel Lost", "lost-api-key")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_A]
    kept, kept_secret = hotel_with_secrets("Hotel Kept", "kept-api-key")
    token_before = PMSConfiguration.objects.get(tenant=lost.tenant).credentials_encrypted

    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    with pytest.raises(CommandError) as refused:
        rotate()

    assert "2 secret(s) could not be read" in str(refused.value)
    assert f"pms_configurations.credentials_encrypted of Hotel Lost ({lost.tenant.public_id})" in (
        str(refused.value)
    )
    assert PMSConfiguration.objects.get(tenant=lost.tenant).credentials_encrypted == token_before
    settings.CREDENTIALS_ENCRYPTION_KEYS = [KEY_B]
    assert stored_secrets(kept) == ({"api_key": "kept-api-key"}, kept_secret)


def test_every_encrypted_column_is_rotated() -> None:
    encrypted = {
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.fields
        if f.name.endswith("_encrypted")
    }
    listed = {(model, column) for model, columns in ENCRYPTED_COLUMNS.items() for column in columns}
    assert encrypted == listed
