from django.urls import path

from pms import views

urlpatterns = [
    path("api/webhooks/pms/<uuid:public_id>/", views.pms_webhook_view, name="pms_webhook"),
    path("settings/pms/", views.pms_settings, name="pms_settings"),
    path("settings/pms/test/", views.test_connection, name="pms_test"),
    path("settings/pms/webhook-secret/", views.rotate_webhook_secret, name="pms_rotate_secret"),
    path("settings/pms/demo/advance/", views.advance_demo, name="pms_advance_demo"),
    path("api/pms/sync/", views.sync_now, name="pms_sync"),
    path("api/pms/sync/status/", views.sync_status, name="pms_sync_status"),
]
