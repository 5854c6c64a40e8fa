from django.urls import include, path

from innbox import views
from tenancy.permissions import public

urlpatterns = [
    path("healthz", public(views.healthz), name="healthz"),
    path("api/openapi.json", public(views.openapi_document), name="openapi"),
    path("", include("operations.urls")),
    path("", include("tenancy.urls")),
    path("", include("whatsapp.urls")),
    path("", include("messaging.urls")),
    path("", include("pms.urls")),
    path("", include("automation.urls")),
    path("", include("feedback.urls")),
    path("", include("agent.board_urls")),
    path("", include("compliance.urls")),
    path("", include("conversations.urls")),
    path("", include("dashboard.urls")),
    path("", include("agent.urls")),
    path("", include("agent.llm_urls")),
]
