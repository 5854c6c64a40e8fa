from django.urls import path

from automation import views

urlpatterns = [
    path("api/webhooks/pms/<uuid:public_id>/", views.pms_webhook_view, name="pms_webhook"),
]
