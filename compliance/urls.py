from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("guests/<uuid:public_id>/data/", views.guest_data, name="guest_data"),
    path("guests/<uuid:public_id>/data.json", views.guest_data_json, name="guest_data_json"),
    path("guests/<uuid:public_id>/erase/", views.erase, name="erase"),
    path("guests/<uuid:public_id>/consent/", views.record_consent, name="record_consent"),
]
