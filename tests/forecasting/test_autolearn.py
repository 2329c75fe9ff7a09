"""Auto-learning: counters, the retrain rule, checks, sweeps, schedules and commands."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from finance.services.transaction_import import transaction_import_csv
from forecasting.registry.models import TargetState
from forecasting.training.autolearn import autolearn_check, should_retrain
from forecasting.training.models import TrainingJob
from forecasting.training.schedules import declared_schedules, schedules_install
from forecasting.training.selectors import training_queue_phrase
from forecasting.training.sweeps import continuous_learning_sweep, full_retrain
from tests import factories as f
from tests.factories import fitted_version
from tests.forecasting.test_registry import seasonal_revenue

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def counters(workspace):
    return dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows"))


def classifiers(rows):
    """What ``rows`` new transactions add to the classifiers' counters (each counts for all three)."""
    return {"categorizer": rows, "anomaly": rows, "fraud": rows}


@pytest.fixture
def no_enqueue(monkeypatch):
    """Record the jobs that would be sent to the broker instead of sending them."""
    sent = []
    monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: sent.append(job_id))
    return sent


@pytest.mark.django_db
class TestCounting:
    def test_each_new_row_bumps_its_targets(self, workspace):
        f.TransactionFactory(workspace=workspace, kind="revenue")
        f.TransactionFactory(workspace=workspace, kind="expense")
        f.TransactionFactory(workspace=workspace, kind="expense")
        f.SaleFactory(workspace=workspace)
        assert counters(workspace) == {"revenue": 1, "expense": 2, "inventory": 1} | classifiers(3)

    def test_updates_do_not_count(self, workspace):
        txn = f.TransactionFactory(workspace=workspace, kind="revenue")
        txn.description = "edited"
        txn.save()
        assert counters(workspace) == {"revenue": 1} | classifiers(1)

    def test_a_bulk_import_bumps_once_by_its_row_count(self, workspace, django_assert_max_num_queries):
        csv = "date,amount\n" + "".join(f"2025-01-{d:02d},-{d}.00\n" for d in range(1, 21)) + "2025-02-01,99\n"
        upload = SimpleUploadedFile("t.csv", csv.encode())
        with django_assert_max_num_queries(17):  # constant: not one per row
            transaction_import_csv(workspace=workspace, file=upload)
        assert counters(workspace) == {"expense": 20, "revenue": 1} | classifiers(21)

    def test_an_api_row_and_its_counter_commit_together(self, workspace, owner, client_for, monkeypatch):
        # Given an API client and a receiver that fails after the row (and its count) is inserted
        from finance.models import Transaction

        def broken(**kwargs):
            raise RuntimeError("receiver failed")

        monkeypatch.setattr("forecasting.signals.autolearn_check_on_commit", broken)
        client = client_for(owner)
        client.raise_request_exception = False
        # When a transaction is posted
        response = client.post("/api/v1/transactions/", {
            "workspace": workspace.pk, "kind": "revenue", "amount": "12.50", "date": "2025-03-01",
            "description": "Counter test"}, format="json")
        # Then the request fails and neither the row nor a count is written
        assert response.status_code == 500
        assert Transaction.objects.filter(workspace=workspace).count() == 0
        assert counters(workspace) == {}

    def test_a_rolled_back_row_is_not_counted(self, workspace):
        # Given a counted row
        from django.db import transaction

        f.TransactionFactory(workspace=workspace, kind="revenue")
        # When a second row's transaction rolls back
        with pytest.raises(RuntimeError), transaction.atomic():
            f.TransactionFactory(workspace=workspace, kind="revenue")
            raise RuntimeError("writer failed")
        # Then only the first is counted
        assert counters(workspace) == {"revenue": 1} | classifiers(1)

    def test_a_new_row_is_counted_by_its_own_insert(self, workspace, django_assert_num_queries):
        # Given a workspace whose counters (and default account) exist
        from finance.models import Transaction

        first = f.TransactionFactory(workspace=workspace, kind="expense")
        fields = {"workspace": workspace, "kind": "expense", "amount": Decimal("9.99"), "date": dt.date(2025, 3, 1),
                  "description": "One statement", "account": first.account}
        # When a row is written through the ORM
        with django_assert_num_queries(1):  # the INSERT: no counter statement of its own
            Transaction.objects.create(**fields)
        # Then it is counted
        assert counters(workspace) == {"expense": 2} | classifiers(2)

    def test_one_bulk_insert_counts_every_row_of_every_workspace(self, workspace, other_workspace):
        # Given rows of two workspaces, some of them the first of their counters
        from finance.models import Sale, Transaction

        f.TransactionFactory(workspace=workspace, kind="revenue")
        rows = [Transaction(workspace=ws, kind=kind, amount=Decimal("5.00"), date=dt.date(2025, 3, 1))
                for ws, kind, n in ((workspace, "revenue", 3), (workspace, "expense", 2), (other_workspace, "expense", 4))
                for _ in range(n)]
        sale = f.SaleFactory(workspace=workspace)
        # When they are written by one bulk insert each
        Transaction.objects.bulk_create(rows)
        Sale.objects.bulk_create([Sale(workspace=workspace, product=sale.product, warehouse=sale.warehouse,
                                       date=dt.date(2025, 3, d), quantity=1, unit_price=Decimal("2.00"))
                                  for d in range(1, 6)])
        # Then each is counted once for each of its targets, and a new counter gets its kind
        assert counters(workspace) == {"revenue": 4, "expense": 2, "inventory": 6} | classifiers(6)
        assert counters(other_workspace) == {"expense": 4} | classifiers(4)
        kinds = dict(TargetState.objects.filter(workspace=other_workspace).values_list("target", "kind"))
        assert kinds == {"expense": "forecaster", "categorizer": "categorizer", "fraud": "fraud", "anomaly": "anomaly"}

    def test_the_triggers_can_be_removed_and_installed_again(self, workspace):
        # Given the counting triggers removed (the migration's reverse)
        from django.db import connection

        from forecasting.training.counters import counter_triggers_install, counter_triggers_remove

        counter_triggers_remove(connection)
        try:
            f.TransactionFactory(workspace=workspace, kind="revenue")
            assert counters(workspace) == {}
        finally:
            # When they are installed again (twice: idempotent)
            counter_triggers_install(connection)
            counter_triggers_install(connection)
        f.TransactionFactory(workspace=workspace, kind="revenue")
        # Then rows count again, once each
        assert counters(workspace) == {"revenue": 1} | classifiers(1)

    def test_a_fixture_restore_without_counters_counts_its_rows(self, workspace, tmp_path):
        # Given a dump of a workspace's books without its counters, and the workspace gone
        f.TransactionFactory(workspace=workspace, kind="revenue")
        f.TransactionFactory(workspace=workspace, kind="expense")
        dump = tmp_path / "books.json"
        call_command("dumpdata", "finance.Workspace", "finance.Account", "finance.Transaction", output=str(dump),
                     verbosity=0)
        pk = workspace.pk
        workspace.delete()
        assert TargetState.objects.filter(workspace_id=pk).count() == 0
        # When it is loaded back
        call_command("loaddata", str(dump), verbosity=0)
        # Then the counters are rebuilt from the rows loaded
        counted = dict(TargetState.objects.filter(workspace_id=pk).values_list("target", "new_rows"))
        assert counted == {"revenue": 1, "expense": 1} | classifiers(2)

    def test_an_unsupported_database_is_refused_with_a_message(self):
        from django.db import NotSupportedError

        from forecasting.training.counters import counter_triggers_install

        class MySQL:
            vendor = "mysql"

        with pytest.raises(NotSupportedError, match="triggers on PostgreSQL or SQLite, not mysql"):
            counter_triggers_install(MySQL())

    def test_checks_are_scheduled_after_commit_once_per_target(self, workspace, monkeypatch,
                                                              django_capture_on_commit_callbacks):
        scheduled = []
        monkeypatch.setattr("forecasting.tasks.autolearn_check_task.apply_async",
                            lambda args, countdown: scheduled.append((tuple(args), countdown)))
        with django_capture_on_commit_callbacks(execute=True):
            f.TransactionFactory(workspace=workspace, kind="revenue")
            f.TransactionFactory(workspace=workspace, kind="revenue")
        # one debounced check per target, the classifiers included
        assert scheduled == [((workspace.pk, target), 5) for target in ("revenue", "categorizer", "anomaly", "fraud")]

    def test_a_check_queued_by_this_process_is_not_queued_again_before_it_runs(
            self, workspace, monkeypatch, django_capture_on_commit_callbacks):
        # Given a check this process queued, and the shared debounce key gone (expired, or
        # the cache flushed) while the check is still pending
        scheduled = []
        clock = [1000.0]
        monkeypatch.setattr("forecasting.training.autolearn.time.monotonic", lambda: clock[0])
        monkeypatch.setattr("forecasting.tasks.autolearn_check_task.apply_async",
                            lambda args, countdown: scheduled.append(tuple(args)))
        targets = ("revenue", "categorizer", "anomaly", "fraud")
        debounce_keys = [f"autolearn-check:{workspace.pk}:{key}" for key in targets]
        with django_capture_on_commit_callbacks(execute=True):
            f.TransactionFactory(workspace=workspace, kind="revenue")
        cache.delete_many(debounce_keys)
        # When another row commits within the check's countdown
        clock[0] += 4
        with django_capture_on_commit_callbacks(execute=True):
            f.TransactionFactory(workspace=workspace, kind="revenue")
        # Then no second check is queued: the pending one will see the row
        assert scheduled == [(workspace.pk, target) for target in targets]
        # When a row commits once that check is about to run (the cache key expired too)
        clock[0] += 0.6
        cache.delete_many(debounce_keys)
        with django_capture_on_commit_callbacks(execute=True):
            f.TransactionFactory(workspace=workspace, kind="revenue")
        # Then a new check is queued for it
        assert scheduled == [(workspace.pk, target) for target in targets] * 2
        assert counters(workspace) == {"revenue": 3} | classifiers(3)

    def test_cached_forecasts_are_forgotten_by_the_debounced_check_and_by_training(
            self, workspace, no_enqueue, django_capture_on_commit_callbacks):
        from forecasting.serving.cache import forecast_cache_key
        from forecasting.training.autolearn import autolearn_check
        from forecasting.training.jobs import training_job_create, training_job_run

        # Given a year of history and a forecast cache key of the workspace
        seasonal_revenue(workspace, months=12)
        before = forecast_cache_key(workspace_id=workspace.pk, parts=("revenue", 6, "naive"))
        # When a new row commits
        with django_capture_on_commit_callbacks(execute=True):
            f.TransactionFactory(workspace=workspace, kind="revenue")
        # Then cached forecasts stay valid until the row's debounced check runs
        assert forecast_cache_key(workspace_id=workspace.pk, parts=("revenue", 6, "naive")) == before
        # When that check runs
        autolearn_check(workspace=workspace, target="revenue")
        # Then the workspace's cached forecasts are forgotten
        checked = forecast_cache_key(workspace_id=workspace.pk, parts=("revenue", 6, "naive"))
        assert checked != before
        before = checked
        # When a training saves new versions
        job = training_job_create(workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert training_job_run(job_id=job.pk).status == "succeeded"
        # Then the workspace's cached forecasts are forgotten
        assert forecast_cache_key(workspace_id=workspace.pk, parts=("revenue", 6, "naive")) != before

    def test_a_broker_outage_does_not_fail_the_write(self, workspace, monkeypatch, django_capture_on_commit_callbacks):
        def down(*args, **kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr("forecasting.tasks.autolearn_check_task.apply_async", down)
        with django_capture_on_commit_callbacks(execute=True):
            txn = f.TransactionFactory(workspace=workspace, kind="revenue")
        assert txn.pk is not None
        assert counters(workspace)["revenue"] == 1


@pytest.mark.django_db
class TestRule:
    def state(self, workspace, **kwargs):
        return TargetState.objects.create(workspace=workspace, target="revenue", **kwargs)

    @pytest.mark.parametrize(
        ("fields", "train", "reason"),
        [
            ({"new_rows": 4}, False, "Never trained; 4 of 5 rows needed."),
            ({"new_rows": 5}, True, "Never trained and 5 rows available."),
            ({"new_rows": 9, "last_trained_at": NOW - dt.timedelta(hours=23)}, False,
             "Cooling down until 2025-06-01 13:00 UTC."),
            ({"new_rows": 9, "last_trained_at": NOW - dt.timedelta(hours=25)}, True,
             "9 new rows since the last training."),
            ({"new_rows": 4, "last_trained_at": NOW - dt.timedelta(days=3)}, False,
             "4 of 5 new rows since the last training."),
            ({"new_feedback": 50, "last_trained_at": NOW - dt.timedelta(days=3)}, True,
             "50 feedback items since the last training."),
            ({"retrain_requested": True, "last_trained_at": NOW - dt.timedelta(hours=1)}, True,
             "A degradation or drift alert asked for a retrain."),
        ],
    )
    def test_rule(self, fields, train, reason, workspace):
        decision = should_retrain(state=self.state(workspace, **fields), now=NOW)
        assert (decision.train, decision.reason) == (train, reason)

    def test_force_skips_the_cooldown_but_not_a_running_job(self, workspace):
        state = self.state(workspace, last_trained_at=NOW)
        assert should_retrain(state=state, force=True, now=NOW).train is True
        state.running_job = TrainingJob.objects.create(workspace=workspace, target="revenue")
        decision = should_retrain(state=state, force=True, now=NOW)
        assert (decision.train, decision.reason) == (False, f"Training job {state.running_job_id} is running.")


@pytest.mark.django_db
class TestCheck:
    def test_queues_one_job_and_not_a_second_while_it_is_queued(self, workspace, no_enqueue,
                                                                django_capture_on_commit_callbacks):
        TargetState.objects.create(workspace=workspace, target="revenue", new_rows=5)
        with django_capture_on_commit_callbacks(execute=True):
            first = autolearn_check(workspace=workspace, target="revenue")
            second = autolearn_check(workspace=workspace, target="revenue")
        assert first.job is not None and first.job.trigger == "auto"
        assert second.job is None
        assert second.decision.reason == f"Training job {first.job.pk} is already queued."
        assert no_enqueue == [first.job.pk]

    def test_training_resets_the_counter_and_starts_the_cooldown(self, workspace, no_enqueue):
        from forecasting.training.jobs import training_job_run

        seasonal_revenue(workspace)
        TargetState.objects.filter(workspace=workspace, target="revenue").update(new_rows=7)
        job = autolearn_check(workspace=workspace, target="revenue").job
        TargetState.objects.filter(workspace=workspace, target="revenue").update(new_rows=7)
        training_job_run(job_id=job.pk)
        state = TargetState.objects.get(workspace=workspace, target="revenue")
        assert state.new_rows == 0
        assert state.last_trained_at is not None
        assert should_retrain(state=state).reason.startswith("Cooling down until")


@pytest.mark.django_db
class TestSweeps:
    def test_continuous_learning_sweep(self, workspace, other_workspace, no_enqueue, settings):
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 3
        settings.MIN_NEW_TRANSACTIONS_FOR_RETRAIN = 2
        settings.RETRAIN_INTERVAL_DAYS = 7
        for _ in range(3):
            f.TransactionFactory(workspace=workspace, kind="revenue")  # never trained, enough rows
        f.TransactionFactory(workspace=other_workspace, kind="revenue")  # never trained, too few
        TargetState.objects.filter(workspace=workspace, target="expense").delete()
        TargetState.objects.update_or_create(workspace=other_workspace, target="expense", defaults={
            "new_rows": 2, "last_trained_at": timezone.now() - dt.timedelta(days=8)})  # stale, enough new
        report = continuous_learning_sweep()
        queued = set(TrainingJob.objects.values_list("workspace_id", "target", "trigger"))
        assert queued == {(workspace.pk, "revenue", "schedule"), (other_workspace.pk, "expense", "schedule")}
        assert report.skipped[f"{other_workspace.pk}:revenue"] == "insufficient data (1 rows)"

    def test_full_retrain_covers_deployed_targets(self, workspace, no_enqueue, settings):
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 1000
        fitted_version(workspace=workspace, target="expense:category=1", status="deployed")
        report = full_retrain()
        assert list(TrainingJob.objects.values_list("target", flat=True)) == ["expense:category=1"]
        assert len(report.queued) == 1


@pytest.mark.django_db
class TestSchedules:
    def test_install_is_idempotent_and_follows_settings(self, settings):
        settings.ML_SCHEDULER_DAY, settings.ML_SCHEDULER_HOUR, settings.ML_SCHEDULER_MINUTE = "wed", 5, 15
        first = schedules_install()
        second = schedules_install()
        declared = declared_schedules()
        assert [created for _, created in first] == [True] * len(declared)
        assert [created for _, created in second] == [False] * len(declared)
        weekly = PeriodicTask.objects.get(name="ml: weekly full retrain")
        assert (weekly.task, weekly.crontab.minute, weekly.crontab.hour, weekly.crontab.day_of_week) == (
            "forecasting.tasks.full_retrain_task", "15", "5", "3")
        assert PeriodicTask.objects.filter(name__startswith="ml: ").count() == sum(
            schedule.name.startswith("ml: ") for schedule in declared) >= 7
        reaper = PeriodicTask.objects.get(name="ml: training job reaper")
        assert (reaper.task, reaper.crontab.minute, reaper.crontab.hour, reaper.enabled) == (
            "forecasting.tasks.training_jobs_reap_task", "*", "*", True)
        orphans = PeriodicTask.objects.get(name="ml: daily clean-up of orphan artifacts")
        assert (orphans.task, orphans.crontab.minute, orphans.crontab.hour) == (
            "forecasting.tasks.artifact_orphans_collect_task", "45", "4")
        sweep = PeriodicTask.objects.get(name="ml: scoring sweep of unscored transactions")
        assert (sweep.task, sweep.crontab.minute, sweep.crontab.hour, sweep.enabled) == (
            "forecasting.tasks.unscored_transactions_sweep_task", "*/5", "*", True)
        segments = PeriodicTask.objects.get(name="coaching: daily segment refresh")
        assert (segments.task, segments.crontab.minute, segments.crontab.hour) == (
            "coaching.tasks.segments_refresh_task", "0", "5")

    def test_disabled_scheduler_disables_the_weekly_retrain(self, settings):
        settings.ML_SCHEDULER_ENABLED = False
        schedules_install()
        assert PeriodicTask.objects.get(name="ml: weekly full retrain").enabled is False

    def test_bad_day_is_a_command_error(self, settings):
        settings.ML_SCHEDULER_DAY = "someday"
        with pytest.raises(CommandError, match="ML_SCHEDULER_DAY must be one of"):
            call_command("setup_schedules")
        assert PeriodicTask.objects.filter(name__startswith="ml: ").count() == 0


@pytest.mark.django_db
class TestTrainModelsCommand:
    def test_trains_workspaces_with_enough_data_and_summarises(self, workspace, other_workspace):
        seasonal_revenue(workspace, months=30)
        f.TransactionFactory(workspace=other_workspace, kind="revenue", amount=Decimal("5"))
        out = StringIO()
        call_command("train_models", "--all", "--target", "revenue", "--algorithms", "naive,seasonal_naive",
                     stdout=out, stderr=StringIO())
        text = out.getvalue()
        assert "Successfully trained: 1 workspace(s)\nInsufficient data: 1 workspace(s)\nFailed: 0 workspace(s)\n" \
               "Total workspaces: 2" in text
        assert TrainingJob.objects.get(workspace=workspace).status == "succeeded"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--workspace", "999999"], "Workspace 999999 does not exist."),
            (["--user", "999999"], "User 999999 does not exist or belongs to no workspace."),
            (["--all", "--target", "weather"], "Unknown target 'weather'"),
            (["--all", "--algorithms", "magic"], "Unknown algorithm(s): magic."),
            (["--all", "--min-transactions", "0"], "--min-transactions must be at least 1."),
            ([], "Say what to train: --all, --workspace ID or --user ID (or run in a terminal)."),
        ],
    )
    def test_bad_arguments(self, args, message, workspace, monkeypatch):
        monkeypatch.setattr("sys.stdin", StringIO())  # not a terminal: no menu
        with pytest.raises(CommandError) as caught:
            call_command("train_models", *args, stdout=StringIO())
        assert message in str(caught.value)
        assert TrainingJob.objects.count() == 0


