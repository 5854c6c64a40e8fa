"""Row-level security for the menu, the knowledge base and draft orders (see tenancy.rls).

The menu and the knowledge base are settings: every member reads them, owners (and the system,
for the agent and the demo seed) write them. Draft orders are operational: the agent's worker
writes them for the guest's hotel.
"""

from django.db import migrations

from tenancy.rls import EnableTenantRLS, Policy


class Migration(migrations.Migration):
    dependencies = [("agent", "0006_menu_knowledge_pending_orders")]

    operations = [
        EnableTenantRLS("menu_items", Policy.SETTINGS),
        EnableTenantRLS("knowledge_entries", Policy.SETTINGS),
        EnableTenantRLS("agent_pending_orders", Policy.OPERATIONAL),
    ]
