"""The seed's financial endpoints — /api/v1/financial/spending-patterns/,
category-preferences/, financial-personality/ and /api/v1/coaching/segment-insights/,
financial-forecast/: exact figures on small books, bad input (400 naming the field),
another workspace (404), anonymous (401/403), the schema."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from coaching.models import Segment, SegmentAssignment, SegmentationRun
from coaching.services.patterns import seasonality_of
from coaching.services.peers import NOT_SEGMENTED
from coaching.services.segments import FEATURES
from finance.models import Membership, Workspace
from finance.months import add_months, month_start
from forecasting.engine.base import Z80, Z95
from tests import factories as f
from tests.coaching.books import book, month

pytestmark = pytest.mark.django_db

FINANCIAL = "/api/v1/financial/"
COACHING = "/api/v1/coaching/"
ENDPOINTS = [f"{FINANCIAL}spending-patterns/", f"{FINANCIAL}category-preferences/",
             f"{FINANCIAL}financial-personality/", f"{COACHING}segment-insights/", f"{COACHING}financial-forecast/"]
DINING = [100 + 20 * i for i in range(12)]  # 100 … 320, oldest first


def books(workspace):
    """Twelve months: revenue 5,000; Rent 1,000 on the 20th to one landlord (a recurring
    bill); Dining rising by 20 a month from 100 (various amounts: no bill)."""
    rent = f.CategoryFactory(workspace=workspace, name="Rent")
    dining = f.CategoryFactory(workspace=workspace, name="Dining")
    for i in range(12):
        offset = 12 - i
        book(workspace, 5000, offset=offset, kind="revenue")
        f.TransactionFactory(workspace=workspace, category=rent, amount=Decimal("1000"), merchant="Landlord",
                             description="Rent", date=month(offset) + dt.timedelta(days=19))
        f.TransactionFactory(workspace=workspace, category=dining, amount=Decimal(DINING[i]), merchant="Bistro",
                             date=month(offset) + dt.timedelta(days=4))
    return rent, dining


def get(client, endpoint, workspace, **params):
    return client.get(endpoint, {"workspace": workspace.pk, **params})


class TestSpendingPatterns:
    def test_trend_volatility_and_recurring_share_per_category(self, workspace, member, client_for):
        rent, dining = books(workspace)
        response = get(client_for(member), f"{FINANCIAL}spending-patterns/", workspace)
        assert response.status_code == 200
        body = response.json()
        assert (body["currency"], body["months"], body["start"], body["end"]) == (
            "USD", 12, month(12).isoformat(), (month_start(timezone.localdate()) - dt.timedelta(days=1)).isoformat())
        assert [(c["category"], c["name"], c["total"]) for c in body["categories"]] == [
            (rent.pk, "Rent", 12000.0), (dining.pk, "Dining", 2520.0)]
        by_name = {c["name"]: c for c in body["categories"]}
        assert [m["amount"] for m in by_name["Dining"]["monthly"]] == [float(v) for v in DINING]
        assert by_name["Dining"]["trend"] == {"slope": 20.0, "percent_per_month": round(20 / 210, 4),
                                              "direction": "rising"}
        assert by_name["Rent"]["trend"] == {"slope": 0.0, "percent_per_month": 0.0, "direction": "flat"}
        # population standard deviation of 100, 120 … 320 is 20·√(143/12)
        assert by_name["Dining"]["volatility"] == {
            "coefficient_of_variation": round(20 * math.sqrt(143 / 12) / 210, 4), "level": "medium"}
        assert by_name["Rent"]["volatility"] == {"coefficient_of_variation": 0.0, "level": "low"}
        assert by_name["Rent"]["recurring"] == {"amount": 12000.0, "share": 1.0, "bills": 1}
        assert by_name["Dining"]["recurring"] == {"amount": 0.0, "share": 0.0, "bills": 0}
        assert body["total"]["recurring"] == {"amount": 12000.0, "share": round(12000 / 14520, 4), "bills": 1}
        assert body["total"]["monthly_average"] == 1210.0
        # twelve months of history: no seasonality yet
        assert by_name["Dining"]["seasonality"] == {"available": False, "history_months": 12, "strength": None,
                                                   "peak_month": None, "low_month": None, "indices": []}

    def test_months_narrows_the_window(self, workspace, member, client_for):
        books(workspace)
        body = get(client_for(member), f"{FINANCIAL}spending-patterns/", workspace, months=3).json()
        assert [c["total"] for c in body["categories"]] == [3000.0, float(sum(DINING[-3:]))]
        assert [m["month"] for m in body["total"]["monthly"]] == [month(o).isoformat() for o in (3, 2, 1)]

    def test_no_books_answer_empty_patterns(self, workspace, member, client_for):
        body = get(client_for(member), f"{FINANCIAL}spending-patterns/", workspace).json()
        assert (body["categories"], body["total"]["total"], body["total"]["trend"]["direction"]) == ([], 0.0, "flat")


class TestSeasonality:
    def test_a_purely_seasonal_series_is_fully_seasonal_with_its_peak(self):
        months = [add_months(dt.date(2023, 1, 1), i) for i in range(36)]
        values = [200.0 if m.month == 12 else 100.0 for m in months]
        found = seasonality_of(__import__("numpy").array(values), months)
        assert (found["available"], found["strength"], found["peak_month"], found["history_months"]) == (
            True, 1.0, 12, 36)
        assert found["indices"][11] == round(1 + (100 - 100 / 12) / (100 + 100 / 12), 3)

    def test_a_flat_series_has_no_seasonality(self):
        months = [add_months(dt.date(2023, 1, 1), i) for i in range(24)]
        found = seasonality_of(__import__("numpy").full(24, 50.0), months)
        assert (found["available"], found["strength"]) == (True, 0.0)


def segment_of(workspaces, *, features=None, centroid=None):
    """One household segment holding each workspace's owner (features given or zeros)."""
    segment = Segment.objects.create(kind=Workspace.Kind.HOUSEHOLD, key="household-savers", name="Savers",
                                     description="Savings rate 40 %", centroid=centroid or dict.fromkeys(FEATURES, 0.0),
                                     size=len(workspaces), workspace_count=len(workspaces), computed_at=timezone.now())
    for ws in workspaces:
        owner = Membership.objects.filter(workspace=ws).first().user
        SegmentAssignment.objects.create(segment=segment, workspace=ws, user=owner, distance=0.5,
                                         features=features or dict.fromkeys(FEATURES, 0.0), computed_at=timezone.now())
    return segment


