"""The prediction log's own transaction commits without waiting for the WAL flush on
PostgreSQL, and only that transaction: the session's setting is untouched and a log
written inside another transaction leaves that transaction's commit as it is."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from forecasting.serving.models import Prediction
from forecasting.serving.predictions import PredictionEntry, prediction_log
from tests import factories as f

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")


def entry(version) -> PredictionEntry:
    return PredictionEntry(model_version_id=version.pk, target="revenue", request={"periods": 1},
                           output={"dates": ["2025-01-01"], "forecast": [1.0]})


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_log_of_its_own_is_committed_and_the_session_keeps_its_setting(workspace):
    version = f.fitted_version(workspace=workspace)
    # When an answer is logged outside any transaction
    with CaptureQueriesContext(connection) as queries:
        [logged] = prediction_log(workspace=workspace, entries=[entry(version)])
    # Then its transaction did not wait for the flush, it is committed, and the session
    # still waits for the flush afterwards
    assert [q["sql"] for q in queries.captured_queries][:2] == ["BEGIN", "SET LOCAL synchronous_commit TO OFF"]
    assert Prediction.objects.filter(pk=logged.pk).exists()
    assert synchronous_commit() == "on"


@pytest.mark.django_db(transaction=True)
def test_inside_another_transaction_the_commit_is_left_alone(workspace):
    version = f.fitted_version(workspace=workspace)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        prediction_log(workspace=workspace, entries=[entry(version)])
        assert synchronous_commit() == "on"
    assert not any("synchronous_commit" in q["sql"] for q in queries.captured_queries[:-1])
    assert Prediction.objects.count() == 1
