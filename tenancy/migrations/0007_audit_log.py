"""The audit log (tenancy.audit): audit_entries, one hotel per row, append-only under RLS.

django-auditlog's log entry model is swapped for this one (AUDITLOG_LOGENTRY_MODEL), with the
hotel and the event added. Policy.AUDIT: owners and the system read and add rows, staff only rows
naming them as the actor, nobody updates or deletes. A login's row is written before the hotel is
known from the request, so app_tenant_of_user answers which hotel an account belongs to (the app
role only; the same fact the account's own membership row holds). Rollback notes are in
docs/migrations.md.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tenancy.rls import EnableTenantRLS, Policy, PostgresOnlySQL


def _tenant_of_user_sql() -> str:
    return f"""
CREATE OR REPLACE FUNCTION app_tenant_of_user(p_user_id bigint) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id FROM tenant_users WHERE user_id = p_user_id $$;
REVOKE ALL ON FUNCTION app_tenant_of_user(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_tenant_of_user(bigint) TO "{settings.DB_APP_ROLE}";
"""  # noqa: S608 - the role name is a validated identifier (config: DB_APP_ROLE)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tenancy", "0006_email_verification"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "object_pk",
                    models.CharField(db_index=True, max_length=255, verbose_name="object pk"),
                ),
                (
                    "object_id",
                    models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="object id"
                    ),
                ),
                ("object_repr", models.TextField(verbose_name="object representation")),
                ("serialized_data", models.JSONField(null=True)),
                (
                    "action",
                    models.PositiveSmallIntegerField(
                        choices=[(0, "create"), (1, "update"), (2, "delete"), (3, "access")],
                        db_index=True,
                        verbose_name="action",
                    ),
                ),
                ("changes_text", models.TextField(blank=True, verbose_name="change message")),
                ("changes", models.JSONField(null=True, verbose_name="change message")),
                (
                    "cid",
                    models.CharField(
                        blank=True,
                        db_index=True,
                        max_length=255,
                        null=True,
                        verbose_name="Correlation ID",
                    ),
                ),
                (
                    "remote_addr",
                    models.GenericIPAddressField(
                        blank=True, null=True, verbose_name="remote address"
                    ),
                ),
                (
                    "remote_port",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="remote port"),
                ),
                (
                    "timestamp",
                    models.DateTimeField(
                        db_index=True,
                        default=django.utils.timezone.now,
                        verbose_name="timestamp",
                    ),
                ),
                (
                    "additional_data",
                    models.JSONField(blank=True, null=True, verbose_name="additional data"),
                ),
                (
                    "actor_email",
                    models.CharField(
                        blank=True, max_length=254, null=True, verbose_name="actor email"
                    ),
                ),
                ("event", models.CharField(max_length=64)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "content_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                        verbose_name="content type",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
            ],
            options={
                "verbose_name": "log entry",
                "verbose_name_plural": "log entries",
                "db_table": "audit_entries",
                "ordering": ["-timestamp"],
                "get_latest_by": "timestamp",
                "abstract": False,
                "indexes": [
                    models.Index(fields=["tenant", "-timestamp"], name="audit_tenant_recent_idx")
                ],
            },
        ),
        EnableTenantRLS("audit_entries", Policy.AUDIT),
        PostgresOnlySQL(_tenant_of_user_sql, "DROP FUNCTION IF EXISTS app_tenant_of_user(bigint);"),
    ]
