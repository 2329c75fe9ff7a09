"""A failed training tells members what went wrong in one line; the traceback, with the
server's paths, stays with staff (admin) and the logs."""

import pytest
from django.test import Client

from forecasting.monitoring.models import Alert
from forecasting.training.jobs import training_error_message, training_job_create, training_job_run
from forecasting.training.models import TrainingJob
from tests import factories as f

ARTIFACT = "/srv/ledgerwise/var/media/artifacts/7/revenue-v3.pkl"
MESSAGE = "FileNotFoundError: [Errno 2] No such file or directory: '…'"


@pytest.fixture
def failed_job(workspace, monkeypatch):
    """A revenue training whose fit hit a missing file deep in the server."""

    def broken(job):
        raise FileNotFoundError(2, "No such file or directory", ARTIFACT)

    monkeypatch.setattr("forecasting.training.jobs.forecasters.forecaster_job_train", broken)
    job = training_job_create(workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False)
    assert training_job_run(job_id=job.pk).status == TrainingJob.Status.FAILED
    job.refresh_from_db()
    return job


@pytest.mark.django_db
class TestFailedJob:
    def test_the_job_keeps_a_message_and_a_staff_only_traceback(self, failed_job):
        assert failed_job.error == MESSAGE
        assert failed_job.error_detail.startswith("Traceback (most recent call last):\n")
        assert ARTIFACT in failed_job.error_detail
        assert failed_job.error_detail.rstrip().endswith(
            f"FileNotFoundError: [Errno 2] No such file or directory: '{ARTIFACT}'"
        )

    def test_the_api_answers_the_message_without_traceback_or_paths(self, failed_job, member, client_for):
        response = client_for(member).get(f"/api/v1/ml/jobs/{failed_job.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["error"]) == ("failed", MESSAGE)
        assert "error_detail" not in body
        text = response.content.decode()
        assert "Traceback" not in text and "/srv/" not in text and ".py" not in text
        listed = client_for(member).get("/api/v1/ml/jobs/").json()["results"]
        assert [(job["id"], job["error"]) for job in listed] == [(failed_job.pk, MESSAGE)]

    def test_the_alert_says_the_same_line(self, failed_job, workspace):
        assert list(Alert.objects.filter(workspace=workspace).values_list("message", flat=True)) == [
            f"Training of revenue failed: {MESSAGE}"
        ]

    def test_admin_shows_the_traceback_to_staff(self, failed_job):
        staff = f.UserFactory(is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(staff)
        response = client.get(f"/admin/forecasting/trainingjob/{failed_job.pk}/change/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Traceback (most recent call last):" in html
        assert ARTIFACT in html

    def test_admin_is_closed_to_members(self, failed_job, member):
        client = Client()
        client.force_login(member)
        response = client.get(f"/admin/forecasting/trainingjob/{failed_job.pk}/change/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestErrorMessage:
    @pytest.mark.parametrize(("exc", "message"), [
        (ValueError("Not enough data: 3 points, ETS needs 10."), "ValueError: Not enough data: 3 points, ETS needs 10."),
        (RuntimeError("first line\n  File \"/app/forecasting/x.py\", line 3"), "RuntimeError: first line"),
        (OSError(r"cannot open C:\ledgerwise\var\model.pkl now"), "OSError: cannot open … now"),
        (KeyError(), "KeyError"),
        (ValueError("x" * 400), "ValueError: " + "x" * 287 + "…"),
    ], ids=["plain", "multi-line", "windows-path", "empty", "long"])
    def test_one_line_without_paths(self, exc, message):
        assert training_error_message(exc) == message
        assert len(training_error_message(exc)) <= 300
