from django.urls import path

from dashboard import list_placeholders, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("messages/mark-read/", views.mark_messages_read, name="mark_messages_read"),
    path("reservations/<uuid:public_id>/", views.reservation_detail, name="reservation"),
    path("guests/<uuid:public_id>/", views.guest_detail, name="guest"),
    # Placeholders until the list pages are merged (see dashboard/list_placeholders.py).
    path("guests/", list_placeholders.guest_list, name="guests"),
    path("reservations/", list_placeholders.reservation_list, name="reservations"),
]
