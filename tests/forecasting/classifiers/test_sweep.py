"""No row left unscored: rows committed right after a deploy made by another process,
rows written while nothing was deployed (the periodic sweep), and the fraud and anomaly
detectors trained by auto-learning like the categoriser."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from finance.models import Transaction
from forecasting.classifiers import sweep as sweeping
from forecasting.classifiers.sweep import WRITER_GRACE, unscored_transactions_sweep
from forecasting.classifiers.tasks import unscored_transactions_sweep_task, workspace_score_task
from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import model_cache
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.training.autolearn import autolearn_check
from forecasting.training.jobs import training_job_create, training_job_run
from forecasting.training.models import TrainingJob
from forecasting.training.tasks import autolearn_check_task
from tests import factories as f

SCORES = ("category_id", "category_source", "category_confidence", "fraud_score", "anomaly_score", "is_flagged",
          "updated_at")


def train(workspace, target="categorizer"):
    return training_job_run(job_id=training_job_create(workspace=workspace, target=target, enqueue=False).pk)


def new_transaction(workspace, description, merchant="", amount="7.00", kind="expense"):
    return f.TransactionFactory(workspace=workspace, description=description, merchant=merchant,
                                amount=Decimal(amount), kind=kind, date=dt.date(2025, 3, 20))


def fraud_labels(workspace, count=6):
    """Gift-card purchases at payees never seen, labelled as fraud by the user."""
    from forecasting.classifiers.feedback import transaction_fraud_label

    for i in range(count):
        row = f.TransactionFactory(workspace=workspace, description=f"GIFTCARDS ONLINE {i}", merchant="",
                                   amount=Decimal(900 + 17 * i), kind="expense",
                                   date=dt.date(2025, 1, 5) + dt.timedelta(days=9 * i))
        transaction_fraud_label(transaction=row, is_fraud=True, user=None)


def become_another_process(settings):
    """What another process shares with this one is the database: its memos (of the deployed
    classifiers, of pending checks), its loaded models and, with the embedded default, its
    cache are its own — here, empty."""
    model_cache.clear()
    settings.CACHES = {alias: {**config, "KEY_PREFIX": f"other-{uuid.uuid4().hex}"}
                       for alias, config in settings.CACHES.items()}  # the memos are forgotten with it


def scores(**filters):
    return list(Transaction.objects.filter(**filters).order_by("pk").values_list(*SCORES))


def unscored(target):
    return Transaction.objects.filter(sweeping.BACKLOG[target]).count()


@pytest.mark.django_db
class TestRowsCommittedRightAfterADeploy:
    def test_a_row_committed_in_another_process_right_after_the_deploy_is_scored_at_commit(
            self, workspace, history, categories, settings, django_capture_on_commit_callbacks):
        # Given the categoriser and the anomaly detector deployed by trainings in one process
        with django_capture_on_commit_callbacks(execute=True):
            train(workspace)
            train(workspace, "anomaly")
        # And another process, which shares only the database with it
        become_another_process(settings)
        # When a row is committed there right after the deploy
        with django_capture_on_commit_callbacks(execute=True):
            row = new_transaction(workspace, "STARBUCKS STORE 11734", "Starbucks")
        # Then it was categorised and scored by the classifiers deployed when it was committed
        row.refresh_from_db()
        assert (row.category, row.category_source) == (categories["Coffee"], "model")
        assert row.anomaly_score is not None

    def test_a_row_a_process_commits_before_it_hears_of_the_deploy_is_scored_and_announced_by_the_sweep(
            self, workspace, history, django_capture_on_commit_callbacks):
        # Given a process that found no classifier deployed when its last row committed
        with django_capture_on_commit_callbacks(execute=True):
            earlier = new_transaction(workspace, "SHELL OIL 57442", "Shell", amount="51.10")
        # When another process deploys the anomaly detector, and neither its notice nor the
        # pass over the backlog it queues reach anybody
        train(workspace, "anomaly")  # its after-commit callbacks are never run
        deployed = ModelVersion.objects.get(target="anomaly", status="deployed")
        # And the first process commits a $64,000 wire right after
        with django_capture_on_commit_callbacks(execute=True):
            wire = new_transaction(workspace, "WIRE TRANSFER INTL 99812", "", amount="64000.00")
        # When the sweep runs once the wire's writer has had its time to score it
        unscored_transactions_sweep(now=timezone.now() + WRITER_GRACE)
        # Then every row is scored by the deployed detector, the wire is flagged
        earlier.refresh_from_db()
        wire.refresh_from_db()
        assert unscored("anomaly") == 0
        assert earlier.anomaly_score is not None and (earlier.is_flagged, wire.is_flagged) == (False, True)
        # And the wire (new to the detector) is announced once, whoever scored it; the older rows are not
        alert = Alert.objects.get()
        assert (alert.kind, alert.model_version_id, alert.data["transactions"]) == ("anomaly", deployed.pk, [wire.pk])
        # And a second sweep changes nothing
        before = scores()
        assert unscored_transactions_sweep(now=timezone.now() + WRITER_GRACE).classifiers == {}
        assert (scores(), Alert.objects.count()) == (before, 1)

    def test_a_new_row_is_left_to_its_writer_for_a_grace_period(self, workspace, history):
        # Given the anomaly detector deployed (every older row scored), then a row whose writer did not score it yet
        train(workspace, "anomaly")
        unscored_transactions_sweep()
        row = new_transaction(workspace, "WIRE TRANSFER INTL 99812", "", amount="64000.00")
        # When a sweep runs within the grace, it is left alone; after it, it is scored and announced
        assert unscored_transactions_sweep().classifiers == {}
        assert unscored("anomaly") == 1
        report = unscored_transactions_sweep(now=timezone.now() + WRITER_GRACE)
        assert report.flagged == [row.pk] and Alert.objects.get().data["transactions"] == [row.pk]


@pytest.mark.django_db
class TestTheSweep:
    def test_after_a_forced_gap_the_sweep_scores_every_row_left_unscored_and_a_second_changes_nothing(
            self, workspace, other_workspace, history, categories):
        # Given rows written while no classifier was deployed (the history and five new rows)
        gap = [new_transaction(workspace, f"STARBUCKS STORE {i}", "Starbucks") for i in range(5)]
        # And the categoriser and the anomaly detector deployed, their backlog pass never run
        train(workspace)
        train(workspace, "anomaly")
        assert (unscored("categorizer"), unscored("anomaly")) == (5, 69)
        # When the periodic sweep runs
        result = unscored_transactions_sweep_task()
        # Then every row has its anomaly score and every uncategorised row a suggestion
        assert (unscored("categorizer"), unscored("anomaly")) == (0, 0)
        assert {(row.category.name, row.category_source) for row in Transaction.objects.filter(pk__in=[
            t.pk for t in gap])} == {("Coffee", "model")}
        assert result == {"suggested": 5, "scored": 69, "flagged": result["flagged"], "skipped": "",
                          "classifiers": [f"{workspace.pk}:anomaly", f"{workspace.pk}:categorizer"]}
        # And nothing is announced: these rows are older than the deploy
        assert Alert.objects.count() == 0
        # When it runs again, nothing changes
        before = scores()
        assert unscored_transactions_sweep().classifiers == {}
        assert (scores(), Alert.objects.count()) == (before, 0)

    def test_the_sweep_reads_the_deployed_versions_from_the_database_in_a_fixed_number_of_queries(
            self, workspace, history, django_assert_num_queries):
        train(workspace)
        train(workspace, "anomaly")
        unscored_transactions_sweep()
        with django_assert_num_queries(3):  # the deployed versions, then one backlog query per classifier
            assert unscored_transactions_sweep().classifiers == {}

    def test_a_sweep_is_bounded_and_the_next_carries_on_past_rows_the_categoriser_cannot_suggest_for(
            self, workspace, history, categories, monkeypatch):
        # Given, left uncategorised, three revenue rows, then three expense rows
        stuck = [new_transaction(workspace, f"INVOICE {i}", "", kind="revenue") for i in range(3)]
        coffee = [new_transaction(workspace, f"STARBUCKS STORE {i}", "Starbucks") for i in range(3)]
        # And the categoriser deployed, with no revenue category it knows any more: nothing
        # to suggest for the revenue rows
        train(workspace)
        categories["Salary"].kind = "expense"
        categories["Salary"].save()
        monkeypatch.setattr(sweeping, "SCORING_BATCH", 2)
        # When sweeps of at most four rows run
        suggested = [unscored_transactions_sweep(max_rows=4).suggested for _ in range(3)]
        # Then the first looks at the three stuck rows and one more, the second carries on
        # from there, and the third starts over and finds nothing new
        assert suggested == [1, 2, 0]
        assert Transaction.objects.filter(pk__in=[t.pk for t in coffee], category_source="model").count() == 3
        assert Transaction.objects.filter(pk__in=[t.pk for t in stuck], category__isnull=True).count() == 3

    def test_a_sweep_while_another_runs_is_skipped(self, workspace, history):
        from django.core.cache import cache

        train(workspace, "anomaly")
        cache.add(sweeping._SWEEP_LOCK, 1)
        report = unscored_transactions_sweep()
        assert (report.skipped, report.classifiers, unscored("anomaly")) == ("another sweep is running", {}, 64)
        cache.delete(sweeping._SWEEP_LOCK)
        assert unscored_transactions_sweep().scored == 64

    def test_the_pass_a_deploy_queues_scores_with_the_version_in_the_database(
            self, workspace, history, settings):
        # Given a worker that read "nothing deployed", then the anomaly detector deployed
        # (the notice of the deploy never sent: its after-commit callbacks do not run here)
        from forecasting.classifiers.loading import deployed_classifiers

        assert deployed_classifiers(workspace_id=workspace.pk) == {}
        train(workspace, "anomaly")
        # When the pass queued by the deploy runs there
        assert workspace_score_task(workspace.pk, "anomaly")["scored"] == 64
        # Then the rows are scored by the version the registry calls deployed
        assert unscored("anomaly") == 0


@pytest.mark.django_db
class TestDetectorsLearnLikeTheCategoriser:
    def test_every_new_transaction_counts_for_each_classifier(self, workspace):
        new_transaction(workspace, "Row")
        counters = dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows"))
        assert counters == {"expense": 1, "categorizer": 1, "anomaly": 1, "fraud": 1}

    def test_the_anomaly_detector_gets_a_job_from_auto_learning_once_enough_rows_arrive(
            self, workspace, history, settings, _no_broker, django_capture_on_commit_callbacks):
        # Given one transaction fewer than a first training needs
        settings.MIN_TRANSACTIONS_FOR_TRAINING = len(history) + 1
        decision = autolearn_check(workspace=workspace, target="anomaly").decision
        assert (decision.train, decision.reason) == (False, "Cold start: 64 of 65 transactions needed.")
        # When one more transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            new_transaction(workspace, "SAFEWAY #1791", "Safeway", amount="49.75")
        # Then a debounced auto-learning check of the anomaly detector is queued
        checks = [kwargs["args"] for kind, _, kwargs in (m for m in _no_broker if m[0] == "autolearn")]
        assert [workspace.pk, "anomaly"] in checks and [workspace.pk, "fraud"] in checks
        # And when it runs, it queues the detector's first training, which deploys it
        assert autolearn_check_task(workspace.pk, "anomaly") == "Never trained and 65 transactions available."
        job = TrainingJob.objects.get(target="anomaly")
        assert (job.trigger, job.status) == ("auto", "queued")
        assert (training_job_run(job_id=job.pk).status, job.target) == ("succeeded", "anomaly")
        assert ModelVersion.objects.filter(target="anomaly", status="deployed").count() == 1
        # And the fraud detector's check waits for its labels
        assert autolearn_check_task(workspace.pk, "fraud") == "0 of 5 transactions labelled as fraud needed."

    def test_the_anomaly_detector_waits_for_the_rows_its_forest_needs(self, workspace, settings):
        # Given a first-training threshold below what an isolation forest can be fitted on
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 5
        for i in range(12):
            new_transaction(workspace, f"Row {i}")
        # Then auto-learning does not queue a training that would fail
        result = autolearn_check(workspace=workspace, target="anomaly")
        assert (result.decision.reason, result.job) == ("Cold start: 12 of 20 transactions needed.", None)

    def test_the_fraud_detector_gets_a_job_from_auto_learning_once_it_has_its_labels(
            self, workspace, history, categories):
        fraud_labels(workspace)
        result = autolearn_check(workspace=workspace, target="fraud")
        assert (result.decision.reason, result.job.target, result.job.trigger) == (
            "Never trained; 70 transactions and 6 fraud labels available.", "fraud", "auto")

    def test_a_trained_detector_is_retrained_by_auto_learning_after_its_cooldown_with_new_rows(
            self, workspace, history, settings):
        settings.ML_AUTO_LEARN_MIN_DATA = 3
        train(workspace, "anomaly")
        state = TargetState.objects.get(workspace=workspace, target="anomaly")
        assert state.new_rows == 0
        for i in range(3):
            new_transaction(workspace, f"Row {i}", amount=Decimal(10 + i))
        TargetState.objects.filter(pk=state.pk).update(last_trained_at=timezone.now() - dt.timedelta(days=2))
        result = autolearn_check(workspace=workspace, target="anomaly")
        assert (result.decision.reason, result.job.target) == ("3 new rows since the last training.", "anomaly")
