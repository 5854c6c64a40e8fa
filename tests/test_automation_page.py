"""/automation/: jobs by state with their errors; Retry a dead job, Cancel a waiting one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from automation.models import AutomationJob, JobKind, JobStatus
from tests import factories

pytestmark = pytest.mark.django_db


def job(hotel: factories.Hotel, status: str, **extra) -> AutomationJob:
    return AutomationJob.objects.create(
        tenant=hotel.tenant,
        kind=JobKind.SEND_MESSAGE,
        status=status,
        run_at=timezone.now(),
        reservation=hotel.reservation,
        payload={"trigger": "on-stay"},
        **extra,
    )


@pytest.fixture
def staff(client: Client, hotel_a: factories.Hotel) -> Client:
    client.force_login(hotel_a.staff)
    return client


def test_dead_jobs_show_their_errors_and_count_in_the_sidebar(staff: Client, hotel_a) -> None:
    job(
        hotel_a,
        JobStatus.DEAD,
        attempts=8,
        last_error="WAHA failed (500)",
        error_history=[
            {
                "attempt": n,
                "at": "2026-11-25T10:00",
                "error": "WAHA failed (500)",
                "retryable": True,
            }
            for n in range(1, 9)
        ],
    )

    page = staff.get("/automation/?state=dead").content.decode()

    assert "WAHA failed (500)" in page and "8 / 8" in page
    assert 'title="Jobs that gave up">1<' in staff.get("/").content.decode()


def test_retry_sends_a_dead_job_back_to_the_queue(staff: Client, hotel_a) -> None:
    dead = job(hotel_a, JobStatus.DEAD, attempts=8)
    staff.post(f"/automation/{dead.public_id}/retry/")
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (JobStatus.QUEUED, 0)


def test_cancel_stops_a_waiting_job_but_not_a_finished_one(hotel_a) -> None:
    owner = Client()
    owner.force_login(hotel_a.owner)
    waiting, done = job(hotel_a, JobStatus.QUEUED), job(hotel_a, JobStatus.SUCCEEDED)
    owner.post(f"/automation/{waiting.public_id}/cancel/")
    response = owner.post(f"/automation/{done.public_id}/cancel/", follow=True)
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert waiting.status == JobStatus.CANCELLED and done.status == JobStatus.SUCCEEDED
    assert "Only waiting jobs can be cancelled" in response.content.decode()


def test_it_hides_other_tenants_records(staff: Client, hotel_a, hotel_b) -> None:
    theirs = job(hotel_b, JobStatus.DEAD, last_error="their secret trouble")
    assert "their secret trouble" not in staff.get("/automation/").content.decode()
    assert staff.post(f"/automation/{theirs.public_id}/retry/").status_code == 404
    owner = Client()
    owner.force_login(hotel_a.owner)
    assert owner.post(f"/automation/{theirs.public_id}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.DEAD


def test_staff_retry_but_cannot_cancel(staff: Client, hotel_a) -> None:
    waiting, dead = job(hotel_a, JobStatus.QUEUED), job(hotel_a, JobStatus.DEAD)
    page = staff.get("/automation/").content.decode()
    assert f"/automation/{dead.public_id}/retry/" in page
    assert f"/automation/{waiting.public_id}/cancel/" not in page

    refused = staff.post(f"/automation/{waiting.public_id}/cancel/")
    assert refused.status_code == 403 and "Owners only" in refused.content.decode()
    staff.post(f"/automation/{dead.public_id}/retry/")
    waiting.refresh_from_db()
    dead.refresh_from_db()
    assert (waiting.status, dead.status) == (JobStatus.QUEUED, JobStatus.QUEUED)


def test_retry_never_redirects_off_site(staff: Client, hotel_a) -> None:
    dead = job(hotel_a, JobStatus.DEAD)
    response = staff.post(f"/automation/{dead.public_id}/retry/", {"back": "https://evil.example/"})
    assert response["Location"] == "/automation/"
