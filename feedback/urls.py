from django.urls import path

from feedback import analytics_views, views

urlpatterns = [
    path("feedback/", analytics_views.feedback_analytics, name="feedback_list"),
    path("feedback/<str:token>/", views.feedback_form, name="feedback_form"),
]
