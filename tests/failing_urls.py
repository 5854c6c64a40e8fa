"""A URLconf with a view that writes, then fails: for the request-rollback test."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from hotel.models import Guest
from tenancy.access import MemberRequest, member_required


@member_required
def write_then_fail(request: MemberRequest) -> HttpResponse:
    Guest.objects.create(tenant=request.tenant, first_name="Half", last_name="Written")
    raise RuntimeError("the view crashed after writing")


urlpatterns = [
    path("write-then-fail/", write_then_fail),
    path("", include("innbox.urls")),
]
