from django.urls import path

from dashboard import list_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("messages/mark-read/", views.mark_messages_read, name="mark_messages_read"),
    path("reservations/", list_views.reservation_list, name="reservations"),
    path("reservations/<uuid:public_id>/", views.reservation_detail, name="reservation"),
    path("guests/", list_views.guest_list, name="guests"),
    path("guests/<uuid:public_id>/", views.guest_detail, name="guest"),
]