def peer(dining: float):
    """A household with 1,000 rent and ``dining`` a month over the last three months."""
    ws = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
    f.MembershipFactory(workspace=ws)
    rent = f.CategoryFactory(workspace=ws, name="rent")
    eating = f.CategoryFactory(workspace=ws, name="DINING")
    for offset in (1, 2, 3):
        book(ws, 1000, offset=offset, category=rent)
        book(ws, dining, offset=offset, category=eating)
    return ws


class TestCategoryPreferences:
    def test_shares_and_payments_without_a_segment(self, workspace, member, client_for):
        rent, dining = books(workspace)
        body = get(client_for(member), f"{FINANCIAL}category-preferences/", workspace).json()
        spent = 3000 + sum(DINING[-3:])
        assert (body["spent"], body["months"], body["segment"], body["comparison_available"], body["reason"]) == (
            spent, 3, None, False, NOT_SEGMENTED)
        assert body["categories"] == [
            {"category": rent.pk, "name": "Rent", "rank": 1, "spent": 3000.0, "share": round(3000 / spent, 4),
             "transactions": 3, "average_transaction": 1000.0, "discretionary": False, "peers": None},
            {"category": dining.pk, "name": "Dining", "rank": 2, "spent": 900.0, "share": round(900 / spent, 4),
             "transactions": 3, "average_transaction": 300.0, "discretionary": True, "peers": None},
        ]
        assert body["discretionary_share"] == round(900 / spent, 4)

    def test_against_five_peers_by_smoothed_quantiles(self, client_for):
        mine = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
        owner = f.MembershipFactory(workspace=mine).user
        books(mine)
        peers = [peer(d) for d in (250, 500, 1000, 1500, 4000)]  # dining shares .2 .333 .5 .6 .8
        segment_of([mine, *peers])
        body = get(client_for(owner), f"{FINANCIAL}category-preferences/", mine).json()
        assert (body["segment"], body["peers"], body["comparison_available"]) == (
            {"key": "household-savers", "name": "Savers"}, 5, True)
        rent, dining = body["categories"]
        # five values: p25 = mean(x0, x1, x2), median = mean(x1, x2, x3), p75 = mean(x2, x3, x4)
        assert dining["peers"] == {"median_share": 0.48, "p25_share": 0.34, "p75_share": 0.63, "with_category": 5,
                                   "peers": 5, "difference_points": round((900 / 3900 - (1 / 3 + .5 + .6) / 3) * 100, 1)}
        # rent shares .2 .4 .5 .667 .8
        assert (rent["peers"]["median_share"], rent["peers"]["difference_points"]) == (
            0.52, round((3000 / 3900 - (.4 + .5 + 2 / 3) / 3) * 100, 1))

    def test_a_category_fewer_than_five_peers_spend_on_has_no_comparison(self, client_for):
        mine = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
        owner = f.MembershipFactory(workspace=mine).user
        travel = f.CategoryFactory(workspace=mine, name="Travel")
        book(mine, 400, offset=1, category=travel)
        segment_of([mine, *[peer(100) for _ in range(5)]])
        [row] = get(client_for(owner), f"{FINANCIAL}category-preferences/", mine).json()["categories"]
        assert (row["name"], row["peers"]) == ("Travel", None)


