from django.urls import path

from whatsapp import views

urlpatterns = [
    path("settings/waha/", views.waha_settings, name="waha_settings"),
    path("settings/waha/pace/", views.save_sending_pace, name="waha_pace"),
    path("api/waha/status/", views.api_status, name="waha_status"),
    path("api/waha/start/", views.api_start, name="waha_start"),
    path("api/waha/qr/", views.api_qr, name="waha_qr"),
    path("api/waha/logout/", views.api_logout, name="waha_logout"),
    path("api/webhooks/waha/", views.waha_webhook, name="waha_webhook"),
]
