from django.urls import path

from feedback import views

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/<str:token>/", views.feedback_form, name="feedback_form"),
]
