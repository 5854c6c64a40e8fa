"""Row-level security for data_requests (see tenancy.rls; notes in docs/migrations.md): members
read a guest's requests; owners (exports, erasures) and the system (the purge) write them."""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial"), ("tenancy", "0002_row_level_security")]

    operations = [EnableTenantRLS("data_requests", Policy.SETTINGS)]
