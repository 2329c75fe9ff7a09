"""Spending predictions, weekly and monthly, per category and in total with 80/95 %
intervals (coaching.services.spending), and ``/api/v1/coaching/spending-prediction/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coaching.services.spending import SeriesForecast, spending_forecast, spending_trend
from forecasting.engine.registry import build_forecaster
from forecasting.registry.models import ModelVersion
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.coaching.books import monthly

pytestmark = pytest.mark.django_db

URL = "/api/v1/coaching/spending-prediction/"


def monday(weeks_back: int) -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_back)


def weekly(workspace, amounts, *, category=None):
    """``amounts`` oldest first, one payment on the Tuesday of each week, ending last week."""
    for i, amount in enumerate(amounts):
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal(str(amount)),
                             date=monday(len(amounts) - i) + dt.timedelta(days=1))


def deployed_weekly(workspace, target: str, values: list[float]) -> ModelVersion:
    """A deployed weekly naive model of ``target`` whose last training week is last week."""
    version = f.fitted_version(workspace=workspace, target=target, status="deployed", values=values, frequency="W")
    ModelVersion.objects.filter(pk=version.pk).update(training_start=monday(len(values)), training_end=monday(1))
    version.refresh_from_db()
    return version


class TestWeekly:
    def test_the_engine_continues_a_steady_trend_of_each_category_and_the_total(self, workspace):
        # given 20 weeks of groceries rising by 10 a week (100 … 290) and rent of 500 a week,
        # and 40 of groceries spent this week so far
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        weekly(workspace, [100 + 10 * i for i in range(20)], category=groceries)
        weekly(workspace, [500] * 20, category=rent)
        f.TransactionFactory(workspace=workspace, category=groceries, amount=Decimal("40"), date=monday(0))
        # when
        answer = spending_forecast(workspace=workspace, frequency="W", today=timezone.localdate(), log=False)
        # then the four weeks from this Monday: a line fits groceries and the total exactly
        # (zero backtest errors: no spread), rent stays flat
        assert [p["start"] for p in answer["periods"]] == [monday(0) + dt.timedelta(weeks=k) for k in range(4)]
        assert [p["current"] for p in answer["periods"]] == [True, False, False, False]
        assert answer["periods"][0]["elapsed_share"] == round((timezone.localdate().weekday() + 1) / 7, 4)
        by_name = {c["name"]: c for c in answer["categories"]}
        assert list(by_name) == ["Groceries", "Rent"]
        assert [p["amount"] for p in by_name["Groceries"]["forecast"]] == [300.0, 310.0, 320.0, 330.0]
        assert [(p["lo80"], p["hi95"]) for p in by_name["Groceries"]["forecast"]] == [
            (300.0, 300.0), (310.0, 310.0), (320.0, 320.0), (330.0, 330.0)]
        assert [p["amount"] for p in by_name["Rent"]["forecast"]] == [500.0] * 4
        assert [p["amount"] for p in answer["total"]["forecast"]] == [800.0, 810.0, 820.0, 830.0]
        assert (by_name["Groceries"]["method"], by_name["Groceries"]["algorithm"]) == ("engine", "linear_regression")
        assert (by_name["Groceries"]["spent_so_far"], answer["total"]["spent_so_far"]) == (40.0, 40.0)
        assert (by_name["Groceries"]["last_period"], by_name["Groceries"]["recent_average"]) == (290.0, 275.0)
        assert (by_name["Groceries"]["trend"], by_name["Rent"]["trend"]) == ("rising", "steady")
        assert answer["total"]["history_periods"] == 20

    def test_a_deployed_weekly_model_answers_its_target_and_is_logged(self, workspace, member):
        # given a deployed weekly model of the total, the books of a category beside it
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        weekly(workspace, [100.0] * 12, category=groceries)
        values = [80.0 + 3 * i for i in range(30)]
        version = deployed_weekly(workspace, "expense", values)
        # when
        answer = spending_forecast(workspace=workspace, frequency="W", horizon=3, today=timezone.localdate(),
                                   user=member)
        # then the total is the model's forecast of these three weeks (with its bands), the
        # category the engine's; one prediction is logged for the model
        expected = build_forecaster("naive", season_length=12).fit(values).predict(3)
        assert (answer["total"]["method"], answer["total"]["algorithm"]) == ("model", "naive")
        assert [p["amount"] for p in answer["total"]["forecast"]] == [round(float(v), 2) for v in expected.mean]
        assert [p["hi95"] for p in answer["total"]["forecast"]] == [round(float(v), 2) for v in expected.hi95]
        assert answer["categories"][0]["method"] == "engine"
        assert list(Prediction.objects.values_list("model_version_id", flat=True)) == [version.pk]


class TestMonthly:
    def test_the_categories_asked_for_only_and_one_without_history(self, workspace):
        dining = f.CategoryFactory(workspace=workspace, name="Dining")
        travel = f.CategoryFactory(workspace=workspace, name="Travel")
        gifts = f.CategoryFactory(workspace=workspace, name="Gifts")
        monthly(workspace, [300] * 6, category=dining)
        monthly(workspace, [800, 0, 0, 900, 0, 0], category=travel)
        answer = spending_forecast(workspace=workspace, frequency="M", horizon=2, today=timezone.localdate(),
                                   categories={dining.pk: "Dining", gifts.pk: "Gifts"}, log=False)
        assert [(c["name"], c["history_periods"]) for c in answer["categories"]] == [("Dining", 6), ("Gifts", 0)]
        assert [p["amount"] for p in answer["categories"][0]["forecast"]] == [300.0, 300.0]
        assert answer["categories"][1]["forecast"] is None
        # the total is every category's (travel too)
        assert answer["total"]["last_period"] == 300.0
        assert answer["total"]["history_periods"] == 6

    def test_no_books_no_forecast(self, workspace):
        answer = spending_forecast(workspace=workspace, frequency="M", today=timezone.localdate(), log=False)
        assert (answer["total"]["forecast"], answer["categories"], answer["horizon"]) == (None, [], 3)


@pytest.mark.parametrize(("mean", "recent", "trend"), [
    (110.0, 100.0, "rising"), (109.0, 100.0, "steady"), (91.0, 100.0, "steady"), (90.0, 100.0, "falling"),
    (50.0, 0.0, None)])
def test_trend_thresholds(mean, recent, trend):
    forecast = SeriesForecast("engine", "naive", 5, [mean], [mean], [mean], [mean], [mean])
    assert spending_trend(forecast=forecast, recent=recent) == trend


class TestApi:
    def test_get_and_post_answer_alike(self, workspace, member, client_for):
        dining = f.CategoryFactory(workspace=workspace, name="Dining")
        weekly(workspace, [50.0] * 8, category=dining)
        client = client_for(member)
        got = client.get(URL, {"workspace": workspace.pk, "frequency": "W", "horizon": 2, "category": dining.pk})
        posted = client.post(URL, {"workspace": workspace.pk, "frequency": "W", "horizon": 2,
                                   "category": [dining.pk]}, format="json")
        assert (got.status_code, posted.status_code) == (200, 200)
        assert got.json() == posted.json()
        body = got.json()
        assert (body["workspace"], body["frequency"], body["horizon"], body["currency"]) == (
            workspace.pk, "W", 2, "USD")
        assert [c["name"] for c in body["categories"]] == ["Dining"]
        assert [p["amount"] for p in body["categories"][0]["forecast"]] == [50.0, 50.0]

    @pytest.mark.parametrize(("params", "errors"), [
        ({}, {"workspace": ["This field is required."]}),
        ({"frequency": "D"}, {"frequency": ['"D" is not a valid choice.']}),
        ({"horizon": 0}, {"horizon": ["Ensure this value is greater than or equal to 1."]}),
        ({"frequency": "W", "horizon": 27}, {"horizon": ["At most 26 weekly periods."]}),
        ({"horizon": 13}, {"horizon": ["At most 12 monthly periods."]}),
        ({"category": "abc"}, {"category": {"0": ["A valid integer is required."]}}),
    ])
    def test_bad_query_is_400_naming_the_field(self, params, errors, workspace, member, client_for):
        query = {"workspace": workspace.pk} | params if params.keys() != set() else {}
        response = client_for(member).get(URL, query)
        assert (response.status_code, response.json()) == (400, errors)
        assert Prediction.objects.count() == 0

    def test_another_workspaces_category_is_400_naming_it(self, workspace, other_workspace, member, client_for):
        theirs = f.CategoryFactory(workspace=other_workspace, name="Theirs")
        income = f.CategoryFactory(workspace=workspace, name="Salary", kind="revenue")
        response = client_for(member).get(URL, {"workspace": workspace.pk, "category": [theirs.pk, income.pk]})
        assert (response.status_code, response.json()) == (400, {"category": [
            f"No expense category {pk} in this workspace." for pk in sorted([theirs.pk, income.pk])]})

    def test_unknown_body_field_is_400(self, workspace, member, client_for):
        response = client_for(member).post(URL, {"workspace": workspace.pk, "frequncy": "W"}, format="json")
        assert (response.status_code, response.json()) == (400, {"frequncy": ["Unknown field."]})

    def test_another_workspace_is_404(self, other_workspace, member, client_for):
        client = client_for(member)
        assert client.get(URL, {"workspace": other_workspace.pk}).status_code == 404
        assert client.post(URL, {"workspace": other_workspace.pk}, format="json").status_code == 404

    def test_anonymous_is_refused(self, workspace, api_client):
        assert api_client.get(URL, {"workspace": workspace.pk}).status_code == 401

    def test_documented_with_its_errors(self, member, client_for):
        operations = client_for(member).get("/api/schema/", {"format": "json"}).json()["paths"][URL]
        assert set(operations["get"]["responses"]) == {"200", "400", "401", "404", "429"}
        assert set(operations["post"]["responses"]) == {"200", "400", "401", "403", "404", "415", "429"}
        names = {p["name"] for p in operations["get"]["parameters"]}
        assert names >= {"workspace", "frequency", "horizon", "category"}