@pytest.mark.parametrize(("position", "phrase"), [
    (1, "Queued (job 7); next to start."),
    (2, "Queued (job 7); 1 job ahead of it."),
    (3, "Queued (job 7); 2 jobs ahead of it."),
    (None, "Queued (job 7)."),  # beyond the places looked through, or taken meanwhile
])
def test_a_queued_jobs_place_in_words(position, phrase):
    # The Models page and the auto-learn status API both say it with this one function
    assert training_queue_phrase(job_id=7, position=position) == phrase


@pytest.mark.django_db
class TestAutoLearnApi:
    def test_status_shows_counters_and_decisions(self, workspace, member, client_for):
        f.TransactionFactory(workspace=workspace, kind="revenue")
        body = client_for(member).get("/api/v1/ml/auto-learn/status/", {"workspace": workspace.pk}).json()
        revenue = next(t for t in body["targets"] if t["target"] == "revenue")
        assert (revenue["new_rows"], revenue["would_train"], revenue["reason"]) == (
            1, False, "Never trained; 1 of 5 rows needed.")
        assert body["settings"] == {"min_new_rows": 5, "cooldown_hours": 24.0, "feedback_threshold": 50}

    def test_status_reports_queued_and_running_jobs_with_their_place_in_line(
            self, workspace, other_workspace, member, client_for):
        # Given a running expense training, and revenue queued behind another workspace's job
        running = TrainingJob.objects.create(workspace=workspace, target="expense", status="running", progress=40)
        TrainingJob.objects.create(workspace=other_workspace, target="revenue", status="queued")
        queued = TrainingJob.objects.create(workspace=workspace, target="revenue", status="queued")
        # When a member reads the auto-learn status
        body = client_for(member).get("/api/v1/ml/auto-learn/status/", {"workspace": workspace.pk}).json()
        targets = {t["target"]: t for t in body["targets"]}
        # Then each active job is reported, the queued one with its place, and the rule defers to them
        assert (targets["revenue"]["active_job"], targets["revenue"]["would_train"], targets["revenue"]["reason"]) == (
            {"id": queued.pk, "status": "queued", "progress": 0, "queue_position": 2}, False,
            f"Queued (job {queued.pk}); 1 job ahead of it.")
        assert (targets["expense"]["active_job"], targets["expense"]["reason"]) == (
            {"id": running.pk, "status": "running", "progress": 40, "queue_position": None},
            f"Training job {running.pk} is running (40 %).")
        assert targets["inventory"]["active_job"] is None

    def test_force_trigger_queues_a_job(self, workspace, owner, client_for, no_enqueue):
        response = client_for(owner).post(f"/api/v1/ml/auto-learn/revenue/?workspace={workspace.pk}&force=true")
        assert response.status_code == 202
        assert response.json()["queued"] is True
        assert TrainingJob.objects.get().trigger == "manual"

    def test_the_categoriser_is_triggered_like_a_forecaster(self, workspace, owner, client_for):
        # Given a workspace without categorised transactions
        # When the owner asks auto-learning to train its categoriser
        response = client_for(owner).post(f"/api/v1/ml/auto-learn/categorizer/?workspace={workspace.pk}")
        # Then the cold-start rule answers, and nothing is queued
        assert response.status_code == 200
        assert response.json()["queued"] is False
        assert response.json()["reason"] == "Cold start: 0 of 50 categorised transactions needed."
        assert TrainingJob.objects.count() == 0

    def test_trigger_without_enough_data_says_why(self, workspace, owner, client_for):
        response = client_for(owner).post(f"/api/v1/ml/auto-learn/revenue/?workspace={workspace.pk}")
        assert response.status_code == 200
        assert response.json() == {"queued": False, "reason": "Never trained; 0 of 5 rows needed."}

    @pytest.mark.parametrize(
        ("path", "status"),
        [("weather/?workspace={ws}", 400), ("revenue/?workspace=abc", 400), ("revenue/", 400)],
    )
    def test_bad_trigger_input(self, path, status, workspace, owner, client_for):
        response = client_for(owner).post("/api/v1/ml/auto-learn/" + path.format(ws=workspace.pk))
        assert response.status_code == status
        assert TrainingJob.objects.count() == 0

    def test_member_cannot_trigger_and_another_workspace_is_404(self, workspace, other_workspace, member,
                                                                client_for):
        client = client_for(member)
        assert client.post(f"/api/v1/ml/auto-learn/revenue/?workspace={workspace.pk}&force=true").status_code == 403
        assert client.post(f"/api/v1/ml/auto-learn/revenue/?workspace={other_workspace.pk}").status_code == 404
        assert client.get("/api/v1/ml/auto-learn/status/", {"workspace": other_workspace.pk}).status_code == 404
        assert TrainingJob.objects.count() == 0

    def test_model_status_of_a_user(self, workspace, owner, client_for):
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        fitted_version(workspace=workspace, target="revenue", status="deployed")
        fitted_version(workspace=workspace, target=f"expense:category={rent.pk}", status="deployed")
        body = client_for(owner).get("/api/v1/ml/status/", {"user": owner.pk}).json()
        assert body["user"] == owner.pk
        [entry] = body["workspaces"]
        assert sorted(entry["models"]) == ["expense:category=" + str(rent.pk), "revenue"]
        assert entry["categories_covered"] == ["Rent"]

    def test_model_status_of_another_user_is_404_unless_staff(self, owner, outsider, client_for):
        assert client_for(owner).get("/api/v1/ml/status/", {"user": outsider.pk}).status_code == 404
        owner.is_staff = True
        owner.save()
        assert client_for(owner).get("/api/v1/ml/status/", {"user": outsider.pk}).status_code == 200
        assert client_for(owner).get("/api/v1/ml/status/", {"user": "x"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_bare_autocommit_writes_are_counted(workspace, monkeypatch):
    # Given no broker (the after-commit checks are recorded)

    from finance.models import Transaction

    checks = []
    monkeypatch.setattr("forecasting.tasks.autolearn_check_task.apply_async",
                        lambda *args, **kwargs: checks.append(kwargs["args"]))
    # When two rows are written outside any transaction (each commits on its own)
    for amount in ("10.00", "12.00"):
        Transaction.objects.create(workspace=workspace, kind="revenue", amount=Decimal(amount),
                                   date=dt.date(2025, 3, 1), description="Bare write")
    # Then both are counted and one check per target was queued
    assert counters(workspace) == {"revenue": 2} | classifiers(2)
    assert sorted(checks) == [[workspace.pk, target] for target in ("anomaly", "categorizer", "fraud", "revenue")]
