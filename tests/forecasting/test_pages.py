"""The ML parts of the dashboards: forecast charts and budget overrun risk on the overview,
forecast demand on the inventory page, the Models page with Retrain, and one-click
Accept / Correct of suggested categories.

Each test reads given / when / then. Failure paths assert that nothing changed; every
page's query count is pinned and shown not to grow with the number of rows or models.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance.models import Membership
from forecasting.inventory.models import StockPlan
from forecasting.monitoring.models import Alert
from forecasting.registry.generation import generation_bump
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.serving.budgets import BudgetRisk, budget_risk
from forecasting.serving.forecasts import WindowForecast, normal_tail, window_forecast
from forecasting.serving.models import Feedback, Prediction
from forecasting.training.models import TrainingJob
from tests import factories as f

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("finance:overview")
TRANSACTIONS = reverse("finance:transactions")
INVENTORY = reverse("finance:inventory")
MODELS = reverse("forecasting:models")
RETRAIN = reverse("forecasting:retrain")
JSON = {"accept": "application/json"}
VARIED = [100.0, 110.0, 90.0, 100.0, 120.0, 100.0, 100.0, 110.0, 90.0, 100.0, 120.0, 100.0]


# --- helpers ---------------------------------------------------------------------------------


def month_start(months_back: int) -> dt.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def deployed(workspace, target: str, values: list[float], *, algorithm: str = "naive", mae: float = 10.0,
             **extra) -> ModelVersion:
    """A deployed monthly model of ``target`` fitted on ``values``, the last of which is
    the last complete month (so the forecast starts with the current month)."""
    version = f.fitted_version(workspace=workspace, target=target, algorithm=algorithm, status="deployed",
                               values=values, mae=mae)
    dates = [month_start(len(values) - i) for i in range(len(values))]
    ModelVersion.objects.filter(pk=version.pk).update(
        training_start=dates[0], training_end=dates[-1],
        training_data={"frequency": "M", "dates": [d.isoformat() for d in dates], "values": values}, **extra,
    )
    version.refresh_from_db()
    generation_bump(workspace_id=workspace.pk)  # as a deploy does: every process serves it from the next request
    return version


def rest_of_month_share(today: dt.date) -> Decimal:
    days = calendar.monthrange(today.year, today.month)[1]
    return Decimal(days - today.day) / Decimal(days)


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def script_json(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


@pytest.fixture
def manager(workspace):
    return f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user


# --- the arithmetic of risks (pure functions) ---------------------------------------------------


class TestRiskArithmetic:
    OUTPUT = {
        "frequency": "M",
        "dates": ["2026-03-01", "2026-04-01"],
        "forecast": [310.0, 300.0],
        "lo80": [284.3690, 274.3690],
        "hi80": [335.6310, 325.6310],  # + 1.28155 σ with σ = 20
        "lo95": [270.8, 260.8],
        "hi95": [349.2, 339.2],
    }

    def test_a_window_inside_one_month_is_prorated(self):
        # Given a monthly forecast; When the last 11 days of March are asked for
        window = window_forecast(self.OUTPUT, start=dt.date(2026, 3, 21), end=dt.date(2026, 4, 1))
        # Then 11/31 of March's forecast and of its spread
        assert window.mean == pytest.approx(310.0 * 11 / 31)
        assert window.sigma == pytest.approx(20.0 * 11 / 31, rel=1e-4)

    def test_a_window_across_two_months_adds_both_parts(self):
        window = window_forecast(self.OUTPUT, start=dt.date(2026, 3, 17), end=dt.date(2026, 4, 16))
        assert window.mean == pytest.approx(310.0 * 15 / 31 + 300.0 * 15 / 30)
        assert window.sigma == pytest.approx(20.0 * 15 / 31 + 20.0 * 15 / 30, rel=1e-4)

    @pytest.mark.parametrize(
        ("start", "end"),
        [(dt.date(2026, 2, 20), dt.date(2026, 3, 10)), (dt.date(2026, 4, 20), dt.date(2026, 5, 10))],
    )
    def test_a_window_the_forecast_does_not_cover_is_none(self, start, end):
        assert window_forecast(self.OUTPUT, start=start, end=end) is None

    def test_flat_80_band_falls_back_to_the_95_band(self):
        output = self.OUTPUT | {"hi80": [310.0, 300.0], "lo80": [310.0, 300.0], "hi95": [349.2, 339.2]}
        window = window_forecast(output, start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1))
        assert window.sigma == pytest.approx(39.2 / 1.959963984540054)

    def test_normal_tail(self):
        assert normal_tail(0.0) == pytest.approx(0.5)
        assert normal_tail(1.2815515655446004) == pytest.approx(0.1)
        assert normal_tail(-1.959963984540054) == pytest.approx(0.975)

    def test_overrun_probability_from_spent_and_rest_of_month(self):
        # Given 250 spent of a 400 budget and 120 ± 30 expected for the rest of the month
        use = type("Use", (), {"spent": Decimal("250.00"), "limit": Decimal("400.00")})()
        model = object()
        risk = budget_risk(use=use, rest=WindowForecast(120.0, 30.0), source="category", model=model)
        # Then 370 is projected and P(370 + N(0, 30) > 400) = P(Z > 1) ≈ 15.9 %
        assert risk.projected == Decimal("370.00")
        assert risk.probability == pytest.approx(0.158655, abs=1e-6)
        assert (risk.percent, risk.level) == (16, "low")

    def test_already_over_is_certain(self):
        use = type("Use", (), {"spent": Decimal("401.00"), "limit": Decimal("400.00")})()
        risk = budget_risk(use=use, rest=WindowForecast(0.0, 0.0), source="share", model=object())
        assert (risk.probability, risk.percent, risk.level) == (1.0, 100, "high")

    @pytest.mark.parametrize(("probability", "level"), [(0.19, "low"), (0.2, "medium"), (0.49, "medium"), (0.5, "high")])
    def test_levels(self, probability, level):
        risk = BudgetRisk(projected=Decimal(0), probability=probability, source="category", model=object())
        assert risk.level == level


# --- overview: forecast charts ------------------------------------------------------------------


class TestOverviewForecast:
    def test_chart_per_metric_with_history_forecast_bands_and_model(self, logged_in, member, workspace):
        # Given deployed revenue and expense models (naive, trained to last month)
        deployed(workspace, "revenue", VARIED, mae=12.5, metrics={"mae": 12.5, "rmse": 14.0, "mape": 8.25, "n_windows": 3})
        deployed(workspace, "expense", [50.0] * 30, algorithm="seasonal_naive", mae=3.0)
        # When a member opens the overview
        response = logged_in(member).get(OVERVIEW)
        html = response.content.decode()
        # Then each metric has a chart: 12 months of history, then 7 months of forecast
        # (this month and the 6-month horizon), the forecast and bands starting at the last actual
        assert response.status_code == 200
        revenue = script_json(html, "forecast-data-revenue")
        labels = [month_start(12 - i).strftime("%b %Y") for i in range(19)]
        assert revenue["labels"] == labels
        assert revenue["history"] == VARIED + [None] * 7
        assert revenue["forecast"] == [None] * 11 + [100.0] * 8
        assert revenue["lo80"][:12] == [None] * 11 + [100.0]
        assert all(lo95 < lo80 < 100.0 < hi80 < hi95 for lo95, lo80, hi80, hi95 in
                   zip(revenue["lo95"][12:], revenue["lo80"][12:], revenue["hi80"][12:], revenue["hi95"][12:], strict=True))
        assert revenue["currency"] == "USD"
        expense = script_json(html, "forecast-data-expense")
        assert expense["history"] == [50.0] * 24 + [None] * 7  # the last 24 of 30 months
        assert expense["forecast"][24:] == [50.0] * 7
        # and the model that made it with its backtest error
        panels = {p.metric: p for p in response.context["panels"]}
        assert (panels["revenue"].model.label, panels["revenue"].model.version, panels["revenue"].model.mae,
                panels["revenue"].model.mape) == ("Naive", 1, 12.5, 8.25)
        assert (panels["expense"].model.label, panels["expense"].model.mae) == ("Seasonal naive", 3.0)
        assert "backtest MAE <strong data-mae>12.50</strong>" in html
        assert "MAPE 8.2&nbsp;%" in html or "MAPE 8.3&nbsp;%" in html
        assert '<canvas id="forecast-chart-revenue" data-forecast-chart="revenue"' in html
        assert "/static/js/forecast.js" in html
        assert len(panels["revenue"].rows) == 7

    def test_only_one_metric_has_a_model(self, logged_in, member, workspace):
        deployed(workspace, "revenue", VARIED)
        html = logged_in(member).get(OVERVIEW).content.decode()
        assert 'data-forecast-chart="revenue"' in html
        assert 'data-forecast-chart="expense"' not in html
        assert "No expenses model is deployed yet." in html

    def test_candidates_and_other_workspaces_models_are_not_used(self, logged_in, member, workspace, other_workspace):
        f.fitted_version(workspace=workspace, target="revenue", status="candidate")
        deployed(other_workspace, "revenue", VARIED)
        response = logged_in(member).get(OVERVIEW)
        assert [p.has_forecast for p in response.context["panels"]] == [False, False]
        assert Prediction.objects.count() == 0

    def test_a_page_logs_nothing_and_a_second_view_is_served_from_the_cache(self, logged_in, member, workspace,
                                                                           monkeypatch):
        # Given a deployed model, and a count of the times a model is loaded to forecast
        from forecasting.serving import forecasts

        revenue = deployed(workspace, "revenue", VARIED)
        loads, load = [], forecasts.served_model_load
        monkeypatch.setattr(forecasts, "served_model_load", lambda *, version: loads.append(version.pk) or load(
            version=version))
        client = logged_in(member)
        # When the overview is viewed twice
        client.get(OVERVIEW)
        client.get(OVERVIEW)
        # Then the model forecast once (the second view read the cache) and nothing was logged
        assert loads == [revenue.pk]
        assert Prediction.objects.count() == 0

    def test_a_tampered_model_is_refused_and_the_page_still_works(self, logged_in, member, workspace):
        # Given a deployed model whose artifact does not match its recorded sha256
        version = deployed(workspace, "revenue", VARIED)
        ModelVersion.objects.filter(pk=version.pk).update(artifact_sha256="0" * 64)
        # When the overview is opened
        response = logged_in(member).get(OVERVIEW)
        # Then the panel says so instead of a chart, an integrity alert is raised, nothing is logged
        assert response.status_code == 200
        html = response.content.decode()
        assert "failed its integrity check and was not loaded" in html
        assert 'data-forecast-chart="revenue"' not in html
        assert list(Alert.objects.values_list("kind", "target")) == [("integrity", "revenue")]
        assert Prediction.objects.count() == 0


# --- overview: budget overrun risk ------------------------------------------------------------


class TestBudgetRisk:
    @pytest.fixture
    def books(self, workspace):
        """Groceries and Rent budgets; 12 months of history where Groceries is 30 % of spending
        (amounts that alternate, so neither is a recurring bill: bills have tests of their
        own in tests/forecasting/test_budget_bills.py)."""
        today = timezone.localdate()
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        for back in range(1, 13):
            swing = Decimal("0.8") if back % 2 else Decimal("1.2")
            f.TransactionFactory(workspace=workspace, category=groceries, amount=Decimal("300.00") * swing,
                                 date=month_start(back))
            f.TransactionFactory(workspace=workspace, category=rent, amount=Decimal("700.00") * swing,
                                 date=month_start(back))
        f.TransactionFactory(workspace=workspace, category=groceries, amount=Decimal("60.00"), date=today)
        f.BudgetFactory(workspace=workspace, category=groceries, amount=Decimal("50.00"), start_date=month_start(13))
        f.BudgetFactory(workspace=workspace, category=rent, amount=Decimal("5000.00"), start_date=month_start(13))
        return {"groceries": groceries, "rent": rent}

    def risks(self, response) -> dict[str, tuple]:
        ml = response.context["ml"]
        return {
            use.budget.category.name: (
                (risk.source, risk.projected, risk.probability, risk.level) if (risk := ml.risks.get(use.budget.pk)) else None
            )
            for use in response.context["budgets"]
        }

    def test_own_category_model_and_share_of_the_expense_forecast(self, logged_in, member, workspace, books):
        # Given a model of the Rent category (1000 a month) and of total expenses (2000 a month)
        deployed(workspace, f"expense:category={books['rent'].pk}", [1000.0] * 12)
        deployed(workspace, "expense", [2000.0] * 12)
        rest = rest_of_month_share(timezone.localdate())
        # When the overview is opened
        response = logged_in(member).get(OVERVIEW)
        # Then Rent is projected from its own model: nothing spent + 1000 × rest of month, far below 5000;
        # Groceries has no model: 30 % of the expense forecast for the rest of the month, and it is
        # already over its 50 (60 spent), so the overrun is certain
        assert self.risks(response) == {
            "Groceries": ("share", money(Decimal(60) + Decimal(600) * rest), 1.0, "high"),
            "Rent": ("category", money(Decimal(1000) * rest), 0.0, "low"),
        }
        html = response.content.decode()
        assert '<td class="risk-cell" data-risk="high">' in html
        assert '<td class="risk-cell" data-risk="low">' in html
        assert "Overrun risk" in html

    def test_without_an_expense_model_there_is_no_risk(self, logged_in, member, workspace, books):
        deployed(workspace, "revenue", VARIED)
        response = logged_in(member).get(OVERVIEW)
        assert self.risks(response) == {"Groceries": None, "Rent": None}
        assert response.content.decode().count('<td class="risk-cell" data-risk="none">') == 2


# --- inventory: forecast demand ---------------------------------------------------------------


class TestInventoryDemand:
    @pytest.fixture
    def stock(self, workspace):
        today = timezone.localdate()
        north = f.WarehouseFactory(workspace=workspace, code="N")
        supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("10.00"))
        flour = f.ProductFactory(workspace=workspace, sku="FLOUR", supplier=supplier)
        sugar = f.ProductFactory(workspace=workspace, sku="SUGAR", supplier=supplier)
        yeast = f.ProductFactory(workspace=workspace, sku="YEAST", supplier=supplier)
        f.StockLevelFactory(workspace=workspace, product=flour, warehouse=north, quantity=1000)
        f.StockLevelFactory(workspace=workspace, product=sugar, warehouse=north, quantity=5)
        yesterday = today - dt.timedelta(days=1)  # today's sales are not complete: demand reads up to yesterday
        f.SaleFactory(workspace=workspace, product=sugar, warehouse=north, date=yesterday, quantity=30)
        f.SaleFactory(workspace=workspace, product=yeast, warehouse=north, date=yesterday, quantity=10)
        return {"flour": flour, "sugar": sugar, "yeast": yeast}

    def expected_30_days(self, monthly: float) -> float:
        """A flat monthly forecast over [today, today + 30 days), prorated per month."""
        today = timezone.localdate()
        total, day = 0.0, today
        for _ in range(30):
            total += monthly / calendar.monthrange(day.year, day.month)[1]
            day += dt.timedelta(days=1)
        return round(total, 1)

    def test_own_model_or_share_of_the_total_forecast(self, logged_in, member, workspace, stock):
        # Given a model of flour's demand (300 a month) and of total demand (800 a month)
        deployed(workspace, f"inventory:product={stock['flour'].pk}", [300.0] * 12)
        deployed(workspace, "inventory", [800.0] * 12)
        # When the inventory page is opened
        response = logged_in(member).get(INVENTORY)
        html = response.content.decode()
        # Then flour uses its model; sugar and yeast get 75 % and 25 % of the total (their
        # shares of the sales of the demand window); sugar's 5 units cannot last the 10-day
        # lead time — and the reorder points read the same demand
        demand = response.context["demand"]
        assert {pk: (d.source, d.units) for pk, d in demand.items()} == {
            stock["flour"].pk: ("product", self.expected_30_days(300.0)),
            stock["sugar"].pk: ("share", self.expected_30_days(600.0)),
            stock["yeast"].pk: ("share", self.expected_30_days(200.0)),
        }
        assert (demand[stock["flour"].pk].stockout_probability, demand[stock["sugar"].pk].stockout_probability) == (0.0, 1.0)
        assert demand[stock["flour"].pk].cover_days == round(1000 * 30 / self.expected_30_days(300.0), 1)
        reorder = response.context["reorder"]
        assert {pk: round(r.points[0].daily_demand * 30, 1) for pk, r in reorder.items()} == {
            pk: d.units for pk, d in demand.items()}
        assert "stockout 100\xa0%" in html
        assert "Forecast (30&nbsp;d)" in html

    @pytest.mark.parametrize("page", ["inventory", "refused plan"])
    def test_each_forecast_is_read_once_and_nothing_is_logged(self, logged_in, member, workspace, stock, page,
                                                               monkeypatch):
        # Given a model of flour's demand and of total demand, both read by the forecast
        # column and by the reorder points, and a count of the models loaded to forecast
        from forecasting.serving import forecasts

        flour = deployed(workspace, f"inventory:product={stock['flour'].pk}", [300.0] * 12)
        total = deployed(workspace, "inventory", [800.0] * 12)
        loads, load = [], forecasts.served_model_load
        monkeypatch.setattr(forecasts, "served_model_load", lambda *, version: loads.append(version.pk) or load(
            version=version))
        client = logged_in(member)
        # When the inventory page is opened, or shown again by a refused plan form
        if page == "inventory":
            response = client.get(INVENTORY)
        else:
            response = client.post(reverse("forecasting:stock-plan-create"), {"budget": "-1", "service_level": "0.95"})
        # Then both columns are filled, each model forecast once, and nothing was logged
        assert response.status_code == 200
        assert set(response.context["demand"]) == {stock["flour"].pk, stock["sugar"].pk, stock["yeast"].pk}
        assert set(response.context["reorder"]) == {stock["flour"].pk, stock["sugar"].pk, stock["yeast"].pk}
        assert sorted(loads) == sorted([flour.pk, total.pk])
        assert Prediction.objects.count() == 0

    def test_without_models_the_column_is_empty(self, logged_in, member, stock):
        response = logged_in(member).get(INVENTORY)
        assert response.context["demand"] == {}
        assert response.content.decode().count('data-demand=""') == 3


# --- query counts (Zulip-style): pinned, and flat in the number of rows and models -------------
# Every page: session (1) + user (1) + the user's memberships with workspaces (1), then:
#   overview   monthly totals (1) + budget use (1) + what serves the workspace (1: from the
#              process's memory between deploys, outside a transaction — these tests run in
#              one) + the served forecasters' training series (1) + expense shares (1, a
#              budget without its own model) = 8 (pages log nothing)
#   inventory  warehouses (1) + count (1) + products page (1) + stock (1)
#              + reorder points: stock per pair (1) + first sales (1) + daily sales (1)
#              + what serves (1, as above), once for the demand column and the reorder
#                points (one demand rule) + units sold in total (1, a product without a model)
#              + latest stock plan (1)                                                    = 13
#              (+ the plan's orders (1) once a plan exists: see TestInventoryPlanningPage)
#   models     target states (1) + deployed versions (1) + active jobs (1) + open alerts (1)
#              + category names (1) and product names (1): per-category/product targets
#              + each classifier's readiness while it has never been trained: the
#                categoriser (1), the anomaly (1) and the fraud detector (1; every new
#                transaction counts for the three)                                        = 12
#   transactions (with suggestions) categories (1) + count (1) + page of rows (1)          = 6


@pytest.mark.parametrize("size", [2, 6])
class TestQueryCounts:
    @pytest.fixture
    def client(self, logged_in, member, workspace, size):
        today = timezone.localdate()
        categories = [f.CategoryFactory(workspace=workspace, name=f"Cat {n}") for n in range(size)]
        warehouse = f.WarehouseFactory(workspace=workspace)
        for n, category in enumerate(categories):
            f.BudgetFactory(workspace=workspace, category=category, start_date=month_start(2))
            f.TransactionFactory.create_batch(size, workspace=workspace, category=category, date=today)
            if n:  # the first category has no model of its own: its risk needs the expense shares
                deployed(workspace, f"expense:category={category.pk}", [100.0 + n] * 12)
            product = f.ProductFactory(workspace=workspace)
            f.StockLevelFactory(workspace=workspace, product=product, warehouse=warehouse, quantity=10)
            f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse,
                          date=today - dt.timedelta(days=1))  # demand reads complete days
            if n:
                deployed(workspace, f"inventory:product={product.pk}", [40.0] * 12)
            Alert.objects.create(workspace=workspace, kind="drift", target=f"expense:category={category.pk}",
                                 message="Drift")
            TrainingJob.objects.create(workspace=workspace, target=f"expense:category={category.pk}")
        for target in ("revenue", "expense", "inventory"):
            deployed(workspace, target, VARIED)
        for category in categories:  # the newest rows: all on the first page of the list
            f.TransactionFactory(workspace=workspace, category=category, category_source="model",
                                 category_confidence=0.8, date=today)
        return logged_in(member)

    @pytest.mark.parametrize("cache", ["cold", "warm"])
    def test_overview(self, client, django_assert_num_queries, size, cache):
        if cache == "warm":
            client.get(OVERVIEW)
        with django_assert_num_queries(9):  # 9: the recurring bills read once, for the page and the risks
            response = client.get(OVERVIEW)
        assert len(response.context["ml"].risks) == size
        assert all(p.has_forecast for p in response.context["panels"])

    def test_inventory(self, client, django_assert_num_queries, size):
        # 17: the demand of the product without its own model reads the workspace's units
        # sold in the demand window once (its share of the total model); the open stockout
        # warnings once; the scenario form's product choices once; whether a stockout model
        # serves once (inside the test's transaction: a process outside one remembers it); the
        # units on order once
        with django_assert_num_queries(17):
            response = client.get(INVENTORY)
        assert len(response.context["demand"]) == size

    def test_models(self, client, django_assert_num_queries, size):
        with django_assert_num_queries(13):  # 13: the queued jobs' places in line, once
            response = client.get(MODELS)
        # base targets and the three classifiers + per-category models + per-product models + the first
        # category's job-only target
        assert len(response.context["rows"]) == 6 + 2 * (size - 1) + 1
        assert len(response.context["alerts"]) == size

    def test_transactions_with_suggestions(self, client, django_assert_num_queries, size):
        with django_assert_num_queries(7):  # 7: and the accounts (the Account filter)
            response = client.get(TRANSACTIONS)
        assert response.content.decode().count("data-suggestion-form") == size * 2


# --- inventory planning: reorder points, the latest plan, the plan form --------------------------


class TestInventoryPlanningPage:
    Z95 = 1.6448536269514722
    PLAN = reverse("forecasting:stock-plan-create")

    @pytest.fixture
    def stock(self, workspace, settings):
        """CROI at N: 5 on hand, the last five days sold 7, 1, 7, 1, 4 (d = 4, σ_d = 3),
        lead time 4 ± 2 days, MOQ 10, cost 7.30 → SS = 10 z, ROP = 16 + 10 z ≈ 32.4,
        EOQ = 200. PLENTY at N: 1000 on hand, 1 sold a day."""
        settings.INVENTORY_ORDERING_COST = 25.0
        settings.INVENTORY_HOLDING_COST_RATE = 0.25
        settings.INVENTORY_SERVICE_LEVEL = 0.95
        settings.INVENTORY_DEMAND_HISTORY_DAYS = 5
        settings.INVENTORY_PLAN_HORIZON_DAYS = 30
        today = timezone.localdate()
        supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("4.00"),
                                     lead_time_std_days=Decimal("2.00"), min_order_quantity=10)
        north = f.WarehouseFactory(workspace=workspace, code="N")
        croi = f.ProductFactory(workspace=workspace, sku="CROI", supplier=supplier, unit_cost=Decimal("7.30"),
                                unit_price=Decimal("20.00"))
        plenty = f.ProductFactory(workspace=workspace, sku="PLENTY", supplier=supplier)
        f.StockLevelFactory(workspace=workspace, product=croi, warehouse=north, quantity=5)
        f.StockLevelFactory(workspace=workspace, product=plenty, warehouse=north, quantity=1000)
        for days_ago, units in {5: 7, 4: 1, 3: 7, 2: 1, 1: 4}.items():
            f.SaleFactory(workspace=workspace, product=croi, warehouse=north,
                          date=today - dt.timedelta(days=days_ago), quantity=units)
            f.SaleFactory(workspace=workspace, product=plenty, warehouse=north,
                          date=today - dt.timedelta(days=days_ago), quantity=1)
        return {"croi": croi, "plenty": plenty}

    def test_reorder_point_safety_stock_and_order_now(self, logged_in, member, stock):
        # When the inventory page is opened
        response = logged_in(member).get(INVENTORY)
        html = response.content.decode()
        # Then each row shows its reorder point and safety stock; CROI (5 ≤ 32.4) must be ordered
        reorder = response.context["reorder"]
        croi, plenty = reorder[stock["croi"].pk], reorder[stock["plenty"].pk]
        assert croi.reorder_point == pytest.approx(16 + 10 * self.Z95)
        assert croi.safety_stock == pytest.approx(10 * self.Z95)
        assert (croi.order_now, croi.due_codes, plenty.order_now) == (True, "N", False)
        assert 'data-reorder-point="32"' in html and "safety 16" in html
        assert 'data-sku="CROI" data-status="order_now"' in html
        assert '<span class="badge warning" title="Order now at N">Order now</span>' in html
        assert "Reorder point</th>" in html and "95\xa0% service level" in html

    def test_no_plan_yet_and_the_form_for_writers_only(self, logged_in, member, viewer, stock):
        html = logged_in(member).get(INVENTORY).content.decode()
        assert "No stock plan yet." in html
        assert f'action="{self.PLAN}"' in html and "csrfmiddlewaretoken" in html
        assert 'name="service_level" value="0.95"' in html
        viewer_html = logged_in(viewer).get(INVENTORY).content.decode()
        assert "No stock plan yet." in viewer_html and "data-stock-plan-form" not in viewer_html

    def test_posting_the_form_computes_a_plan_and_returns_to_the_page(self, logged_in, member, workspace, stock):
        # When a member asks for a plan with a budget of 1000 at 95 %
        client = logged_in(member)
        response = client.post(self.PLAN, {"budget": "1000", "service_level": "0.95"})
        # Then the plan is stored (136 CROI for 992.80, nothing for PLENTY) and the page shows it
        assert (response.status_code, response.url) == (302, INVENTORY)
        plan = StockPlan.objects.get()
        assert (plan.workspace, plan.created_by, plan.purchase_cost) == (workspace, member, Decimal("992.80"))
        assert list(plan.lines.values_list("product__sku", "order_quantity")) == [("CROI", 136), ("PLENTY", 0)]
        page = client.get(INVENTORY)
        html = page.content.decode()
        assert [str(m) for m in page.context["messages"]] == [
            f"Stock plan {plan.pk}: 1 order costing 1017.80 USD (purchase 992.80 USD)."]
        assert f'data-plan="{plan.pk}"' in html
        assert "budget 1000.00 USD, service level 95\xa0%" in html
        assert "Purchase <strong data-purchase-cost>992.80</strong>&nbsp;USD + ordering 25.00&nbsp;USD" in html
        assert 'data-plan-line="CROI@N"' in html and 'data-plan-line="PLENTY@N"' not in html
        assert "<td class=\"num\" data-order>136</td>" in html

    def test_the_latest_plan_is_shown(self, logged_in, member, workspace, stock):
        from forecasting.inventory.services import stock_plan_create

        stock_plan_create(workspace=workspace, budget=1000)
        latest = stock_plan_create(workspace=workspace, budget=0)
        html = logged_in(member).get(INVENTORY).content.decode()
        assert f'data-plan="{latest.pk}"' in html
        assert "This plan orders nothing." in html

    @pytest.mark.parametrize(("data", "error"), [
        ({"budget": "-5", "service_level": "0.95"}, "The budget cannot be negative."),
        ({"budget": "", "service_level": "0.95"}, "Enter the most the orders may cost."),
        ({"budget": "100", "service_level": "1"}, "The service level must be between 0 and 1 (for example 0.95)."),
        ({"budget": "100", "service_level": "0"}, "The service level must be between 0 and 1 (for example 0.95)."),
    ])
    def test_bad_input_re_renders_the_page_with_the_error(self, logged_in, member, stock, data, error):
        response = logged_in(member).post(self.PLAN, data)
        assert response.status_code == 200
        assert response.context["plan_form"].errors
        assert error in response.content.decode()
        assert [r.product.sku for r in response.context["rows"]] == ["CROI", "PLENTY"]
        assert StockPlan.objects.count() == 0

    def test_nothing_to_plan_is_reported_on_the_page(self, logged_in, member, workspace):
        # Given an active product that no warehouse stocks or sold
        f.ProductFactory(workspace=workspace, sku="LONELY")
        response = logged_in(member).post(self.PLAN, {"budget": "100", "service_level": "0.95"})
        assert response.status_code == 200
        assert "Nothing to plan: the workspace has no active product that a warehouse stocks or has sold." in (
            response.content.decode())
        assert StockPlan.objects.count() == 0

    def test_viewer_gets_403_and_nothing_is_written(self, logged_in, viewer, stock):
        response = logged_in(viewer).post(self.PLAN, {"budget": "100", "service_level": "0.95"})
        assert response.status_code == 403
        assert StockPlan.objects.count() == 0

    def test_get_is_not_allowed_and_csrf_is_enforced(self, logged_in, member, stock):
        assert logged_in(member).get(self.PLAN).status_code == 405
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(self.PLAN, {"budget": "100", "service_level": "0.95"}).status_code == 403
        assert StockPlan.objects.count() == 0

    def test_anonymous_is_sent_to_login(self, client):
        response = client.post(self.PLAN, {"budget": "100"})
        assert response.status_code == 302 and "/login/" in response.url
        assert StockPlan.objects.count() == 0

    @pytest.mark.parametrize("size", [2, 6])
    def test_query_count_with_a_plan_is_flat_in_the_rows(self, logged_in, member, workspace, size,
                                                         django_assert_num_queries):
        # Given `size` products stocked and sold at two warehouses, and a plan of them
        from forecasting.inventory.services import stock_plan_create

        today = timezone.localdate()
        warehouses = [f.WarehouseFactory(workspace=workspace, code=f"W{n}") for n in range(2)]
        for n in range(size):
            product = f.ProductFactory(workspace=workspace, sku=f"P{n}")
            for warehouse in warehouses:
                f.StockLevelFactory(workspace=workspace, product=product, warehouse=warehouse, quantity=1)
                f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse,
                              date=today - dt.timedelta(days=1), quantity=5)
        stock_plan_create(workspace=workspace, budget=1_000_000)  # enough to order every pair
        client = logged_in(member)
        # Then: the 12 queries of tests/finance/test_pages.py + the plan's orders (1) + the open
        # stockout warnings (1) + the scenario form's product choices (1) + whether a stockout
        # model serves (1, inside the test's transaction) + the units on order (1)
        with django_assert_num_queries(17):
            response = client.get(INVENTORY)
        assert len(response.context["reorder"]) == size
        assert response.content.decode().count("data-plan-line=") == 2 * size


# --- the Models page ------------------------------------------------------------------------


class TestModelsPage:
    def test_deployed_last_learned_pending_and_alerts(self, logged_in, member, workspace, other_workspace):
        # Given a deployed revenue model trained yesterday, an expense target with a queued job,
        # a category model asked to retrain by an alert, and alerts (one acknowledged, one elsewhere)
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        f.ProductFactory(workspace=workspace)  # a business with products: it has an inventory card
        revenue = deployed(workspace, "revenue", VARIED, metrics={"mae": 12.5, "rmse": 14.0, "mape": 8.25})
        learned = timezone.now() - dt.timedelta(days=1)
        TargetState.objects.create(workspace=workspace, target="revenue", new_rows=2, last_trained_at=learned)
        job = TrainingJob.objects.create(workspace=workspace, target="expense", status="running", progress=40)
        key = f"expense:category={groceries.pk}"
        deployed(workspace, key, [30.0] * 24, algorithm="seasonal_naive")
        TargetState.objects.create(workspace=workspace, target=key, retrain_requested=True, last_trained_at=learned)
        Alert.objects.create(workspace=workspace, kind="degradation", severity="critical", target=key,
                             message="MAE doubled")
        Alert.objects.create(workspace=workspace, kind="drift", target="revenue", message="Old news",
                             acknowledged_at=timezone.now())
        Alert.objects.create(workspace=other_workspace, kind="drift", target="revenue", message="Their alert")
        # When a member opens the Models page
        response = logged_in(member).get(MODELS)
        # Then every target is listed with what is deployed and whether a retrain is pending
        assert response.status_code == 200
        rows = {
            r.status.key: (r.status.label, r.status.deployed.pk if r.status.deployed else None, r.pending,
                           r.status.last_learned_at, len(r.status.alerts))
            for r in response.context["rows"]
        }
        assert rows == {
            "revenue": ("Revenue", revenue.pk, "no", learned, 0),
            "expense": ("Expenses", None, "running", None, 0),
            "inventory": ("Inventory demand", None, "no", None, 0),
            key: ("Expenses — Groceries", ModelVersion.objects.get(target=key).pk, "requested", learned, 1),
            "categorizer": ("Transaction categoriser", None, "no", None, 0),
        }
        assert [r.status.key for r in response.context["rows"]] == ["revenue", "expense", key, "inventory", "categorizer"]
        assert [(a.message, label) for a, label in response.context["alerts"]] == [("MAE doubled", "Expenses — Groceries")]
        html = response.content.decode()
        assert f'data-job-url="/api/v1/ml/jobs/{job.pk}/"' in html
        assert f"Job {job.pk}: running · 40&nbsp;%" in html
        assert "MAE 12.50 · RMSE 14.00 · MAPE 8.2" in html
        assert "Their alert" not in html and "Old news" not in html
        assert '<span class="badge pending-requested" data-pending="requested">Retrain requested</span>' in html
        assert "/static/js/models.js" in html

    def test_plain_words_agree_with_the_counters_and_queued_jobs_say_their_place(
            self, logged_in, member, workspace, other_workspace, settings):
        # Given revenue trained an hour ago with 16 new rows (cooling down), expense with 2
        # new rows, a deployed categoriser, and inventory queued behind two other jobs
        # (one of another workspace)
        settings.ML_AUTO_LEARN_COOLDOWN = 24.0
        settings.TIME_ZONE = "UTC"
        trained = timezone.now() - dt.timedelta(hours=1)
        deployed(workspace, "revenue", VARIED)
        deployed(workspace, "expense", VARIED)
        TargetState.objects.create(workspace=workspace, target="revenue", new_rows=16, last_trained_at=trained)
        TargetState.objects.create(workspace=workspace, target="expense", new_rows=2, last_trained_at=trained)
        ModelVersion.objects.create(workspace=workspace, target="categorizer", kind="categorizer", version=1,
                                    algorithm="tfidf_logreg_memory", status="deployed")
        TrainingJob.objects.create(workspace=other_workspace, target="revenue", status="queued")
        TrainingJob.objects.create(workspace=workspace, target="fraud", status="queued")
        job = TrainingJob.objects.create(workspace=workspace, target="inventory", status="queued")
        # When a member opens the Models page
        response = logged_in(member).get(MODELS)
        rows = {r.status.key: r for r in response.context["rows"]}
        # Then revenue does not say "Up to date" beside its 16 new rows, and says when it learns
        eligible = timezone.localtime(trained + dt.timedelta(hours=24))
        when = f"{eligible:%H:%M}" if eligible.date() == timezone.localdate() else f"{eligible:%Y-%m-%d %H:%M}"
        assert (rows["revenue"].pending_label, rows["revenue"].retrain_line) == (
            "New data waiting", f"16 new rows; retrains after the cooldown, at {when} (UTC).")
        assert (rows["expense"].pending_label, rows["expense"].retrain_line) == (
            "Up to date", f"Cooling down until {trained + dt.timedelta(hours=24):%Y-%m-%d %H:%M} UTC.")
        # And the queued job says its place in line among every queued job
        assert (rows["inventory"].pending_label, rows["inventory"].retrain_line) == (
            "Queued · 3rd in line", f"Queued (job {job.pk}); 2 jobs ahead of it.")
        # And the categoriser's algorithm has a name people read
        html = response.content.decode()
        assert '<span class="badge model">Text classifier v1</span>' in html
        assert "Tfidf" not in html

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_only_managers_see_retrain(self, logged_in, workspace, role):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        html = logged_in(user).get(MODELS).content.decode()
        assert "data-retrain" not in html
        assert "Owners and managers of the workspace can retrain models here" in html

    @pytest.mark.parametrize("role", ["owner", "manager"])
    def test_managers_see_retrain_with_csrf(self, logged_in, workspace, role):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        f.ProductFactory(workspace=workspace)  # revenue, expense, inventory demand, categoriser
        html = logged_in(user).get(MODELS).content.decode()
        assert html.count("data-retrain") == 4
        assert html.count('name="csrfmiddlewaretoken"') == 4 + 2  # the forms + switcher and logout

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(MODELS)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('finance:login')}?next={MODELS}"

    def test_navigation_and_switcher_point_at_the_models_page(self, logged_in, member):
        html = logged_in(member).get(MODELS).content.decode()
        assert f'<a href="{MODELS}" aria-current="page">Models</a>' in html
        assert f'<input type="hidden" name="next" value="{MODELS}">' in html


class TestRetrain:
    def post(self, client, workspace, target="revenue", **headers):
        return client.post(RETRAIN, {"workspace": workspace.pk, "target": target}, headers=headers)

    def test_manager_queues_a_job_and_gets_its_progress_url(self, logged_in, manager, workspace,
                                                           django_capture_on_commit_callbacks, monkeypatch):
        # Given a deployed weekly model of revenue
        deployed(workspace, "revenue", VARIED)
        ModelVersion.objects.filter(target="revenue").update(frequency="M", horizon=9)
        sent = []
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: sent.append(job_id))
        # When a manager clicks Retrain (the page's script asks for JSON)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(logged_in(manager), workspace, **JSON)
        # Then a manual job with the model's shape is queued and sent to the worker
        job = TrainingJob.objects.get()
        assert response.status_code == 202
        assert response.json() == {
            "job": {"id": job.pk, "target": "revenue", "status": "queued", "status_display": "Queued", "progress": 0,
                    "url": f"/api/v1/ml/jobs/{job.pk}/"},
            "created": True,
            "message": f"Retraining revenue: job {job.pk} is queued.",
        }
        assert (job.workspace, job.trigger, job.requested_by, job.params) == (
            workspace, "manual", manager, {"frequency": "M", "horizon": 9})
        assert sent == [job.pk]

    def test_the_job_json_the_page_polls(self, logged_in, manager, workspace, outsider):
        job = TrainingJob.objects.create(workspace=workspace, target="revenue", status="running", progress=55)
        body = logged_in(manager).get(f"/api/v1/ml/jobs/{job.pk}/").json()
        assert (body["status"], body["progress"]) == ("running", 55)
        assert logged_in(outsider).get(f"/api/v1/ml/jobs/{job.pk}/").status_code == 404

    def test_a_target_already_training_gets_the_same_job(self, logged_in, manager, workspace):
        job = TrainingJob.objects.create(workspace=workspace, target="expense", status="running", progress=20)
        response = self.post(logged_in(manager), workspace, target="expense", **JSON)
        assert response.status_code == 200
        assert (response.json()["created"], response.json()["job"]["id"]) == (False, job.pk)
        assert TrainingJob.objects.count() == 1

    def test_without_javascript_redirects_with_a_message(self, logged_in, owner, workspace):
        client = logged_in(owner)
        response = self.post(client, workspace, target="inventory")
        job = TrainingJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == MODELS
        assert [str(m) for m in client.get(MODELS).context["messages"]] == [
            f"Retraining inventory: job {job.pk} is queued."]

    @pytest.mark.parametrize("target", ["profit", "expense:product=3", ""])
    def test_unknown_target_is_refused(self, logged_in, owner, workspace, target):
        response = self.post(logged_in(owner), workspace, target=target, **JSON)
        assert response.status_code == 400
        assert response.json()["job"] is None
        assert TrainingJob.objects.count() == 0

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_other_roles_get_403_and_nothing_is_queued(self, logged_in, workspace, role):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        assert self.post(logged_in(user), workspace).status_code == 403
        assert TrainingJob.objects.count() == 0

    def test_another_workspace_is_404(self, logged_in, owner, other_workspace):
        assert self.post(logged_in(owner), other_workspace).status_code == 404
        assert TrainingJob.objects.count() == 0

    @pytest.mark.parametrize("value", ["", "abc"])
    def test_garbage_workspace_is_404(self, logged_in, owner, value):
        response = logged_in(owner).post(RETRAIN, {"workspace": value, "target": "revenue"})
        assert response.status_code == 404
        assert TrainingJob.objects.count() == 0

    def test_get_is_not_allowed(self, logged_in, owner):
        assert logged_in(owner).get(RETRAIN).status_code == 405

    def test_csrf_is_enforced(self, owner, workspace):
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        assert self.post(client, workspace).status_code == 403
        assert TrainingJob.objects.count() == 0


# --- suggested categories: show, accept, correct ------------------------------------------------


class TestSuggestions:
    @pytest.fixture
    def cats(self, workspace):
        return {
            "groceries": f.CategoryFactory(workspace=workspace, name="Groceries"),
            "supplies": f.CategoryFactory(workspace=workspace, name="Supplies"),
            "sales": f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue"),
        }

    @pytest.fixture
    def suggested(self, workspace, cats):
        return f.TransactionFactory(workspace=workspace, description="COSTCO WHSE", category=cats["groceries"],
                                    category_source="model", category_confidence=0.87)

    def accept_url(self, t):
        return reverse("forecasting:suggestion-accept", args=[t.pk])

    def correct_url(self, t):
        return reverse("forecasting:suggestion-correct", args=[t.pk])

    def state(self, t):
        t.refresh_from_db()
        return (t.category_id, t.category_source, t.category_confidence)

    def test_list_shows_confidence_accept_and_same_kind_choices(self, logged_in, member, suggested, cats):
        html = logged_in(member).get(TRANSACTIONS).content.decode()
        assert "Suggested · 87\xa0%" in html
        assert f'action="{self.accept_url(suggested)}"' in html
        assert f'action="{self.correct_url(suggested)}"' in html
        # the choices: the workspace's other expense categories (not Sales, a revenue
        # category, nor Groceries, already the suggestion)
        select = re.search(rf'<select id="correct-{suggested.pk}".*?</select>', html, re.S).group(0)
        assert re.findall(r'<option value="(\d*)">([^<]*)</option>', select) == [
            ("", "Correct…"), (str(cats["supplies"].pk), "Supplies")]

    def test_viewer_sees_the_suggestion_without_buttons(self, logged_in, viewer, suggested):
        html = logged_in(viewer).get(TRANSACTIONS).content.decode()
        assert "Suggested · 87\xa0%" in html
        assert "data-suggestion-form" not in html

    def test_user_chosen_category_is_not_a_suggestion(self, logged_in, member, workspace, cats):
        f.TransactionFactory(workspace=workspace, category=cats["groceries"], category_source="user")
        html = logged_in(member).get(TRANSACTIONS).content.decode()
        assert "Suggested" not in html.replace("Suggested by the model (to review)", "")

    def test_filter_lists_only_suggestions(self, logged_in, member, workspace, suggested, cats):
        f.TransactionFactory(workspace=workspace, category=cats["groceries"], category_source="user")
        response = logged_in(member).get(TRANSACTIONS, {"category": "suggested"})
        assert [t.pk for t in response.context["transactions"]] == [suggested.pk]
        assert response.context["is_filtered"] is True

    def test_accept_records_feedback_and_answers_the_new_cell(self, logged_in, member, suggested, cats):
        # When the member clicks Accept (the page's script asks for JSON)
        response = logged_in(member).post(self.accept_url(suggested), headers=JSON)
        # Then the category is theirs, positive feedback is recorded, and the cell is re-rendered
        assert response.status_code == 200
        body = response.json()
        assert (body["ok"], body["message"]) == (True, "Accepted “Groceries” for COSTCO WHSE.")
        assert '<span class="badge ok" role="status">Accepted</span>' in body["html"]
        assert "data-suggestion-form" not in body["html"]
        assert self.state(suggested) == (cats["groceries"].pk, "user", 0.87)
        feedback = Feedback.objects.get()
        assert (feedback.kind, feedback.target, feedback.transaction, feedback.user, feedback.actual) == (
            "acceptance", "categorizer", suggested, member, cats["groceries"].pk)

    def test_accept_without_javascript_returns_to_the_list(self, logged_in, member, suggested):
        client = logged_in(member)
        response = client.post(self.accept_url(suggested), {"next": f"{TRANSACTIONS}?category=suggested"})
        assert response.status_code == 302
        assert response["Location"] == f"{TRANSACTIONS}?category=suggested"
        assert [str(m) for m in client.get(TRANSACTIONS).context["messages"]] == ["Accepted “Groceries” for COSTCO WHSE."]

    def test_offsite_next_is_ignored(self, logged_in, member, suggested):
        response = logged_in(member).post(self.accept_url(suggested), {"next": "https://evil.example.com/"})
        assert response["Location"] == TRANSACTIONS

    def test_correct_records_the_correction(self, logged_in, member, suggested, cats):
        response = logged_in(member).post(self.correct_url(suggested), {"category": cats["supplies"].pk}, headers=JSON)
        assert response.status_code == 200
        assert response.json()["message"] == "Changed the category of COSTCO WHSE to “Supplies”."
        assert '<span class="category-name">Supplies</span>' in response.json()["html"]
        assert self.state(suggested) == (cats["supplies"].pk, "user", None)
        feedback = Feedback.objects.get()
        assert (feedback.kind, feedback.predicted, feedback.actual, feedback.is_correct, feedback.user) == (
            "correction", cats["groceries"].pk, cats["supplies"].pk, False, member)

    @pytest.mark.parametrize("which", ["sales", "theirs", "missing", "empty"])
    def test_correct_to_a_bad_category_changes_nothing(self, logged_in, member, suggested, cats, other_workspace, which):
        value = {
            "sales": cats["sales"].pk,  # the wrong kind
            "theirs": f.CategoryFactory(workspace=other_workspace).pk,
            "missing": 999999,
            "empty": "",
        }[which]
        before = self.state(suggested)
        response = logged_in(member).post(self.correct_url(suggested), {"category": value}, headers=JSON)
        assert response.status_code == 400
        assert response.json()["ok"] is False
        assert self.state(suggested) == before
        assert Feedback.objects.count() == 0

    @pytest.mark.parametrize("action", ["accept", "correct"])
    def test_a_row_that_is_not_a_suggestion_is_409(self, logged_in, member, workspace, cats, action):
        row = f.TransactionFactory(workspace=workspace, category=cats["groceries"], category_source="user")
        url = self.accept_url(row) if action == "accept" else self.correct_url(row)
        response = logged_in(member).post(url, {"category": cats["supplies"].pk}, headers=JSON)
        assert response.status_code == 409
        assert self.state(row) == (cats["groceries"].pk, "user", None)
        assert Feedback.objects.count() == 0

    @pytest.mark.parametrize("action", ["accept", "correct"])
    def test_another_workspaces_row_is_404(self, logged_in, outsider, suggested, cats, action):
        before = self.state(suggested)
        url = self.accept_url(suggested) if action == "accept" else self.correct_url(suggested)
        assert logged_in(outsider).post(url, {"category": cats["supplies"].pk}).status_code == 404
        assert self.state(suggested) == before
        assert Feedback.objects.count() == 0

    @pytest.mark.parametrize("action", ["accept", "correct"])
    def test_viewer_gets_403(self, logged_in, viewer, suggested, cats, action):
        before = self.state(suggested)
        url = self.accept_url(suggested) if action == "accept" else self.correct_url(suggested)
        assert logged_in(viewer).post(url, {"category": cats["supplies"].pk}).status_code == 403
        assert self.state(suggested) == before
        assert Feedback.objects.count() == 0

    @pytest.mark.parametrize("action", ["accept", "correct"])
    def test_get_is_not_allowed(self, logged_in, member, suggested, action):
        url = self.accept_url(suggested) if action == "accept" else self.correct_url(suggested)
        assert logged_in(member).get(url).status_code == 405

    @pytest.mark.parametrize("action", ["accept", "correct"])
    def test_csrf_is_enforced(self, member, suggested, cats, action):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        before = self.state(suggested)
        url = self.accept_url(suggested) if action == "accept" else self.correct_url(suggested)
        assert client.post(url, {"category": cats["supplies"].pk}).status_code == 403
        assert self.state(suggested) == before
        assert Feedback.objects.count() == 0
