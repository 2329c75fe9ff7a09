"""The classifiers in the product: training jobs, suggestions on new transactions,
corrections, acceptance, fraud and anomaly scores, alerts and auto-learning."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance.models import Transaction
from finance.services.transaction_import import transaction_import_csv
from forecasting.classifiers.feedback import (
    transaction_category_correct,
    transaction_fraud_label,
    transaction_suggestion_accept,
)
from forecasting.classifiers.loading import ClassificationError, ColdStart
from forecasting.classifiers.scoring import transaction_category_suggest
from forecasting.classifiers.training import categorizer_train
from forecasting.monitoring.models import Alert
from forecasting.monitoring.services import model_version_evaluate
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.serving import deployed
from forecasting.serving.cache import CLASSIFIERS_BACKLOG_DELAY
from forecasting.serving.models import Feedback
from forecasting.training.autolearn import should_retrain
from forecasting.training.classifiers import classifiers_sweep
from forecasting.training.jobs import training_job_create, training_job_run
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.forecasting.classifiers.conftest import add_history


def train(workspace, target="categorizer"):
    job = training_job_create(workspace=workspace, target=target, enqueue=False)
    return training_job_run(job_id=job.pk)


def new_transaction(workspace, description, merchant="", amount="7.00", kind="expense", **kwargs):
    return f.TransactionFactory(workspace=workspace, description=description, merchant=merchant,
                                amount=Decimal(amount), kind=kind, date=dt.date(2025, 3, 20), **kwargs)


@pytest.mark.django_db
class TestTraining:
    def test_a_job_trains_evaluates_and_deploys_the_categoriser(self, workspace, history):
        # When the categoriser of a workspace with 64 categorised rows is trained
        job = train(workspace)
        # Then one version is deployed, measured on the last 20 % by date
        assert (job.status, job.deployed, job.decision) == (
            "succeeded", True, "No categorizer was deployed; the new version is deployed.")
        version = ModelVersion.objects.get(target="categorizer")
        assert (version.kind, version.algorithm, version.status, version.n_observations) == (
            "categorizer", "tfidf_logreg_memory", "deployed", 64)
        assert version.metrics["holdout_rows"] == 13
        assert version.metrics["accuracy"] == 1.0
        assert set(version.metrics) >= {"precision", "recall", "f1", "macro_f1", "ece", "per_category",
                                        "baseline_accuracy"}
        assert sorted(version.metrics["per_category"]) == ["Coffee", "Fuel", "Groceries", "Rent", "Salary"]
        assert version.training_data["categories"] == {"Groceries": 16, "Coffee": 16, "Fuel": 16, "Rent": 8,
                                                       "Salary": 8}
        state = TargetState.objects.get(workspace=workspace, target="categorizer")
        assert (state.running_job_id, state.last_trained_at is not None) == (None, True)

    def test_cold_start_skips_training_with_the_reason(self, workspace, categories, settings):
        # Given one categorised row fewer than the setting asks for
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 50
        add_history(workspace, categories, rows=49)
        # When training is attempted
        job = train(workspace)
        # Then nothing is trained or deployed, and the job says why
        assert (job.status, job.decision) == ("skipped", "Cold start: 49 of 50 categorised transactions needed.")
        assert ModelVersion.objects.count() == 0
        with pytest.raises(ColdStart, match="49 of 50"):
            categorizer_train(workspace=workspace)

    def test_a_challenger_as_good_as_the_champion_is_deployed(self, workspace, history, categories):
        first = train(workspace)
        add_history(workspace, categories, rows=40, start=dt.date(2025, 6, 1))
        second = train(workspace)
        assert second.deployed is True
        assert second.decision.startswith("Challenger accuracy 100.0% beat or matched champion v1 (100.0%) on ")
        assert list(ModelVersion.objects.order_by("version").values_list("version", "status")) == [
            (1, "retired"), (2, "deployed")]
        assert first.winner_id != second.winner_id

    def test_a_worse_challenger_stays_a_candidate(self, workspace, history, categories):
        # Given a champion that learned Starbucks is Coffee
        train(workspace)
        # When 19 later rows call Starbucks Dining and the 21 after them Coffee again
        for i in range(40):
            f.TransactionFactory(
                workspace=workspace, description="STARBUCKS STORE 05621", merchant="Starbucks",
                amount=Decimal("6.45"), date=dt.date(2025, 6, 1) + dt.timedelta(days=i),
                category=categories["Dining" if i < 19 else "Coffee"], category_source="user",
            )
        job = train(workspace)
        # Then the challenger (Dining) loses on the 21 rows neither model saw, and is not deployed
        assert (job.status, job.deployed) == ("succeeded", False)
        assert job.decision == ("Challenger accuracy 0.0% did not beat champion v1 (100.0%) on 21 hold-out rows "
                                "neither had seen; it stays a candidate.")
        assert list(ModelVersion.objects.order_by("version").values_list("version", "status")) == [
            (1, "deployed"), (2, "candidate")]


@pytest.mark.django_db
class TestSuggestions:
    def test_cold_start_makes_no_suggestion(self, workspace, categories, settings,
                                            django_capture_on_commit_callbacks):
        # Given a workspace below MIN_TRANSACTIONS_FOR_TRAINING: no categoriser
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 50
        add_history(workspace, categories, rows=20)
        assert train(workspace).status == "skipped"
        # When a new uncategorised transaction arrives
        with django_capture_on_commit_callbacks(execute=True):
            txn = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
        # Then it stays uncategorised: no suggestion rather than a bad one
        txn.refresh_from_db()
        assert (txn.category_id, txn.category_source, txn.category_confidence) == (None, "", None)
        assert transaction_category_suggest(transaction=txn) is None

    def test_a_new_uncategorised_transaction_gets_a_suggestion(self, workspace, history, categories,
                                                               django_capture_on_commit_callbacks):
        train(workspace)
        with django_capture_on_commit_callbacks(execute=True):
            txn = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
        txn.refresh_from_db()
        assert (txn.category, txn.category_source) == (categories["Coffee"], "model")
        assert 0.5 < txn.category_confidence <= 1.0

    def test_a_deploy_queues_the_backlog_pass(self, workspace, history, _no_broker,
                                             django_capture_on_commit_callbacks):
        # When the categoriser is trained and deployed
        with django_capture_on_commit_callbacks(execute=True):
            train(workspace)
        # Then the pass over the rows it has not seen is queued (after the rows committed
        # meanwhile have joined it)
        assert [s for s in _no_broker if s[0] == "backlog"] == [
            ("backlog", (), {"args": [workspace.pk, "categorizer"], "countdown": CLASSIFIERS_BACKLOG_DELAY})]

    def test_a_user_set_category_is_never_overwritten(self, workspace, history, categories,
                                                      django_capture_on_commit_callbacks):
        # Given a deployed categoriser that would say Coffee
        train(workspace)
        # When a user enters a Starbucks row as Dining
        with django_capture_on_commit_callbacks(execute=True):
            txn = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks", category=categories["Dining"],
                                  category_source="user")
        # Then the user's category stays, untouched
        txn.refresh_from_db()
        assert (txn.category, txn.category_source, txn.category_confidence) == (categories["Dining"], "user", None)

    def test_a_category_set_while_scoring_is_not_overwritten(self, workspace, history, categories):
        from forecasting.classifiers.scoring import transactions_score

        train(workspace)
        txn = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
        stale = Transaction.objects.get(pk=txn.pk)  # loaded before the user's edit
        Transaction.objects.filter(pk=txn.pk).update(category=categories["Dining"], category_source="user")
        report = transactions_score(workspace=workspace, transactions=[stale])
        txn.refresh_from_db()
        assert report.suggested == 0
        assert (txn.category, txn.category_source) == (categories["Dining"], "user")

    def test_suggestions_respect_the_kind(self, workspace, history, categories):
        train(workspace)
        suggestion = transaction_category_suggest(
            transaction=new_transaction(workspace, "ACME CORP PAYROLL DIR DEP", "Acme Corp", kind="expense"))
        assert suggestion.category.kind == "expense"

    def test_imported_rows_are_suggested_and_scored_after_commit(self, workspace, history, categories,
                                                                 django_capture_on_commit_callbacks):
        train(workspace)
        train(workspace, "anomaly")
        csv = ("date,amount,description,merchant\n2025-03-21,-6.10,STARBUCKS STORE 999,Starbucks\n"
               "2025-03-21,-51.00,SHELL OIL 1,Shell\n")
        with django_capture_on_commit_callbacks(execute=True):
            transaction_import_csv(workspace=workspace, file=SimpleUploadedFile("t.csv", csv.encode()))
        rows = Transaction.objects.filter(source="import").order_by("amount")
        assert [(t.category.name, t.category_source) for t in rows] == [("Coffee", "model"), ("Fuel", "model")]
        assert all(t.anomaly_score is not None for t in rows)

    def test_a_large_import_is_scored_in_celery_batches(self, workspace, history, _no_broker, monkeypatch,
                                                        django_capture_on_commit_callbacks):
        monkeypatch.setattr("forecasting.classifiers.scoring.INLINE_SCORING_LIMIT", 2)
        train(workspace)
        csv = "date,amount,description\n" + "".join(f"2025-03-21,-6.{i},STARBUCKS STORE {i}\n" for i in range(3))
        with django_capture_on_commit_callbacks(execute=True):
            transaction_import_csv(workspace=workspace, file=SimpleUploadedFile("t.csv", csv.encode()))
        ids = list(Transaction.objects.filter(source="import").order_by("pk").values_list("pk", flat=True))
        assert [m for m in _no_broker if m[0] == "score"] == [("score", (workspace.pk, ids))]
        assert Transaction.objects.filter(source="import", category__isnull=True).count() == 3


@pytest.mark.django_db
class TestFeedback:
    def test_a_correction_changes_later_suggestions(self, workspace, history, categories,
                                                    django_capture_on_commit_callbacks):
        # Given the categoriser suggests Coffee for Starbucks
        train(workspace)
        with django_capture_on_commit_callbacks(execute=True):
            first = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
        first.refresh_from_db()
        assert first.category == categories["Coffee"]
        # When the user corrects it to Dining
        feedback = transaction_category_correct(transaction=first, category=categories["Dining"], user=None)
        # Then the row is the user's, the correction is recorded against the suggesting version...
        first.refresh_from_db()
        version = ModelVersion.objects.get(target="categorizer", status="deployed")
        assert (first.category, first.category_source, first.category_confidence) == (
            categories["Dining"], "user", None)
        assert (feedback.kind, feedback.predicted, feedback.actual, feedback.is_correct, feedback.model_version) == (
            "correction", categories["Coffee"].pk, categories["Dining"].pk, False, version)
        # ...and the next Starbucks row is suggested Dining at once, without retraining
        with django_capture_on_commit_callbacks(execute=True):
            second = new_transaction(workspace, "STARBUCKS STORE 05621", "Starbucks")
        second.refresh_from_db()
        assert (second.category, second.category_source) == (categories["Dining"], "model")
        assert transaction_category_suggest(transaction=second).source == "correction"
        # ...and after retraining too
        train(workspace)
        assert transaction_category_suggest(transaction=second).category == categories["Dining"]

    def test_accepting_a_suggestion_is_positive_feedback(self, workspace, history, categories,
                                                         django_capture_on_commit_callbacks):
        train(workspace)
        with django_capture_on_commit_callbacks(execute=True):
            txn = new_transaction(workspace, "SHELL OIL 12904", "Shell")
        txn.refresh_from_db()
        feedback = transaction_suggestion_accept(transaction=txn, user=None)
        txn.refresh_from_db()
        assert (txn.category, txn.category_source) == (categories["Fuel"], "user")
        assert (feedback.kind, feedback.is_correct, feedback.actual, feedback.target) == (
            "acceptance", True, categories["Fuel"].pk, "categorizer")
        assert TargetState.objects.get(workspace=workspace, target="categorizer").new_feedback == 1

    def test_monitoring_measures_accuracy_from_accepts_and_corrections(self, workspace, history, categories,
                                                                        django_capture_on_commit_callbacks,
                                                                        settings):
        settings.ML_PERFORMANCE_THRESHOLD = 0.7
        train(workspace)
        with django_capture_on_commit_callbacks(execute=True):
            rows = [new_transaction(workspace, "STARBUCKS STORE 1", "Starbucks") for _ in range(3)]
        for row in rows:
            row.refresh_from_db()
        transaction_suggestion_accept(transaction=rows[0], user=None)
        transaction_category_correct(transaction=rows[1], category=categories["Dining"], user=None)
        transaction_category_correct(transaction=rows[2], category=categories["Dining"], user=None)
        snapshot = model_version_evaluate(version=ModelVersion.objects.get(status="deployed"))
        assert (snapshot.status, snapshot.metrics, snapshot.n_points) == ("degraded", {"accuracy": 0.333333}, 3)
        assert TargetState.objects.get(workspace=workspace, target="categorizer").retrain_requested is True

    def test_feedback_reaching_the_threshold_asks_for_a_retrain(self, workspace, history, categories, settings,
                                                                django_capture_on_commit_callbacks):
        settings.ML_RETRAINING_FEEDBACK_THRESHOLD = 2
        settings.ML_AUTO_LEARN_COOLDOWN = 0
        train(workspace)
        rows = [new_transaction(workspace, "SHELL OIL 1", "Shell", category=categories["Fuel"],
                                category_source="user") for _ in range(2)]
        with django_capture_on_commit_callbacks(execute=True):
            transaction_category_correct(transaction=rows[0], category=categories["Groceries"], user=None)
        assert TrainingJob.objects.filter(status="queued").count() == 0
        with django_capture_on_commit_callbacks(execute=True):
            transaction_category_correct(transaction=rows[1], category=categories["Groceries"], user=None)
        job = TrainingJob.objects.get(status="queued")
        assert (job.target, job.trigger) == ("categorizer", "feedback")

    def test_refused_corrections_change_nothing(self, workspace, other_workspace, history, categories):
        txn = history[0]
        theirs = f.CategoryFactory(workspace=other_workspace)
        with pytest.raises(ClassificationError, match="^Choose a category of this workspace.$"):
            transaction_category_correct(transaction=txn, category=theirs, user=None)
        with pytest.raises(ClassificationError, match="^“Salary” is a revenue category; this transaction is expense.$"):
            transaction_category_correct(transaction=txn, category=categories["Salary"], user=None)
        with pytest.raises(ClassificationError, match="no suggested category to accept"):
            transaction_suggestion_accept(transaction=txn, user=None)
        txn.refresh_from_db()
        assert (txn.category, txn.category_source) == (categories["Groceries"], "user")
        assert Feedback.objects.count() == 0


def fraud_history(workspace, categories, count=6):
    """Fraud: small-hours gift-card purchases at a payee never seen, labelled by the user."""
    rows = [
        f.TransactionFactory(workspace=workspace, description=f"GIFTCARDS ONLINE {i}", merchant="",
                             amount=Decimal(900 + 17 * i), kind="expense", date=dt.date(2025, 1, 5) + dt.timedelta(days=9 * i))
        for i in range(count)
    ]
    for row in rows:
        transaction_fraud_label(transaction=row, is_fraud=True, user=None)
    return rows


@pytest.mark.django_db
class TestFraudAndAnomalies:
    def test_every_new_transaction_is_scored_and_an_extreme_one_is_flagged(
        self, workspace, history, django_capture_on_commit_callbacks
    ):
        # Given a deployed anomaly detector
        assert train(workspace, "anomaly").status == "succeeded"
        # When an ordinary and an extreme transaction arrive
        with django_capture_on_commit_callbacks(execute=True):
            usual = new_transaction(workspace, "STARBUCKS STORE 05621", "Starbucks", amount="7.45")
            extreme = new_transaction(workspace, "WIRE TRANSFER INTL 99812", "", amount="25000.00")
        usual.refresh_from_db()
        extreme.refresh_from_db()
        # Then both are scored, only the extreme one is flagged, and an alert is raised for it
        assert usual.anomaly_score is not None and extreme.anomaly_score > usual.anomaly_score
        assert (usual.is_flagged, extreme.is_flagged) == (False, True)
        alert = Alert.objects.get()
        assert (alert.kind, alert.target, alert.data["transactions"]) == ("anomaly", "anomaly", [extreme.pk])
        assert alert.message.startswith("1 new transaction flagged as unusual (anomaly); highest score")

    def test_fraud_labels_train_a_detector_that_flags_lookalikes(
        self, workspace, history, categories, django_capture_on_commit_callbacks
    ):
        # Given six transactions labelled as fraud through feedback
        fraud_history(workspace, categories)
        assert Feedback.objects.filter(kind="fraud_label", actual=True).count() == 6
        # When the fraud detector trains
        job = train(workspace, "fraud")
        assert (job.status, job.deployed) == ("succeeded", True)
        version = ModelVersion.objects.get(target="fraud")
        assert (version.algorithm, version.metrics["positives"]) == ("random_forest", 6)
        assert set(version.metrics) >= {"accuracy", "precision", "recall", "f1", "roc_auc"}
        # Then a lookalike is scored high, flagged and alerted as critical; a usual row is not
        with django_capture_on_commit_callbacks(execute=True):
            usual = new_transaction(workspace, "SAFEWAY #1791", "Safeway", amount="49.75")
            lookalike = new_transaction(workspace, "GIFTCARDS ONLINE 77", "", amount="955.00")
        usual.refresh_from_db()
        lookalike.refresh_from_db()
        assert lookalike.fraud_score >= 0.5 > usual.fraud_score
        assert (usual.is_flagged, lookalike.is_flagged) == (False, True)
        alert = Alert.objects.get(kind="fraud")
        assert alert.data["transactions"] == [lookalike.pk]

    def test_too_few_fraud_labels_skip_training(self, workspace, history, categories):
        fraud_history(workspace, categories, count=4)
        job = train(workspace, "fraud")
        assert (job.status, job.decision) == ("skipped", "4 of 5 transactions labelled as fraud needed.")

    def test_a_fraud_label_sets_the_flag_and_is_judged(self, workspace, history):
        txn = history[0]
        feedback = transaction_fraud_label(transaction=txn, is_fraud=True, user=None)
        txn.refresh_from_db()
        assert (txn.is_flagged, feedback.kind, feedback.actual, feedback.target) == (True, "fraud_label", True, "fraud")
        transaction_fraud_label(transaction=txn, is_fraud=False, user=None)
        txn.refresh_from_db()
        assert txn.is_flagged is False


@pytest.mark.django_db
class TestAutoLearning:
    def test_never_trained_classifiers_wait_for_their_own_data(self, workspace, categories, settings):
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 50
        add_history(workspace, categories, rows=30)
        state = TargetState.objects.get(workspace=workspace, target="categorizer")
        decision = should_retrain(state=state)
        assert (decision.train, decision.reason) == (False, "Cold start: 30 of 50 categorised transactions needed.")

    def test_the_daily_sweep_trains_classifiers_with_enough_data(self, workspace, other_workspace, history):
        report = classifiers_sweep()
        queued = set(TrainingJob.objects.values_list("workspace_id", "target", "trigger"))
        assert queued == {(workspace.pk, "categorizer", "schedule"), (workspace.pk, "anomaly", "schedule")}
        assert report.skipped == {
            f"{workspace.pk}:fraud": "0 of 5 transactions labelled as fraud needed.",
            f"{other_workspace.pk}:categorizer": "Cold start: 0 of 50 categorised transactions needed.",
            f"{other_workspace.pk}:fraud": "Cold start: 0 of 50 transactions needed.",
            f"{other_workspace.pk}:anomaly": "Cold start: 0 of 50 transactions needed.",
            f"{workspace.pk}:stockout": "Cold start: no active product has 36 days of sales yet.",
            f"{other_workspace.pk}:stockout": "Cold start: no active product has 36 days of sales yet.",
        }
        # A second sweep does not queue the same training twice
        assert classifiers_sweep().queued == []


@pytest.mark.django_db(transaction=True)
def test_each_new_row_reads_the_deployment_generation_and_sees_a_deploy_at_once(
        workspace, history, categories, settings, tmp_path, monkeypatch):
    # Given a cache every process shares, no classifier deployed, and a count of the
    # generation reads and of the loads of what serves the workspace
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    reads, loads = [], []
    read, load = deployed.generation_current, deployed._state_load
    monkeypatch.setattr(deployed, "generation_current", lambda *, workspace_id: reads.append(workspace_id) or read(
        workspace_id=workspace_id))
    monkeypatch.setattr(deployed, "_state_load", lambda workspace_id, generation: loads.append(workspace_id) or load(
        workspace_id, generation))
    # When three rows commit
    for i in range(3):
        new_transaction(workspace, f"Row {i}")
    # Then each asked for the generation once (one cache read) and what serves was read once
    assert (reads, loads) == ([workspace.pk] * 3, [workspace.pk])
    # When the categoriser is trained and deployed (by any process: the generation moves)
    assert train(workspace).status == "succeeded"
    # Then the very next row is categorised by it, with no wait
    txn = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
    txn.refresh_from_db()
    assert (txn.category, txn.category_source) == (categories["Coffee"], "model")
