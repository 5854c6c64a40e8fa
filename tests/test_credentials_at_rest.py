"""PMS credentials are stored encrypted, readable only with a configured key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from innbox import crypto
from pms.models import PMSConfiguration, PMSProvider
from tests import factories


def test_the_stored_column_does_not_contain_the_secret(hotel_a: factories.Hotel) -> None:
    config = PMSConfiguration(tenant=hotel_a.tenant, provider=PMSProvider.MEWS)
    config.set_credentials({"access_token": "mews-access-token-s3cr3t"})
    config.save()

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM pms_configurations WHERE id = %s", [config.pk])
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert "s3cr3t" not in stored
    reloaded = PMSConfiguration.objects.get(pk=config.pk)
    assert reloaded.get_credentials() == {"access_token": "mews-access-token-s3cr3t"}


def test_a_rotated_key_still_reads_old_secrets_and_rewrites_them() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[old_key]):
        token = crypto.encrypt_json({"api_key": "k"})
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key, old_key]):
        rotated = crypto.rotate(token)
        assert crypto.decrypt_json(token) == {"api_key": "k"}
    with override_settings(CREDENTIALS_ENCRYPTION_KEYS=[new_key]):
        assert crypto.decrypt_json(rotated) == {"api_key": "k"}
        with pytest.raises(crypto.UnreadableSecret):
            crypto.decrypt_json(token)
