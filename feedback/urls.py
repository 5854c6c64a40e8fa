from django.urls import path

from feedback import analytics_views, guest_views, settings_views

urlpatterns = [
    path("feedback/", analytics_views.feedback_analytics, name="feedback_list"),
    path("settings/feedback/", settings_views.feedback_settings, name="feedback_settings"),
    path("feedback/<str:token>/", guest_views.feedback_form, name="feedback_form"),
    path("feedback/<str:token>/thanks/", guest_views.feedback_thanks, name="feedback_thanks"),
]
