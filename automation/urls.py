from django.urls import path

from automation import views

urlpatterns = [
    path("api/cron/automation/", views.cron_view, name="cron_automation"),
    path("automation/", views.jobs_page, name="jobs"),
    path("automation/<uuid:public_id>/retry/", views.retry_job, name="retry_job"),
    path("automation/<uuid:public_id>/cancel/", views.cancel_job, name="cancel_job"),
]
