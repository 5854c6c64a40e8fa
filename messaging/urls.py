from django.urls import path

from messaging import journey_views, views

urlpatterns = [
    path("settings/journey/", journey_views.journey_page, name="journey"),
    path("settings/templates/", views.templates_page, name="templates"),
    path("settings/templates/preview/", views.preview_variant, name="preview_variant"),
    path("settings/templates/<uuid:public_id>/add/", views.add_variant, name="add_variant"),
    path(
        "settings/templates/<uuid:public_id>/toggle/", views.toggle_template, name="toggle_template"
    ),
    path("settings/templates/variants/<uuid:public_id>/", views.save_variant, name="save_variant"),
    path(
        "settings/templates/variants/<uuid:public_id>/delete/",
        views.delete_variant,
        name="delete_variant",
    ),
    path("api/messages/preview/", views.preview_message, name="preview_message"),
    path("api/messages/send/", views.send_message, name="send_message"),
    path("messages/", views.message_log, name="messages"),
]
