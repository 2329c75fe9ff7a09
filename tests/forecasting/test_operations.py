"""Operations: anonymous liveness and readiness probes, and the Prometheus scrape at
``/metrics`` after forecasts, errors and a training job."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from finance.models import Transaction
from forecasting.monitoring import health
from forecasting.monitoring import metrics as monitoring_metrics
from forecasting.training.jobs import training_job_create, training_job_run
from tests.factories import fitted_version

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: Client | None = None, **extra: str) -> Samples:
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.mark.django_db
class TestProbes:
    def test_liveness_answers_anonymously_without_touching_the_database(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = Client().get("/health/live/")
        assert response.status_code == 200
        assert response.json() == {"status": "live"}
        assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"

    def test_readiness_answers_anonymously_when_every_component_is_up(self):
        response = Client().get("/health/ready/")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ready",
            "components": {"database": "ok", "broker": "ok", "cache": "ok", "model_store": "ok"},
            "failed": [],
        }

    def test_readiness_is_503_naming_the_failed_component_without_its_error(self, monkeypatch, caplog):
        # Given a broker whose error message holds a password
        def broken():
            raise ConnectionError("Error connecting to redis://:hunter2@10.0.0.5:6379/0")

        monkeypatch.setitem(health.CHECKS, "broker", broken)
        # When an anonymous probe asks
        response = Client().get("/health/ready/")
        # Then it is told which component failed, and nothing of why
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "components": {"database": "ok", "broker": "failed", "cache": "ok", "model_store": "ok"},
            "failed": ["broker"],
        }
        assert b"hunter2" not in response.content
        assert b"Traceback" not in response.content
        # And the reason is in the log for the operator
        assert "Readiness: broker failed: ConnectionError: Error connecting to redis" in caplog.text

    def test_probes_refuse_writes(self):
        assert Client().post("/health/ready/").status_code == 405
        assert Client().post("/health/live/").status_code == 405


def _monthly_revenue(workspace, months: int = 24) -> None:
    start = dt.date(2023, 1, 1)
    Transaction.objects.bulk_create([
        Transaction(workspace=workspace, kind="revenue", amount=Decimal(1000 + 10 * i), status="approved",
                    date=dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1))
        for i in range(months)
    ])


@pytest.mark.django_db
class TestMetrics:
    def test_forecasts_count_requests_latency_predictions_and_cache_hits_by_model_version(
        self, workspace, member, client_for
    ):
        # Given a deployed model and a scrape before
        version = fitted_version(workspace=workspace, status="deployed")
        before = scrape()
        # When the forecast is asked twice (computed, then from the cache)
        client = client_for(member)
        for _ in range(2):
            assert client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 3}).status_code == 200
        after = scrape()
        # Then the requests are counted by route name, not by path
        route = {"view": "forecast", "method": "GET"}
        assert delta(before, after, "ledgerwise_http_requests_total", **route, status="200") == 2
        assert delta(before, after, "ledgerwise_http_request_duration_seconds_count", **route) == 2
        assert delta(before, after, "ledgerwise_http_request_duration_seconds_bucket", **route, le="+Inf") == 2
        assert delta(before, after, "ledgerwise_http_request_errors_total", **route) == 0
        # And the answers and the cache hit by the version that gave them
        served = {"model_version": str(version.pk), "target": "revenue"}
        assert delta(before, after, "ledgerwise_predictions_total", **served) == 2
        assert delta(before, after, "ledgerwise_prediction_cache_hits_total", **served) == 1

    def test_a_server_error_is_counted_for_its_route(self, workspace, member, monkeypatch):
        # Given a forecast service that breaks
        def broken(**kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr("forecasting.api.views.forecast_predict", broken)
        fitted_version(workspace=workspace, status="deployed")
        client = Client(raise_request_exception=False)
        client.force_login(member)
        before = scrape()
        # When it is asked
        assert client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk}).status_code == 500
        after = scrape()
        # Then the route's errors and its 500s went up by one
        route = {"view": "forecast", "method": "GET"}
        assert delta(before, after, "ledgerwise_http_request_errors_total", **route) == 1
        assert delta(before, after, "ledgerwise_http_requests_total", **route, status="500") == 1

    def test_unknown_paths_share_one_series(self):
        before = scrape()
        for path in ("/wp-login.php", f"/nope/{uuid.uuid4().hex}/"):
            assert Client().get(path).status_code == 404
        after = scrape()
        assert delta(before, after, "ledgerwise_http_requests_total", view="unmatched", method="GET", status="404") == 2
        assert not any("wp-login" in str(labels) for _, labels in after)

    def test_a_training_job_counts_its_outcome_and_duration(self, workspace):
        # Given two years of monthly revenue and a scrape before
        _monthly_revenue(workspace)
        before = scrape()
        # When a training runs to the end
        job = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False).pk)
        assert job.status == "succeeded"
        after = scrape()
        # Then its outcome and its duration are in the scrape
        labels = {"kind": "forecaster", "status": "succeeded"}
        assert delta(before, after, "ledgerwise_training_jobs_total", **labels) == 1
        assert delta(before, after, "ledgerwise_training_duration_seconds_count", **labels) == 1
        assert delta(before, after, "ledgerwise_training_duration_seconds_sum", **labels) == pytest.approx(
            job.duration_seconds, abs=1e-6)

    def test_a_failed_training_is_counted_as_failed(self, workspace, monkeypatch):
        def broken(job):
            raise ValueError("no luck")

        monkeypatch.setattr("forecasting.training.forecasters.forecaster_job_train", broken)
        before = scrape()
        job = training_job_run(job_id=training_job_create(workspace=workspace, target="revenue", enqueue=False).pk)
        assert job.status == "failed"
        after = scrape()
        assert delta(before, after, "ledgerwise_training_jobs_total", kind="forecaster", status="failed") == 1

    def test_queue_length_is_read_from_the_broker(self, monkeypatch):
        # Given a queue of this test's own with one message in it (Redis in CI: LLEN; the
        # embedded broker: one message file)
        from config.celery import app

        queue = f"lw-test-{uuid.uuid4().hex[:12]}"
        app.send_task("forecasting.tasks.autolearn_check_task", args=[0, "revenue"], queue=queue)
        monkeypatch.setattr(monitoring_metrics, "queue_names", lambda: [queue])
        try:
            # When /metrics is scraped
            samples = scrape()
        finally:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        # Then the gauge says one message waits
        assert value(samples, "ledgerwise_celery_queue_length", queue=queue) == 1

    def test_queue_length_is_minus_one_when_the_broker_cannot_tell(self, monkeypatch):
        def unreachable():
            raise ConnectionRefusedError("no broker")

        monkeypatch.setattr(monitoring_metrics.celery_app, "connection_for_read", unreachable)
        samples = scrape()
        assert value(samples, "ledgerwise_celery_queue_length", queue="celery") == -1

    def test_the_default_queue_is_listed(self):
        assert "ledgerwise_celery_queue_length" in {name for name, _ in scrape()}
        assert "celery" in monitoring_metrics.queue_names()


@pytest.mark.django_db
class TestMetricsAccess:
    def test_a_token_is_required_when_one_is_set(self, settings):
        settings.METRICS_TOKEN = "s3cret-token"
        assert Client().get("/metrics").status_code == 403
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200

    def test_only_allowed_addresses_when_a_list_is_set(self, settings):
        settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.168.1.7"]
        assert Client().get("/metrics").status_code == 403  # the test client is 127.0.0.1
        assert Client().get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
        assert Client().get("/metrics", REMOTE_ADDR="192.168.1.7").status_code == 200
        assert Client().get("/metrics", REMOTE_ADDR="192.168.1.8").status_code == 403
