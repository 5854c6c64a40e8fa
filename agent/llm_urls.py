from django.urls import path

from agent import llm_views

urlpatterns = [
    path("settings/agent/", llm_views.agent_settings, name="agent_settings"),
    path("settings/agent/test/", llm_views.test_model, name="agent_test_model"),
]