class TestFinancialPersonality:
    def test_a_saver_with_every_rule_shown(self, workspace, member, client_for):
        _, dining = books(workspace)
        f.BudgetFactory(workspace=workspace, category=dining, amount=Decimal("400"), start_date=dt.date(2020, 1, 1))
        f.GoalFactory(workspace=workspace, target_amount=Decimal("5000"), saved_amount=Decimal("3000"))
        body = get(client_for(member), f"{FINANCIAL}financial-personality/", workspace).json()
        spent = 6000 + sum(DINING[-6:])  # 7,620 over six months against 30,000 of revenue
        assert (body["available"], body["personality"], body["label"], body["months"]) == (True, "saver", "Saver", 6)
        assert body["features"] == {
            "savings_rate": round((30000 - spent) / 30000, 4), "spending_volatility": round(
                20 * math.sqrt(35 / 12) / (spent / 6), 4), "discretionary_share": round(sum(DINING[-6:]) / spent, 4),
            "goal_progress": 0.6, "engagement": 0.0, "spending_trend": round(20 / (spent / 6), 4),
            "recurring_share": round(6000 / spent, 4), "budget_adherence": 1.0, "goals": 1}
        assert body["scores"] == [
            {"personality": "saver", "label": "Saver", "score": 1.0, "rules_met": 3, "rules_applicable": 3},
            {"personality": "planner", "label": "Planner", "score": 0.75, "rules_met": 3, "rules_applicable": 4},
            {"personality": "spender", "label": "Spender", "score": 0.0, "rules_met": 0, "rules_applicable": 3}]
        engagement = next(r for r in body["reasons"] if r["feature"] == "engagement")
        assert engagement == {"personality": "planner", "feature": "engagement", "value": 0.0, "comparison": ">=",
                              "threshold": 1.0, "met": False, "text": "checks its finances at least once a week"}
        assert len(body["reasons"]) == 10

    def test_rules_on_missing_budgets_and_goals_do_not_count(self, workspace, member, client_for):
        # spending more than comes in, all of it on dining, unevenly: a spender
        dining = f.CategoryFactory(workspace=workspace, name="Dining")
        for offset, amount in zip(range(6, 0, -1), (600, 990, 700, 990, 500, 990), strict=True):
            book(workspace, 700, offset=offset, kind="revenue")
            book(workspace, amount, offset=offset, category=dining)
        body = get(client_for(member), f"{FINANCIAL}financial-personality/", workspace).json()
        assert body["personality"] == "spender"
        assert [(r["feature"], r["met"]) for r in body["reasons"] if r["met"] is None] == [
            ("goal_progress", None), ("budget_adherence", None)]
        # saver: goal_progress does not count (no goals), so two rules apply, neither holds
        assert [(s["personality"], s["rules_met"], s["rules_applicable"]) for s in body["scores"]] == [
            ("saver", 0, 2), ("planner", 0, 3), ("spender", 3, 3)]

    def test_without_books_it_says_what_to_do(self, workspace, member, client_for):
        body = get(client_for(member), f"{FINANCIAL}financial-personality/", workspace).json()
        assert (body["available"], body["personality"], body["scores"]) == (False, None, [])
        assert body["reason"].startswith("No approved transactions in the last 6 complete months")


