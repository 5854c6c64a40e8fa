from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("messages/mark-read/", views.mark_messages_read, name="mark_messages_read"),
]
