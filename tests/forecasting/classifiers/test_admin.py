"""Admin: classifier versions show their hold-out figures; transactions show scores and flags."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.registry.models import ModelVersion
from forecasting.training.jobs import training_job_create, training_job_run
from tests import factories as f


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.django_db
class TestClassifierAdmin:
    def test_the_inspect_page_shows_per_category_figures_and_calibration(self, client, superuser, workspace,
                                                                         history):
        job = training_job_create(workspace=workspace, target="categorizer", enqueue=False)
        training_job_run(job_id=job.pk)
        version = ModelVersion.objects.get(target="categorizer")
        client.force_login(superuser)
        page = client.get(f"/admin/forecasting/modelversion/{version.pk}/inspect/").content.decode()
        assert 'id="per-category"' in page and "<td>Groceries</td>" in page
        assert 'id="reliability"' in page
        assert 'id="inspect-chart"' not in page  # no forecast chart for a classifier
        changelist = client.get("/admin/forecasting/modelversion/").content.decode()
        assert "100.0% / F1 1.000" in changelist

    def test_the_transaction_admin_lists_scores_and_filters_flags(self, client, superuser, workspace):
        f.TransactionFactory(workspace=workspace, description="WIRE OUT", amount=Decimal("25000"),
                             date=dt.date(2025, 3, 1), anomaly_score=0.81, fraud_score=0.93, is_flagged=True)
        f.TransactionFactory(workspace=workspace, description="COFFEE", date=dt.date(2025, 3, 1), is_flagged=False)
        client.force_login(superuser)
        page = client.get("/admin/finance/transaction/", {"is_flagged__exact": "1"}).content.decode()
        assert "WIRE OUT" in page and "COFFEE" not in page
        assert "0.93" in page and "0.81" in page