class TestSegmentInsights:
    def test_profile_against_the_centre_and_peer_aggregates(self, client_for):
        mine = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
        owner = f.MembershipFactory(workspace=mine).user
        for offset in (1, 2, 3):
            book(mine, 5000, offset=offset)
        peers = [peer(d) for d in (0.01, 500, 1000, 1500, 2000)]
        centre = dict.fromkeys(FEATURES, 0.1) | {"savings_rate": 0.4, "engagement": 2.0}
        yours = dict.fromkeys(FEATURES, 0.12) | {"savings_rate": 0.1, "engagement": 2.2}
        segment_of([mine], features=yours, centroid=centre)
        Segment.objects.update(workspace_count=6)
        for ws in peers:  # the peers' assignments (their owners) in the same segment
            SegmentAssignment.objects.create(segment=Segment.objects.get(), workspace=ws, distance=0.1,
                                             user=Membership.objects.get(workspace=ws).user, features=centre,
                                             computed_at=timezone.now())
        SegmentationRun.objects.create(number=4, computed_at=timezone.now(), silhouette=0.61,
                                       k={"household": 1}, status=SegmentationRun.Status.CURRENT)
        body = get(client_for(owner), f"{COACHING}segment-insights/", mine).json()
        assert (body["available"], body["reason"], body["segment"]["name"], body["segment"]["description"]) == (
            True, "", "Savers", "Savings rate 40 %")
        assert (body["run"]["number"], body["run"]["silhouette"], body["run"]["k"]) == (4, 0.61, {"household": 1})
        savings = next(r for r in body["profile"] if r["feature"] == "savings_rate")
        assert savings == {"feature": "savings_rate", "label": "savings rate", "yours": 0.1, "segment": 0.4,
                           "difference": -0.3, "direction": "below"}
        assert [r["direction"] for r in body["profile"] if r["feature"] != "savings_rate"] == ["close"] * 5
        assert body["insights"][0] == {"feature": "savings_rate",
                                       "text": "Your savings rate (10%) is below your segment's (40%)."}
        # 5,000 a month against peers spending 1,000 + dining: the top of the group
        assert (body["peers"]["available"], body["peers"]["total"]["your_percentile"]) == (True, 100)
        assert body["insights"][1]["feature"] == "spending"
        assert body["insights"][1]["text"].startswith("You spend more a month than three quarters of your 5 peers")

    def test_a_small_segment_hides_its_centre(self, workspace, member, client_for):
        segment_of([workspace])
        SegmentAssignment.objects.filter(workspace=workspace).update(user=member)
        body = get(client_for(member), f"{COACHING}segment-insights/", workspace).json()
        assert (body["available"], body["segment"]["description"], body["run"]) == (True, None, None)
        assert {r["segment"] for r in body["profile"]} == {None}
        assert body["reason"] == "Your segment's profile is shown once at least 5 other workspaces share it (0 do now)."
        assert (body["peers"]["available"], body["insights"]) == (False, [])

    def test_not_segmented_yet(self, workspace, member, client_for):
        body = get(client_for(member), f"{COACHING}segment-insights/", workspace).json()
        assert (body["available"], body["reason"], body["segment"], body["profile"]) == (False, NOT_SEGMENTED, None, [])


