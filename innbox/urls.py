from django.urls import include, path

from innbox import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/openapi.json", views.openapi_document, name="openapi"),
    path("", include("operations.urls")),
    path("", include("tenancy.urls")),
    path("", include("whatsapp.urls")),
    path("", include("messaging.urls")),
    path("", include("pms.urls")),
    path("", include("automation.urls")),
    path("", include("feedback.urls")),
    path("", include("dashboard.urls")),
]
