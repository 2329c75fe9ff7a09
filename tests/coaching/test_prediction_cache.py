"""The coaching prediction cache: a second request is served from it, a write to the
books (transaction, budget, goal, import, rules) or a new segmentation forgets it after
commit, the TTL per kind ends it, and the hourly warm-up fills it for active members."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from coaching.services import answers
from coaching.services.answers import ANSWERS, coaching_answer, prediction_cache_warm
from coaching.services.prediction_cache import KINDS
from coaching.services.segments import segments_refresh
from coaching.tasks import prediction_cache_warm_task
from finance.services.goals import goal_delete
from finance.services.rules import category_rule_create, category_rules_apply
from finance.signals import rows_imported
from forecasting.training.schedules import declared_schedules
from tests import factories as f
from tests.coaching.books import book

pytestmark = pytest.mark.django_db

PATTERNS = "/api/v1/financial/spending-patterns/"


@pytest.fixture
def computed(monkeypatch):
    """Counts the computations of each kind (the real ones run)."""
    calls: dict[str, int] = {}
    for kind, compute in list(answers.ANSWERS.items()):
        def counting(*, _kind=kind, _compute=compute, **kwargs):
            calls[_kind] = calls.get(_kind, 0) + 1
            return _compute(**kwargs)
        monkeypatch.setitem(answers.ANSWERS, kind, counting)
    return calls


def total_of(client, workspace) -> float:
    return client.get(PATTERNS, {"workspace": workspace.pk}).json()["total"]["total"]


class TestHitsAndInvalidation:
    def test_a_second_request_is_served_from_the_cache(self, workspace, member, client_for, computed,
                                                       django_assert_max_num_queries):
        book(workspace, 100, offset=1)
        client = client_for(member)
        first = client.get(PATTERNS, {"workspace": workspace.pk}).json()
        with django_assert_max_num_queries(2):  # the workspace lookup (and the session's user)
            second = client.get(PATTERNS, {"workspace": workspace.pk}).json()
        assert (first, computed) == (second, {"spending_patterns": 1})

    def test_a_new_transaction_forgets_it_after_commit(self, workspace, member, client_for, computed,
                                                       django_capture_on_commit_callbacks):
        book(workspace, 100, offset=1)
        client = client_for(member)
        assert total_of(client, workspace) == 100.0
        with django_capture_on_commit_callbacks(execute=False) as pending:
            book(workspace, 50, offset=2)
        # before the commit the cached answer still serves (the write may roll back)
        assert (total_of(client, workspace), computed["spending_patterns"]) == (100.0, 1)
        for callback in pending:
            callback()
        assert (total_of(client, workspace), computed["spending_patterns"]) == (150.0, 2)

    def test_budget_goal_import_and_rules_writes_forget_it(self, workspace, owner, client_for, computed,
                                                          django_capture_on_commit_callbacks):
        client = client_for(owner)
        category = f.CategoryFactory(workspace=workspace, name="Dining")
        row = book(workspace, 80, offset=1)
        goal = f.GoalFactory(workspace=workspace)
        writes = [
            lambda: f.BudgetFactory(workspace=workspace, category=category),
            lambda: goal_delete(goal=goal),
            lambda: rows_imported.send(sender=type(row), workspace=workspace, rows=[row]),
            lambda: (category_rule_create(workspace=workspace, category=category, field="merchant",
                                          operator="contains", pattern="corner", user=owner),
                     category_rules_apply(workspace=workspace)),
        ]
        total_of(client, workspace)
        for n, write in enumerate(writes, start=2):
            with django_capture_on_commit_callbacks(execute=True):
                write()
            total_of(client, workspace)
            assert computed["spending_patterns"] == n

    def test_another_workspaces_write_keeps_it(self, workspace, other_workspace, member, client_for, computed,
                                               django_capture_on_commit_callbacks):
        client = client_for(member)
        total_of(client, workspace)
        with django_capture_on_commit_callbacks(execute=True):
            book(other_workspace, 10, offset=1)
        total_of(client, workspace)
        assert computed["spending_patterns"] == 1

    def test_a_segmentation_forgets_the_segment_answers(self, workspace, member, client_for, computed,
                                                        django_capture_on_commit_callbacks):
        client = client_for(member)
        client.get("/api/v1/coaching/segment-insights/", {"workspace": workspace.pk})
        with django_capture_on_commit_callbacks(execute=True):
            segments_refresh()
        body = client.get("/api/v1/coaching/segment-insights/", {"workspace": workspace.pk}).json()
        assert (computed["segment_insights"], body["available"]) == (2, True)

    def test_members_share_workspace_answers_and_keep_their_own(self, workspace, owner, member, client_for,
                                                                computed):
        for user in (owner, member):
            client_for(user).get(PATTERNS, {"workspace": workspace.pk})
            client_for(user).get("/api/v1/financial/financial-personality/", {"workspace": workspace.pk})
        assert computed == {"spending_patterns": 1, "financial_personality": 2}

    def test_parameters_name_their_own_answers(self, workspace, member, client_for, computed):
        client = client_for(member)
        for months in (3, 6, 3):
            client.get(PATTERNS, {"workspace": workspace.pk, "months": months})
        assert computed["spending_patterns"] == 2


@pytest.fixture
def local_cache(settings):
    """A cache of this process only (the default without CACHE_URL; CI runs on Redis), whose
    expiry reads ``time.time`` so a test can move the clock."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "coaching-prediction-cache-test"}}


