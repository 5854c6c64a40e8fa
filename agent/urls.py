from django.urls import path

from agent import views

app_name = "agent"

urlpatterns = [
    path("settings/menu/", views.menu_page, name="menu"),
    path("settings/menu/add/", views.add_menu_item, name="add_menu_item"),
    path("settings/menu/<uuid:public_id>/", views.menu_item, name="menu_item"),
    path("settings/menu/<uuid:public_id>/delete/", views.delete_menu_item, name="delete_menu_item"),
    path("settings/knowledge/", views.knowledge_page, name="knowledge"),
    path("settings/knowledge/add/", views.add_knowledge_entry, name="add_knowledge_entry"),
    path("settings/knowledge/try/", views.try_question, name="try_question"),
    path("settings/knowledge/<uuid:public_id>/", views.knowledge_entry, name="knowledge_entry"),
    path(
        "settings/knowledge/<uuid:public_id>/delete/",
        views.delete_knowledge_entry,
        name="delete_knowledge_entry",
    ),
]
