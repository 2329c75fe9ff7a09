"""The workspace's bandit strategy, the propensity logged with every impression, the
cooldown of accepted and completed recommendations, and the offline evaluation in a
service, a command and admin."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coaching.bandits import ArmStats, Thompson
from coaching.models import BanditArm, CoachingSettings, RecommendationImpression
from coaching.selectors import coaching_context
from coaching.services.evaluation import policy_evaluate
from coaching.services.recommendations import (
    recommendation_feedback,
    recommendations_choose,
    recommendations_draw,
    slate_sign,
    slate_unsign,
)
from tests import factories as f
from tests.coaching.test_recommendations import books

pytestmark = pytest.mark.django_db

ALL_ARMS = {"cut_dining_out", "review_subscriptions", "automate_savings", "build_emergency_fund", "stick_to_budget",
            "curb_category_growth"}
EVALUATE = reverse("admin:coaching_recommendationimpression_evaluate")


def choose(workspace, user, *, count=3, seed=0, now=None):
    """A slate chosen and stored at ``now``, from the books as of today (the offers stay the six)."""
    return recommendations_choose(workspace=workspace, user=user, count=count, rng=np.random.default_rng(seed),
                                  now=now, ctx=coaching_context(workspace=workspace, today=timezone.localdate()))


class TestStrategyAndPropensity:
    def test_thompson_by_default_with_its_seeded_monte_carlo_propensity(self, workspace, member, settings):
        # given the six offers and one posterior learnt
        settings.COACHING_THOMPSON_PROPENSITY_SAMPLES = 1000
        books(workspace)
        BanditArm.objects.create(segment_key="business-unsegmented", arm="automate_savings", alpha=8, beta=2)
        # when three are chosen
        shown = choose(workspace, member)
        # then each logs Thompson, the arms on offer with their counts, and its propensity
        expected = Thompson(samples=1000).inclusion(
            {arm: ArmStats(8, 2) if arm == "automate_savings" else ArmStats() for arm in shown[0].decision["arms"]}, 3)
        for impression in RecommendationImpression.objects.all():
            assert impression.strategy == "thompson"
            assert impression.propensity == expected[impression.arm]
            assert impression.decision["k"] == 3
            assert impression.decision["params"] == {"samples": 1000}
            assert set(impression.decision["arms"]) == ALL_ARMS
            assert impression.decision["arms"]["automate_savings"] == [8.0, 2.0]
        assert expected["automate_savings"] > 0.9

    def test_epsilon_greedy_chosen_in_the_workspaces_settings(self, workspace, member):
        # given ε-greedy (ε = 0.3) and automate_savings the best mean; the five others tie at 0.5
        books(workspace)
        CoachingSettings.objects.create(workspace=workspace, strategy="epsilon_greedy", epsilon=0.3)
        BanditArm.objects.create(segment_key="business-unsegmented", arm="automate_savings", alpha=10, beta=1)
        # when six slates are chosen
        for seed in range(6):
            choose(workspace, member, seed=seed)
        # then: best arm 0.3 × 3/6 + 0.7 = 0.85; a tied one 0.15 + 0.7 × 2/5 = 0.43
        rows = RecommendationImpression.objects.all()
        assert {r.strategy for r in rows} == {"epsilon_greedy"}
        for row in rows:
            assert row.propensity == pytest.approx(0.85 if row.arm == "automate_savings" else 0.43, abs=1e-12)
        assert "automate_savings" in {r.arm for r in rows}
        assert rows[0].decision["params"] == {"epsilon": 0.3}

    def test_ucb1_shows_arms_never_answered_first_and_stores_no_infinite_score(self, workspace, member):
        books(workspace)
        CoachingSettings.objects.create(workspace=workspace, strategy="ucb1")
        BanditArm.objects.create(segment_key="business-unsegmented", arm="automate_savings", alpha=2, beta=1)
        shown = choose(workspace, member)
        assert "automate_savings" not in {i.arm for i in shown}
        assert [(i.strategy, i.propensity, i.sampled_value) for i in shown] == [("ucb1", 0.6, None)] * 3  # 3 of 5

    def test_a_pages_slate_carries_strategy_propensity_and_decision(self, workspace, member):
        books(workspace)
        drawn = recommendations_draw(workspace=workspace, user=member, rng=np.random.default_rng(1))
        back = slate_unsign(slate_sign(drawn), workspace=workspace, user=member)
        assert [(i.arm, i.strategy, i.propensity, i.decision) for i in back] == [
            (i.arm, i.strategy, i.propensity, i.decision) for i in drawn]

    def test_settings_are_edited_in_admin_and_epsilon_is_bounded(self, workspace, admin_client):
        url = reverse("admin:coaching_coachingsettings_add")
        response = admin_client.post(url, {"workspace": workspace.pk, "strategy": "ucb1", "epsilon": "1.5"})
        assert response.status_code == 200
        assert "Ensure this value is less than or equal to 1.0." in response.content.decode()
        assert not CoachingSettings.objects.exists()
        response = admin_client.post(url, {"workspace": workspace.pk, "strategy": "ucb1", "epsilon": "0.2"})
        assert response.status_code == 302
        assert CoachingSettings.objects.get().strategy == "ucb1"


class TestCooldown:
    def test_an_accepted_one_is_not_offered_again_while_in_progress_nor_within_the_cooldown(self, workspace, member):
        # given all six offers and one accepted
        books(workspace)
        now = timezone.now()
        first = choose(workspace, member, count=1, now=now)[0]
        recommendation_feedback(impression=first, action="accepted", user=member, now=now)
        # then it is left out while in progress, even 60 days later
        assert {i.arm for i in choose(workspace, member, count=6, now=now)} == ALL_ARMS - {first.arm}
        later = now + dt.timedelta(days=60)
        assert first.arm not in {i.arm for i in choose(workspace, member, count=6, now=later)}
        # when it is done on day 60, it rests for 30 days after that answer, then comes back
        recommendation_feedback(impression=first, action="completed", user=member, now=later)
        assert first.arm not in {i.arm for i in choose(workspace, member, count=6, now=later + dt.timedelta(days=29))}
        assert first.arm in {i.arm for i in choose(workspace, member, count=6, now=later + dt.timedelta(days=31))}

    def test_a_dismissed_one_or_another_members_answer_does_not_rest_it(self, workspace, member):
        books(workspace)
        colleague = f.MembershipFactory(workspace=workspace).user
        dismissed = choose(workspace, member, count=1)[0]
        recommendation_feedback(impression=dismissed, action="dismissed", user=member)
        theirs = choose(workspace, colleague, count=1)[0]
        recommendation_feedback(impression=theirs, action="completed", user=colleague)
        assert {i.arm for i in choose(workspace, member, count=6)} == ALL_ARMS
        assert theirs.arm not in {i.arm for i in choose(workspace, colleague, count=6)}

    def test_the_cooldown_is_a_setting(self, workspace, member, settings):
        settings.COACHING_RECOMMENDATION_COOLDOWN_DAYS = 7
        books(workspace)
        now = timezone.now()
        done = choose(workspace, member, count=1, now=now)[0]
        recommendation_feedback(impression=done, action="completed", user=member, now=now)
        assert done.arm not in {i.arm for i in choose(workspace, member, count=6, now=now + dt.timedelta(days=6))}
        assert done.arm in {i.arm for i in choose(workspace, member, count=6, now=now + dt.timedelta(days=8))}

    def test_the_page_never_offers_again_what_is_in_progress(self, workspace, member):
        # given the Coaching page, and the member accepting its first recommendation
        books(workspace)
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        html = client.get(reverse("coaching:page")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        slate = re.search(r'data-slate="([^"]+)"', html).group(1)
        client.post(reverse("coaching:recommendation-answer"),
                    {"slate": slate, "position": 1, "action": "accepted", "csrfmiddlewaretoken": token})
        accepted = RecommendationImpression.objects.get(status="accepted")
        # when the page is shown again, ten times
        for _ in range(10):
            response = client.get(reverse("coaching:page"))
            # then the accepted one is under "In progress" and never among the recommendations
            assert [i.arm for i in response.context["in_progress"]] == [accepted.arm]
            assert accepted.arm not in {r.arm for r in response.context["recommendations"]}
            assert len(response.context["recommendations"]) == 3


def logged(workspace, user, *, answers, now):
    """One slate of three per answer triple (``None``: not answered), shown a day apart
    before ``now``; returns the impressions."""
    out = []
    for day, triple in enumerate(answers):
        shown_at = now - dt.timedelta(days=len(answers) - day)
        slate = choose(workspace, user, count=3, seed=day, now=shown_at)
        for impression, action in zip(slate, triple, strict=True):
            if action:
                recommendation_feedback(impression=impression, action=action, user=user, now=shown_at)
        out += slate
    return out


class TestEvaluation:
    def test_the_logged_policy_scores_its_realised_mean_and_each_strategy_has_a_row(self, workspace, member):
        # given 4 slates of 3 (accepted, completed 1; dismissed, ignored 0), one fresh slate
        # still unanswered (pending) and an impression from before propensities (skipped)
        books(workspace)
        now = timezone.now()
        logged(workspace, member, now=now, answers=[
            ("accepted", "dismissed", None), ("completed", None, None), ("dismissed", "dismissed", "completed"),
            (None, None, None)])
        choose(workspace, member, count=3, now=now - dt.timedelta(hours=1), seed=9)
        RecommendationImpression.objects.create(
            workspace=workspace, user=member, segment_key="x", arm="cut_dining_out", title="t", text="t",
            sampled_value=0.5, position=1, shown_at=now - dt.timedelta(days=30), reward=1.0, status="accepted")
        # when evaluated
        report = policy_evaluate(workspaces=[workspace], epsilon=0.2, now=now, rounds=200)
        # then the logged row is the realised mean 3 / 12, the others are estimates of their own
        assert (report.logged_strategies, report.pending, report.skipped_without_propensity) == (
            {"thompson": 12}, 3, 1)
        assert [r.label for r in report.rows] == ["logged policy", "thompson", "epsilon_greedy (ε = 0.2)", "ucb1"]
        logged_row, thompson = report.rows[0].estimate, report.rows[1].estimate
        assert (logged_row.ips, logged_row.snips, logged_row.impressions, logged_row.decisions) == (0.25, 0.25, 12, 4)
        assert thompson.ips == pytest.approx(0.25, abs=1e-9)  # the same strategy from the same counts: weights 1
        assert thompson.mean_weight == pytest.approx(1.0, abs=1e-9)

    def test_bad_input_names_the_field(self, workspace):
        with pytest.raises(ValueError, match="strategy: unknown 'greedy'"):
            policy_evaluate(workspaces=[workspace], strategies=["greedy"])
        with pytest.raises(ValueError, match="epsilon: must be between 0 and 1"):
            policy_evaluate(workspaces=[workspace], epsilon=-0.1)
        with pytest.raises(ValueError, match="ci: unknown 'exact'"):
            policy_evaluate(workspaces=[workspace], ci="exact")


class TestCommand:
    def test_prints_the_table(self, workspace, member, capsys):
        books(workspace)
        logged(workspace, member, now=timezone.now(), answers=[("accepted", "dismissed", None)] * 3)
        call_command("coaching_evaluate", "--workspace", str(workspace.pk), "--strategy", "ucb1", "--ci", "normal")
        out = capsys.readouterr().out.splitlines()
        assert out[0] == (f"Workspaces {workspace.pk}: impressions logged 9 by thompson; 0 without a propensity "
                          "and 0 awaiting an answer left out. Intervals: normal.")
        assert out[1].startswith("| policy | IPS | 95 % CI | SNIPS |")
        assert out[3].startswith("| logged policy | 0.3333 | [")
        assert out[4].startswith("| ucb1 | ")
        assert len(out) == 5

    @pytest.mark.parametrize(("args", "message"), [
        (["--workspace", "999999"], "--workspace: no workspace with id '999999'."),
        (["--workspace", "abc"], "--workspace: no workspace with id 'abc'."),
        (["--strategy", "greedy"], "--strategy: unknown 'greedy'; use one of: thompson, epsilon_greedy, ucb1."),
        (["--epsilon", "2"], "--epsilon: must be between 0 and 1, not 2.0."),
        (["--epsilon", "x"], "--epsilon must be a number, --rounds and --seed whole numbers."),
        (["--ci", "exact"], "--ci: unknown 'exact'; use one of: bootstrap, normal."),
        (["--since", "2024-13-01"], "--since/--until: '2024-13-01' is not a date (YYYY-MM-DD)."),
    ])
    def test_bad_input_is_a_command_error_naming_it(self, workspace, args, message):
        if args[0] != "--workspace":
            args = ["--workspace", str(workspace.pk), *args]
        with pytest.raises(CommandError) as caught:
            call_command("coaching_evaluate", *args)
        assert str(caught.value) == message

    def test_nothing_logged_says_so(self, workspace, capsys):
        call_command("coaching_evaluate", "--workspace", str(workspace.pk))
        assert capsys.readouterr().out.splitlines()[-1] == (
            "Nothing to evaluate: no answered or ignored impressions with a propensity.")


class TestAdmin:
    def test_the_view_shows_the_table(self, workspace, member, admin_client):
        books(workspace)
        logged(workspace, member, now=timezone.now(), answers=[("accepted", "dismissed", "completed")] * 2)
        response = admin_client.get(EVALUATE, {"workspace": workspace.pk, "strategy": ["ucb1", "thompson"],
                                               "epsilon": "0.1", "ci": "normal"})
        html = response.content.decode()
        assert response.status_code == 200
        assert [r.label for r in response.context["report"].rows] == ["logged policy", "ucb1", "thompson"]
        assert '<table id="evaluation">' in html
        assert "<td>logged policy</td><td>0.6667</td>" in html

    def test_the_settings_action_opens_it_for_the_selected_workspaces(self, workspace, other_workspace, admin_client):
        rows = [CoachingSettings.objects.create(workspace=w) for w in (workspace, other_workspace)]
        response = admin_client.post(reverse("admin:coaching_coachingsettings_changelist"), {
            "action": "evaluate_selected", "_selected_action": [r.pk for r in rows]})
        assert response.status_code == 302
        assert response.url == f"{EVALUATE}?workspace={workspace.pk}&workspace={other_workspace.pk}" or \
            response.url == f"{EVALUATE}?workspace={other_workspace.pk}&workspace={workspace.pk}"

    def test_staff_cannot_evaluate_a_workspace_they_are_not_in(self, workspace, other_workspace, client):
        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff)
        staff.user_permissions.add(Permission.objects.get(codename="view_recommendationimpression"))
        client.force_login(staff)
        response = client.get(EVALUATE, {"workspace": other_workspace.pk, "epsilon": "0.1", "ci": "normal"})
        assert response.status_code == 200
        assert response.context["report"] is None
        assert "workspace" in response.context["form"].errors