class TestTtl:
    def test_an_answer_expires_after_its_kinds_ttl(self, workspace, member, client_for, computed, settings,
                                                   monkeypatch, local_cache):
        settings.COACHING_CACHE_TTLS = settings.COACHING_CACHE_TTLS | {"spending_patterns": 60}
        client = client_for(member)
        total_of(client, workspace)
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 59)
        total_of(client, workspace)
        assert computed["spending_patterns"] == 1
        monkeypatch.setattr(time, "time", lambda: now + 61)
        total_of(client, workspace)
        assert computed["spending_patterns"] == 2

    def test_a_ttl_of_zero_turns_the_kind_off(self, workspace, member, client_for, computed, settings):
        settings.COACHING_CACHE_TTLS = settings.COACHING_CACHE_TTLS | {"spending_patterns": 0}
        client = client_for(member)
        total_of(client, workspace)
        total_of(client, workspace)
        assert computed["spending_patterns"] == 2


@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache every process sees (files), as Redis in production."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}


class TestWarmUp:
    def test_active_members_answers_are_computed_once(self, workspace, owner, member, computed, shared_cache):
        book(workspace, 100, offset=1)
        type(owner).objects.filter(pk=owner.pk).update(last_login=timezone.now() - dt.timedelta(days=1))
        f.BehavioralEventFactory(workspace=workspace, user=member)
        idle = f.MembershipFactory(workspace=f.WorkspaceFactory()).user
        type(idle).objects.filter(pk=idle.pk).update(last_login=timezone.now() - dt.timedelta(days=30))
        report = prediction_cache_warm()
        per_user = sum(KINDS[kind].per_user for kind in ANSWERS)
        assert (report.members, report.failed, report.skipped) == (2, 0, "")
        assert report.computed == len(ANSWERS) + per_user  # workspace answers once, the members' own twice
        assert computed["spending_patterns"] == 1 and computed["financial_personality"] == 2
        # a request now is served by the warmed answer; a second warm-up finds everything cached
        coaching_answer(kind="spending_patterns", workspace=workspace, user=member)
        again = prediction_cache_warm()
        assert (computed["spending_patterns"], again.computed, again.cached) == (1, 0, report.computed)

    def test_a_failing_answer_does_not_stop_the_others(self, workspace, owner, shared_cache, monkeypatch):
        type(owner).objects.filter(pk=owner.pk).update(last_login=timezone.now())

        def broken(**kwargs):
            raise RuntimeError("boom")

        monkeypatch.setitem(answers.ANSWERS, "spending_patterns", broken)
        report = prediction_cache_warm()
        assert (report.failed, report.computed) == (1, len(ANSWERS) - 1)

    def test_a_process_local_cache_is_not_warmed(self, workspace, owner, computed, local_cache):
        type(owner).objects.filter(pk=owner.pk).update(last_login=timezone.now())
        report = prediction_cache_warm()
        assert (report.computed, computed) == (0, {})
        assert report.skipped.startswith("The cache is local to each process")

    def test_the_task_and_its_hourly_schedule(self, workspace, owner, shared_cache):
        type(owner).objects.filter(pk=owner.pk).update(last_login=timezone.now())
        result = prediction_cache_warm_task.apply().get()
        assert (result["members"], result["computed"], result["failed"]) == (1, len(ANSWERS), 0)
        schedule = next(s for s in declared_schedules() if s.task == "coaching.tasks.prediction_cache_warm_task")
        assert (schedule.minute, schedule.hour) == ("10", "*")


def test_the_ttls_are_settings_per_kind(settings):
    assert set(settings.COACHING_CACHE_TTLS) == set(KINDS)
    assert settings.COACHING_CACHE_TTLS["financial_forecast"] == 3600
