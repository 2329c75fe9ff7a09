"""The learned stockout model: the stock history it learns from (replayed or simulated),
its samples and features, its calibrated training and time-split backtest, and its place in
the registry's classifier lifecycle (trained, deployed, skipped with the reason, swept)."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.classifiers.loading import ColdStart
from forecasting.inventory.stockout_history import (
    SIMULATED,
    Order,
    PairHistory,
    SupplierTerms,
    features_at,
    samples_build,
    stock_replay,
    stock_simulate,
)
from forecasting.inventory.stockout_learning import (
    STOCKOUT,
    stockout_history_read,
    stockout_train,
)
from forecasting.inventory.stockout_model import (
    NotEnoughHistory,
    brier_score,
    probability_reliability,
    stockout_backtest,
)
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.serving.forecasts import WindowForecast
from forecasting.training.classifiers import classifiers_sweep
from forecasting.training.jobs import training_job_create, training_job_run
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.forecasting.stockout_books import synthetic_books


def history(demand, stock, *, orders=(), supplier_orders=None, lead=5.0, min_receipts=3) -> PairHistory:
    orders = list(orders)
    return PairHistory(key=(1, 1), demand=np.asarray(demand, float), stock=np.asarray(stock, float), orders=orders,
                       supplier_orders=orders if supplier_orders is None else list(supplier_orders),
                       terms=SupplierTerms(lead_time_mean=lead, lead_time_std=1.0), source=SIMULATED,
                       min_receipts=min_receipts)


class TestStockPath:
    def test_the_replay_walks_back_from_today_through_sales_and_receipts(self):
        # Given 2, 3, 1 sold, 5 received on the second day and 4 left at the end
        # Then the stock was 4 + 1 = 5 after the second day and 5 + 3 − 5 = 3 after the first
        assert stock_replay(np.array([2.0, 3, 1]), np.array([0.0, 5, 0]), 4.0).tolist() == [3.0, 5.0, 4.0]

    def test_a_replay_below_zero_means_receipts_are_missing(self):
        assert stock_replay(np.array([0.0, 0]), np.array([0.0, 6]), 2.0) is None

    def test_the_simulation_is_seeded_serves_what_it_can_and_reorders(self):
        demand = np.random.default_rng(3).poisson(6, 200).astype(float)
        terms = SupplierTerms(lead_time_mean=4, lead_time_std=1, min_order_quantity=5)
        stock, orders = stock_simulate(demand, terms, fill_rate=1.0, rng=np.random.default_rng(7))
        again, _ = stock_simulate(demand, terms, fill_rate=1.0, rng=np.random.default_rng(7))
        assert stock.tolist() == again.tolist()
        # Each day: yesterday's stock plus what arrived, less the demand, never below 0
        arrivals = np.zeros(len(demand))
        for order in orders:
            for day, units in order.receipts:
                arrivals[day] += units
        previous = np.concatenate([[stock[0] + demand[0] - arrivals[0]], stock[:-1]])
        assert np.allclose(stock[1:], np.maximum(previous[1:] + arrivals[1:] - demand[1:], 0))
        assert all(order.quantity % 5 == 0 and order.quantity > 0 for order in orders)
        assert len(orders) >= 200 // 28  # at least one an order cycle
        assert all(order.receipts[0][0] > order.ordered for order in orders if order.receipts)


class TestSamples:
    def test_a_window_is_labelled_by_whether_the_stock_hit_zero_within_it(self):
        # Given 40 days whose stock is at 0 only on day 37
        stock = np.full(40, 10.0)
        stock[37] = 0
        pair = history(np.ones(40), stock, lead=7)
        # When every day after the 28-day warm-up is sampled for the 7-day window
        samples = samples_build([pair], step=1)
        week = samples.X["window_days"].to_numpy() == 7
        # Then the days 28 … 32 are labelled by (t, t + 7]: only those whose week reaches day 37
        assert samples.day[week].tolist() == [28, 29, 30, 31, 32]
        assert samples.y[week].tolist() == [False, False, True, True, True]
        assert samples.end[week].tolist() == [35, 36, 37, 38, 39]

    def test_the_features_read_what_was_known_that_day(self):
        # Given 4 a day, 20 on hand, an order of 30 placed on day 30, expected on day 40,
        # 10 of it received on day 42
        order = Order(ordered=30, expected=40, quantity=30, receipts=((42, 10),))
        pair = history(np.full(60, 4.0), np.full(60, 20.0), orders=[order])
        frame = features_at(pair, np.array([35, 35, 43]), np.array([3, 7, 7]))
        # Then on day 35 all 30 are on order, expected within a 7-day window but not a 3-day one;
        # on day 43, 20 are still due (counted as due: the order is late)
        assert frame["on_order"].tolist() == [30, 30, 20]
        assert frame["on_order_due"].tolist() == [0, 30, 20]
        assert frame["cover_days"].tolist() == [5.0, 5.0, 5.0]
        assert frame["cover_ratio"].tolist() == pytest.approx([20 / 12, 20 / 28, 20 / 28])
        assert frame["position_ratio"].tolist() == pytest.approx([20 / 12, 50 / 28, 40 / 28])

    def test_the_lead_time_is_typed_until_enough_receipts_measure_it(self):
        # Given orders promised in 5 days that took 6 (late), 4 (on time) and 8 (late)
        orders = [Order(ordered=d, expected=d + 5, quantity=10, receipts=((d + lead, 10),))
                  for d, lead in ((0, 6), (10, 4), (20, 8))]
        pair = history(np.ones(40), np.full(40, 5.0), supplier_orders=orders, lead=5)
        frame = features_at(pair, np.array([25, 30]), np.array([7, 7]))
        # Then on day 25 two receipts are known: still the typed 5 ± 1; on day 30 three: 6 ± 2
        assert frame["lead_time_mean"].tolist() == [5.0, 6.0]
        assert frame["lead_time_std"].tolist() == [1.0, 2.0]
        assert frame["lead_time_measured"].tolist() == [0.0, 1.0]
        assert frame["on_time_rate"].tolist() == pytest.approx([1 / 2, 1 / 3])
        assert frame["fill_rate"].tolist() == [1.0, 1.0]

    @pytest.mark.parametrize(("mean", "std", "window", "on_hand"), [(4, 3, 4, 5), (4, 3, 30, 100), (2, 0, 7, 10)])
    def test_the_forecast_distribution_probability_is_the_stockout_pages(self, mean, std, window, on_hand):
        stock = np.full(120, float(on_hand))
        rng = np.random.default_rng(0)
        demand = mean + std * rng.standard_normal(120) if std else np.full(120, float(mean))
        pair = history(demand, stock)
        [p] = features_at(pair, np.array([119]), np.array([window]))["distribution_probability"]
        recent = demand[-90:]
        expected = WindowForecast(recent.mean() * window, recent.std(ddof=1) * window ** 0.5).exceed_probability(
            on_hand)
        assert p == pytest.approx(expected, abs=1e-9)


class TestJudging:
    def test_brier_and_the_reliability_table(self):
        y = np.array([1, 0, 1, 0])
        p = np.array([0.9, 0.1, 0.35, 0.32])
        assert brier_score(y, p) == pytest.approx((0.01 + 0.01 + 0.4225 + 0.1024) / 4)
        assert probability_reliability(y, p) == [
            {"from": 0.1, "to": 0.2, "n": 1, "predicted": 0.1, "observed": 0.0},
            {"from": 0.3, "to": 0.4, "n": 2, "predicted": 0.335, "observed": 0.5},
            {"from": 0.9, "to": 1.0, "n": 1, "predicted": 0.9, "observed": 1.0},
        ]

    def test_a_history_that_never_runs_out_cannot_be_judged(self):
        pair = history(np.ones(200), np.full(200, 50.0))
        with pytest.raises(NotEnoughHistory, match="stockout samples of"):
            stockout_backtest(samples_build([pair]))


@pytest.mark.django_db
class TestTraining:
    def test_a_calibrated_model_that_beats_the_base_rate_and_the_forecast_distribution(self, workspace):
        # Given six products sold for 400 days with no receipts (stock simulated from the sales)
        synthetic_books(workspace)
        # When the stockout model is trained
        fit = stockout_train(workspace=workspace)
        metrics = fit.metrics
        # Then it was judged on the last fifth of the days: better than the constant base rate
        # and than the forecast distribution, and calibrated far better than the latter
        # (a few dozen stockouts of six products: the calibration error of ~500 test rows is
        # itself noisy, 0.05–0.14 over seeds; the benchmark measures it on the demo's years)
        assert metrics["brier"] < metrics["brier_base_rate"] < metrics["brier_forecast_distribution"]
        assert metrics["ece"] < metrics["ece_forecast_distribution"] / 2
        assert fit.params["calibration"] in ("isotonic", "sigmoid")
        assert sum(row["n"] for row in fit.reliability) == metrics["n_test"]
        assert fit.summary["stock_history"] == {"pairs": 6, "replayed": 0, "simulated": 6,
                                                "stockouts": stockout_history_read(workspace=workspace).events}
        # And the model answers probabilities
        rows = samples_build(stockout_history_read(workspace=workspace).histories).X.head(50)
        p = fit.model.predict_proba(rows)
        assert len(p) == 50 and ((p >= 0) & (p <= 1)).all()

    def test_too_little_history_is_not_trained_and_says_why(self, workspace, other_workspace, settings):
        with pytest.raises(ColdStart) as empty:
            stockout_train(workspace=other_workspace)
        assert str(empty.value) == "Cold start: no active product has 36 days of sales yet."
        synthetic_books(workspace, pairs=1, days=120)
        events = stockout_history_read(workspace=workspace).events
        settings.INVENTORY_STOCKOUT_MODEL_MIN_EVENTS = events + 1
        with pytest.raises(ColdStart) as few:
            stockout_train(workspace=workspace)
        assert str(few.value) == (
            f"Cold start: {events} of {events + 1} stockouts in the stock history (0 product × warehouse stock "
            "histories replayed from the books, 1 simulated from their sales).")

    def test_a_pair_whose_receipts_explain_its_stock_is_replayed(self, workspace):
        import datetime as dt

        from django.utils import timezone

        today = timezone.localdate()
        product = f.ProductFactory(workspace=workspace)
        shop = f.WarehouseFactory(workspace=workspace)
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=shop, quantity=40)
        for days_ago in range(1, 61):
            f.SaleFactory(workspace=workspace, product=product, warehouse=shop, quantity=2,
                          date=today - dt.timedelta(days=days_ago))
        order = f.PurchaseOrderFactory(workspace=workspace, product=product, warehouse=shop, quantity_ordered=100,
                                       ordered_on=today - dt.timedelta(days=40),
                                       expected_on=today - dt.timedelta(days=33))
        f.ReceiptFactory(purchase_order=order, received_on=today - dt.timedelta(days=33), quantity=100)
        [pair] = stockout_history_read(workspace=workspace).histories
        # 40 now; 2 a day back to 33 days ago, when 100 came in: 40 + 2·32 = 104 that evening,
        # 6 the evening before
        assert (pair.source, pair.n_days, pair.stock[-1], pair.stock[-33], pair.stock[-34]) == (
            "replayed", 60, 40.0, 104.0, 6.0)


def _train(workspace):
    return training_job_run(job_id=training_job_create(workspace=workspace, target=STOCKOUT, enqueue=False).pk)


@pytest.mark.django_db
class TestLifecycle:
    def test_a_job_registers_and_deploys_the_model_as_a_classifier(self, workspace, client):
        synthetic_books(workspace)
        job = _train(workspace)
        version = ModelVersion.objects.get(workspace=workspace, target=STOCKOUT)
        assert (job.status, job.kind, job.deployed) == ("succeeded", "stockout", True)
        assert (version.kind, version.algorithm, version.status, version.frequency) == (
            "stockout", "xgboost_calibrated", "deployed", "")
        assert job.decision.startswith(f"Backtest Brier score {version.metrics['brier']:.4f} beats the base rate")
        assert version.backtest["reliability"] and version.training_data["stock_history"]["simulated"] == 6
        assert Deployment.objects.get(to_version=version).action == "auto_deploy"
        # And staff inspect it: its metrics and its reliability table by tenths
        client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
        page = client.get(f"/admin/forecasting/modelversion/{version.pk}/inspect/").content.decode()
        first = version.backtest["reliability"][0]
        assert "predicted chance of a stockout vs the share that ran out" in page
        assert f"<td>{first['n']}</td>\n      <td>{first['predicted']:.3f}</td><td>{first['observed']:.3f}</td>" in page
        assert "brier_forecast_distribution" in page

    def test_a_model_no_better_than_what_answers_stays_a_candidate(self, workspace, monkeypatch):
        from forecasting.inventory import stockout_learning

        synthetic_books(workspace)
        real = stockout_learning.stockout_backtest

        def worse(samples):
            backtest = real(samples)
            backtest.metrics["brier_forecast_distribution"] = backtest.metrics["brier"] - 0.01
            return backtest

        monkeypatch.setattr(stockout_learning, "stockout_backtest", worse)
        job = _train(workspace)
        version = ModelVersion.objects.get(workspace=workspace, target=STOCKOUT)
        assert (job.status, job.deployed, version.status) == ("succeeded", False, "candidate")
        assert "does not beat the forecast distribution" in job.decision

    def test_a_cold_start_job_is_skipped_with_the_reason(self, workspace):
        job = _train(workspace)
        assert (job.status, job.decision) == ("skipped", "Cold start: no active product has 36 days of sales yet.")
        assert not ModelVersion.objects.filter(target=STOCKOUT).exists()

    def test_the_daily_sweep_queues_a_workspace_with_enough_stockouts(self, workspace, other_workspace,
                                                                      monkeypatch):
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: None)
        synthetic_books(workspace)
        report = classifiers_sweep()
        assert set(TrainingJob.objects.filter(target=STOCKOUT).values_list("workspace_id", "trigger")) == {
            (workspace.pk, "schedule")}
        assert report.skipped[f"{other_workspace.pk}:stockout"] == (
            "Cold start: no active product has 36 days of sales yet.")


@pytest.mark.django_db
class TestRetrainRequests:
    def test_an_owner_asks_for_a_training_through_the_api(self, workspace, owner, client_for, monkeypatch,
                                                        django_capture_on_commit_callbacks):
        sent = []
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: sent.append(job_id))
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(owner).post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": STOCKOUT},
                                              format="json")
        assert response.status_code == 202
        job = TrainingJob.objects.get()
        assert (job.target, job.kind, job.algorithms, job.status, sent) == (
            "stockout", "stockout", [], "queued", [job.pk])

    def test_staff_retrain_it_from_admin_where_its_brier_is_shown(self, client, workspace, monkeypatch):
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: None)
        version = ModelVersion.objects.create(
            workspace=workspace, target=STOCKOUT, kind="stockout", algorithm="xgboost_calibrated", version=1,
            metrics={"brier": 0.1234, "brier_forecast_distribution": 0.2511})
        client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
        page = client.get("/admin/forecasting/modelversion/").content.decode()
        assert "Brier 0.123 (forecast distribution 0.251)" in page
        client.post("/admin/forecasting/modelversion/", {"action": "retrain_selected",
                                                         "_selected_action": [version.pk], "confirmed": "yes"})
        assert list(TrainingJob.objects.values_list("target", "kind", "status")) == [("stockout", "stockout", "queued")]
