"""The app's URLs plus the ingest benchmark's baseline: a view that does the least a webhook can
(one INSERT of an inbound event, in the hotel's RLS context) behind the same middleware, server
and database role. The ratio of a real push to it says what the ingest code costs beyond the
framework."""

from __future__ import annotations

import uuid

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from innbox.urls import urlpatterns as app_urlpatterns
from tenancy.db import acting_for_tenant
from tenancy.permissions import public


@csrf_exempt
@public
def one_insert(request: HttpRequest, tenant_id: uuid.UUID) -> HttpResponse:
    with acting_for_tenant(tenant_id), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inbound_events (tenant_id, source, event_id, event_type, payload,"
            " request_id, received_at) VALUES (%s, 'pms', %s, 'ceiling', '{}', '', now())",
            [tenant_id, uuid.uuid4().hex],
        )
    return HttpResponse("ok")


urlpatterns = [path("bench/one-insert/<uuid:tenant_id>/", one_insert), *app_urlpatterns]