class TestFinancialForecast:
    def test_net_of_flat_forecasts_from_the_current_month(self, workspace, member, client_for):
        f.fitted_version(workspace=workspace, target="revenue", status="deployed", values=[1000.0] * 36)
        f.fitted_version(workspace=workspace, target="expense", status="deployed", values=[600.0] * 36)
        body = get(client_for(member), f"{COACHING}financial-forecast/", workspace).json()
        current = month_start(timezone.localdate())
        assert (body["available"], body["frequency"], body["currency"]) == (True, "M", "USD")
        assert [p["start"] for p in body["periods"]] == [add_months(current, i).isoformat() for i in range(6)]
        assert [p["partial"] for p in body["periods"]] == [True] + [False] * 5
        assert {p["net"]["forecast"] for p in body["periods"]} == {400.0}
        assert body["total"] == {"revenue": 6000.0, "expense": 3600.0, "net": 2400.0, "net_lo80": 2400.0,
                                 "net_hi80": 2400.0, "net_lo95": 2400.0, "net_hi95": 2400.0,
                                 "probability_negative": 0.0, "periods_negative": 0}
        assert body["models"]["revenue"]["algorithm"] == "naive"

    def test_intervals_combine_as_independent_errors(self, workspace, member, client_for):
        f.fitted_version(workspace=workspace, target="revenue", status="deployed", values=[900.0, 1100.0] * 18)
        f.fitted_version(workspace=workspace, target="expense", status="deployed", values=[700.0, 800.0] * 18)
        body = get(client_for(member), f"{COACHING}financial-forecast/", workspace, horizon=2).json()
        assert len(body["periods"]) == 2
        first = body["periods"][0]
        sigma80 = math.hypot(*((first[t]["hi80"] - first[t]["lo80"]) / (2 * Z80) for t in ("revenue", "expense")))
        sigma95 = math.hypot(*((first[t]["hi95"] - first[t]["lo95"]) / (2 * Z95) for t in ("revenue", "expense")))
        net = first["revenue"]["forecast"] - first["expense"]["forecast"]
        assert first["net"]["forecast"] == pytest.approx(net, abs=0.01)
        assert first["net"]["lo80"] == pytest.approx(net - Z80 * sigma80, abs=0.02)
        assert first["net"]["hi95"] == pytest.approx(net + Z95 * sigma95, abs=0.02)
        assert first["net"]["lo80"] < first["net"]["forecast"] < first["net"]["hi80"]

    def test_without_both_forecasters_it_says_which_is_missing(self, workspace, member, client_for):
        f.fitted_version(workspace=workspace, target="revenue", status="deployed")
        body = get(client_for(member), f"{COACHING}financial-forecast/", workspace).json()
        assert (body["available"], body["periods"], body["total"], body["models"]) == (False, [], None, None)
        assert body["reason"].startswith("No expense forecaster is deployed at one frequency")

    def test_a_frequency_without_models_is_named(self, workspace, member, client_for):
        f.fitted_version(workspace=workspace, target="revenue", status="deployed")
        f.fitted_version(workspace=workspace, target="expense", status="deployed")
        body = get(client_for(member), f"{COACHING}financial-forecast/", workspace, frequency="W").json()
        assert (body["available"], body["frequency"]) == (False, "W")
        assert body["reason"].startswith("No revenue and expense forecaster is deployed at the weekly frequency")


class TestTenancyAndInput:
    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_another_workspace_is_404(self, endpoint, other_workspace, member, client_for):
        books(other_workspace)
        assert get(client_for(member), endpoint, other_workspace).status_code == 404

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    @pytest.mark.parametrize(("params", "message"), [
        ({}, "This field is required."), ({"workspace": "abc"}, "A valid integer is required.")])
    def test_a_bad_workspace_is_400_naming_it(self, endpoint, params, message, member, client_for):
        response = client_for(member).get(endpoint, params)
        assert (response.status_code, response.json()) == (400, {"workspace": [message]})

    @pytest.mark.parametrize(("endpoint", "params", "field"), [
        ("spending-patterns/", {"months": "2"}, "months"), ("spending-patterns/", {"months": "37"}, "months"),
        ("category-preferences/", {"months": "0"}, "months"), ("category-preferences/", {"months": "x"}, "months"),
    ])
    def test_bad_months_are_400_naming_the_field(self, endpoint, params, field, workspace, member, client_for):
        response = get(client_for(member), f"{FINANCIAL}{endpoint}", workspace, **params)
        assert (response.status_code, list(response.json())) == (400, [field])

    @pytest.mark.parametrize(("params", "field"), [
        ({"frequency": "Y"}, "frequency"), ({"horizon": "0"}, "horizon"), ({"horizon": "61"}, "horizon")])
    def test_bad_forecast_query_is_400_naming_the_field(self, params, field, workspace, member, client_for):
        response = get(client_for(member), f"{COACHING}financial-forecast/", workspace, **params)
        assert (response.status_code, list(response.json())) == (400, [field])

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_anonymous_is_refused(self, endpoint, workspace, api_client):
        assert get(api_client, endpoint, workspace).status_code in (401, 403)

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_a_viewer_reads_them(self, endpoint, workspace, viewer, client_for):
        books(workspace)
        assert get(client_for(viewer), endpoint, workspace).status_code == 200


def test_documented_in_the_schema_with_their_errors(member, client_for):
    paths = client_for(member).get("/api/schema/", {"format": "json"}).json()["paths"]
    answers = ["SpendingPatterns", "CategoryPreferences", "FinancialPersonality", "SegmentInsights",
               "FinancialForecast"]
    for endpoint, answer in zip(ENDPOINTS, answers, strict=True):
        operation = paths[endpoint]["get"]
        assert sorted(operation["responses"]) == ["200", "400", "401", "404", "429"], endpoint
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{answer}"}
        assert "workspace" in [p["name"] for p in operation["parameters"]]
    params = {p["name"]: p for p in paths[f"{COACHING}financial-forecast/"]["get"]["parameters"]}
    assert params["horizon"]["schema"]["maximum"] == 60
