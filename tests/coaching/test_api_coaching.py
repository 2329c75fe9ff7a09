"""/api/v1/coaching/: segments, recommendations and feedback, predictions, insights, peer
comparison — tenancy (another workspace is a 404), bad input (400), pinned query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coaching.models import BanditArm, BehavioralEvent, RecommendationImpression, SegmentAssignment
from coaching.services.peers import MIN_PEERS
from coaching.services.segments import segments_refresh
from finance.models import Membership, Workspace
from tests import factories as f
from tests.coaching.books import month, monthly

pytestmark = pytest.mark.django_db

BASE = "/api/v1/coaching/"
READS = ["segments/", "recommendations/", "predictions/", "insights/", "peer-comparison/", "budget-risk/",
         "behavioral-insights/"]


def books(workspace, size: int = 1):
    """``size`` categories with budgets and goals, six months of revenue and expenses."""
    monthly(workspace, [5000] * 6, kind="revenue")
    today = timezone.localdate()
    for n in range(size):
        category = f.CategoryFactory(workspace=workspace, name=f"Dining {n}")
        monthly(workspace, [100, 100, 100, 100, 100, 400], category=category)
        f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("50"), start_date=dt.date(2020, 1, 1))
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal("80"), date=today)
        f.GoalFactory(workspace=workspace, name=f"Goal {n}", target_amount=Decimal("90000"),
                      saved_amount=Decimal("10"), deadline=today + dt.timedelta(days=60))


def impression_for(client, workspace):
    body = client.get(f"{BASE}recommendations/", {"workspace": workspace.pk, "count": 1}).json()
    return body["recommendations"][0]["id"]


class TestReads:
    def test_segments_managers_see_everyone_members_themselves(self, workspace, owner, member, client_for):
        books(workspace)
        segments_refresh()
        everyone = client_for(owner).get(f"{BASE}segments/", {"workspace": workspace.pk}).json()
        assert sorted(a["user"] for a in everyone["assignments"]) == sorted([owner.pk, member.pk])
        mine = client_for(member).get(f"{BASE}segments/", {"workspace": workspace.pk}).json()
        [assignment] = mine["assignments"]
        assert (assignment["user"], assignment["segment"]["name"], assignment["segment"]["kind"]) == (
            member.pk, "Savers", "business")
        assert set(assignment["features"]) == {"savings_rate", "spending_volatility", "discretionary_share",
                                               "top_category_share", "goal_progress", "engagement"}

    def test_recommendations_are_chosen_and_recorded(self, workspace, viewer, client_for):
        books(workspace)
        response = client_for(viewer).get(f"{BASE}recommendations/", {"workspace": workspace.pk, "count": 2})
        assert response.status_code == 200
        body = response.json()
        assert (body["workspace"], body["segment_key"], len(body["recommendations"])) == (
            workspace.pk, "business-unsegmented", 2)
        assert [r["position"] for r in body["recommendations"]] == [1, 2]
        assert RecommendationImpression.objects.filter(user=viewer).count() == 2
        # each logs the strategy that chose it and its chance of being shown
        stored = {i.pk: i.propensity for i in RecommendationImpression.objects.filter(user=viewer)}
        assert [(r["strategy"], r["propensity"]) for r in body["recommendations"]] == [
            ("thompson", stored[r["id"]]) for r in body["recommendations"]]
        assert all(0 < r["propensity"] <= 1 for r in body["recommendations"])

    def test_predictions_and_insights(self, workspace, member, client_for):
        books(workspace)
        client = client_for(member)
        predictions = client.get(f"{BASE}predictions/", {"workspace": workspace.pk}).json()
        assert predictions["spending"]["categories"][0]["name"] == "Dining 0"
        assert predictions["spending"]["total"]["method"] == "engine"
        assert [g["name"] for g in predictions["goals"]] == ["Goal 0"]
        insights = client.get(f"{BASE}insights/", {"workspace": workspace.pk}).json()["insights"]
        assert [i["kind"] for i in insights] == ["goal_off_track", "over_budget", "category_growth"]

    def test_peer_comparison_without_enough_peers(self, workspace, member, client_for):
        books(workspace)
        segments_refresh()
        body = client_for(member).get(f"{BASE}peer-comparison/", {"workspace": workspace.pk}).json()
        assert (body["available"], body["peers"], body["categories"]) == (False, 0, [])

    @pytest.mark.parametrize("endpoint", READS)
    def test_another_workspace_is_404_and_writes_nothing(self, endpoint, other_workspace, member, client_for):
        books(other_workspace)
        response = client_for(member).get(f"{BASE}{endpoint}", {"workspace": other_workspace.pk})
        assert response.status_code == 404
        assert RecommendationImpression.objects.count() == 0

    @pytest.mark.parametrize("endpoint", READS)
    @pytest.mark.parametrize(("params", "field"), [({}, "workspace"), ({"workspace": "abc"}, "workspace")])
    def test_bad_query_is_400_with_a_message(self, endpoint, params, field, member, client_for):
        response = client_for(member).get(f"{BASE}{endpoint}", params)
        assert response.status_code == 400
        assert response.json()[field] == [
            "This field is required." if not params else "A valid integer is required."]

    @pytest.mark.parametrize("count", ["0", "7", "many"])
    def test_bad_count_is_400(self, count, workspace, member, client_for):
        books(workspace)
        response = client_for(member).get(f"{BASE}recommendations/", {"workspace": workspace.pk, "count": count})
        assert response.status_code == 400
        assert "count" in response.json()
        assert RecommendationImpression.objects.count() == 0

    def test_anonymous_is_refused(self, workspace, api_client):
        assert api_client.get(f"{BASE}insights/", {"workspace": workspace.pk}).status_code in (401, 403)

    def test_documented_in_the_schema(self, member, client_for):
        paths = client_for(member).get("/api/schema/", {"format": "json"}).json()["paths"]
        assert {p for p in paths if p.startswith(BASE)} == {
            f"{BASE}{e}" for e in READS} | {f"{BASE}recommendations/{{id}}/feedback/", f"{BASE}refresh-segment/",
                                            f"{BASE}spending-prediction/", f"{BASE}goal-prediction/",
                                            f"{BASE}segment-insights/", f"{BASE}financial-forecast/"}


def post_contribution(client, workspace, goal, amount_json: str):
    """A ``contribute`` event last month, posted as raw JSON (as a client would)."""
    at = dt.datetime.combine(month(1) + dt.timedelta(days=5), dt.time(12), tzinfo=dt.UTC).isoformat()
    body = (f'{{"workspace": {workspace.pk}, "event_type": "goal_modification", "timestamp": "{at}", '
            f'"data": {{"action": "contribute", "goal_id": {goal.pk}, "amount": {amount_json}}}}}')
    return client.post("/api/v1/events/", body.encode(), content_type="application/json")


def households(count: int, *, revenue: float = 4000, expense: float = 3000) -> list:
    """``count`` households with identical books (one segment) and one owner each."""
    out = []
    for _ in range(count):
        workspace = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
        f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER)
        monthly(workspace, [revenue] * 6, kind="revenue")
        monthly(workspace, [expense] * 6)
        out.append(workspace)
    return out


class TestExtremeContributions:
    def test_a_viewers_tiny_contribution_leaves_predictions_and_insights_working(
        self, workspace, viewer, client_for
    ):
        # given a goal with 100,000 to save
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("100000"), saved_amount=Decimal("0"),
                             deadline=timezone.localdate() + dt.timedelta(days=365))
        client = client_for(viewer)
        # when a viewer records a contribution of 0.01
        assert post_contribution(client, workspace, goal, "0.01").status_code == 201
        predictions = client.get(f"{BASE}predictions/", {"workspace": workspace.pk})
        insights = client.get(f"{BASE}insights/", {"workspace": workspace.pk})
        # then both answer; the goal is never reached at this pace
        assert (predictions.status_code, insights.status_code) == (200, 200)
        [g] = predictions.json()["goals"]
        assert (g["basis"], g["monthly_mean"], g["expected_date"], g["probability"]) == (
            "contributions", 0.01, None, 0.0)  # from the month of the first contribution on
        assert [i["kind"] for i in insights.json()["insights"]] == ["goal_off_track"]

    def test_huge_contributions_are_refused_and_predictions_keep_working(self, workspace, member, client_for):
        # given a goal of 1,000
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("1000"), saved_amount=Decimal("0"),
                             deadline=timezone.localdate() + dt.timedelta(days=365))
        client = client_for(member)
        # when a member records two contributions of 1e308 (whose sum overflows)
        refused = [post_contribution(client, workspace, goal, "1e308") for _ in range(2)]
        response = client.get(f"{BASE}predictions/", {"workspace": workspace.pk})
        # then both are refused with a message, nothing is stored, and predictions answer
        assert [r.status_code for r in refused] == [400, 400]
        assert refused[0].json() == {"data": ["“amount” must be at most 1,000,000,000,000 in absolute value."]}
        assert BehavioralEvent.objects.count() == 0
        assert response.status_code == 200
        [g] = response.json()["goals"]
        assert (g["basis"], g["monthly_mean"], g["probability"], g["expected_date"]) == (
            "net_savings_share", 0.0, 0.0, None)


class TestSegmentPrivacy:
    def test_with_one_other_workspace_the_centre_is_hidden(self, client_for):
        # given two households in one segment: mine (saving 25 %) and theirs (70 %)
        mine = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
        me = f.MembershipFactory(workspace=mine, role=Membership.Role.VIEWER).user
        monthly(mine, [4000] * 6, kind="revenue")
        monthly(mine, [3000] * 6)
        [theirs] = households(1, revenue=10000, expense=3000)
        segments_refresh()
        # when
        [assignment] = client_for(me).get(f"{BASE}segments/", {"workspace": mine.pk}).json()["assignments"]
        # then the name and sizes are shown, the centre and its description are not
        segment = assignment["segment"]
        assert (segment["name"], segment["size"], segment["workspace_count"]) == ("Savers", 2, 2)
        assert (segment["centroid"], segment["description"]) == (None, None)
        assert assignment["features"]["savings_rate"] == 0.25
        assert "0.475" not in repr(segment) and "0.7" not in repr(segment)  # the centre and their rate

    @pytest.mark.parametrize(("others", "shown"), [(MIN_PEERS - 1, False), (MIN_PEERS, True)])
    def test_the_centre_is_shown_from_min_peers_other_workspaces(self, others, shown, client_for):
        # given my household and ``others`` with the same books, all in one segment
        [mine, *_] = households(1 + others)
        me = mine.memberships.get().user
        segments_refresh()
        # when
        [assignment] = client_for(me).get(f"{BASE}segments/", {"workspace": mine.pk}).json()["assignments"]
        # then
        segment = assignment["segment"]
        assert segment["workspace_count"] == 1 + others
        if shown:
            assert segment["centroid"] == {"savings_rate": 0.25, "spending_volatility": 0.0,
                                           "discretionary_share": 0.0, "top_category_share": 1.0,
                                           "goal_progress": 0.0, "engagement": 0.0}
            assert segment["description"] == (
                "Savings rate 25%; spending varies 0% month to month; 0% discretionary, 100% in the top category; "
                "goals 0% funded; 0.0 events a week.")
        else:
            assert (segment["centroid"], segment["description"]) == (None, None)


class TestFeedback:
    def test_feedback_updates_the_posterior(self, workspace, member, client_for):
        books(workspace)
        client = client_for(member)
        pk = impression_for(client, workspace)
        response = client.post(f"{BASE}recommendations/{pk}/feedback/", {"action": "accepted"}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["impression"]["status"], body["impression"]["reward"]) == ("accepted", 1.0)
        assert (body["posterior"]["alpha"], body["posterior"]["beta"], body["posterior"]["mean"]) == (
            2.0, 1.0, 2.0 / 3)

    @pytest.mark.parametrize("body", [{}, {"action": "loved it"}])
    def test_bad_input_is_400_and_nothing_written(self, body, workspace, member, client_for):
        books(workspace)
        client = client_for(member)
        pk = impression_for(client, workspace)
        response = client.post(f"{BASE}recommendations/{pk}/feedback/", body, format="json")
        assert response.status_code == 400
        assert "action" in response.json()
        assert (BanditArm.objects.count(), BehavioralEvent.objects.count()) == (0, 0)
        assert RecommendationImpression.objects.get().status == "shown"

    def test_another_users_or_workspaces_impression_is_404(self, workspace, member, owner, other_workspace,
                                                           outsider, client_for):
        books(workspace)
        books(other_workspace)
        mine = impression_for(client_for(member), workspace)
        theirs = impression_for(client_for(outsider), other_workspace)
        for client, pk in ((client_for(owner), mine), (client_for(member), theirs)):
            response = client.post(f"{BASE}recommendations/{pk}/feedback/", {"action": "accepted"}, format="json")
            assert response.status_code == 404
        assert set(RecommendationImpression.objects.values_list("status", flat=True)) == {"shown"}
        assert BanditArm.objects.count() == 0

    def test_answering_twice_is_409(self, workspace, member, client_for):
        books(workspace)
        client = client_for(member)
        pk = impression_for(client, workspace)
        client.post(f"{BASE}recommendations/{pk}/feedback/", {"action": "dismissed"}, format="json")
        response = client.post(f"{BASE}recommendations/{pk}/feedback/", {"action": "accepted"}, format="json")
        assert response.status_code == 409
        assert response.json() == {"detail": "This recommendation was already dismissed."}
        assert list(BanditArm.objects.values_list("alpha", "beta")) == [(1.0, 2.0)]


class TestQueryCounts:
    """Each read runs the same number of queries whatever the number of categories,
    budgets, goals, members and peers."""

    @pytest.fixture(params=[1, 4])
    def client(self, request, workspace, owner, client_for, settings):
        # the computations' queries (answers served from the coaching cache: test_prediction_cache.py)
        settings.COACHING_CACHE_TTLS = dict.fromkeys(settings.COACHING_CACHE_TTLS, 0)
        size = request.param
        books(workspace, size)
        for _ in range(size):
            f.MembershipFactory(workspace=workspace, role=Membership.Role.MEMBER)
        for _ in range(size + 5):  # peers: other workspaces in the same segment
            peer = f.WorkspaceFactory()
            f.MembershipFactory(workspace=peer)
            books(peer, size)
        segments_refresh()
        assert SegmentAssignment.objects.filter(workspace=workspace).count() == size + 1
        return client_for(owner)

    @pytest.mark.parametrize(("endpoint", "queries"), [
        ("segments/", 3), ("recommendations/", 9), ("predictions/", 9), ("insights/", 7),
        ("peer-comparison/", 4), ("budget-risk/", 5),
    ])
    def test_reads(self, client, workspace, endpoint, queries, django_assert_num_queries):
        client.get(f"{BASE}{endpoint}", {"workspace": workspace.pk})  # warm the forecast cache
        with django_assert_num_queries(queries):
            response = client.get(f"{BASE}{endpoint}", {"workspace": workspace.pk})
        assert response.status_code == 200
        if endpoint == "peer-comparison/":
            assert response.json()["available"] is True


class TestNothingToRecommend:
    def test_empty_books_give_no_recommendations_and_read_the_segment_once(
            self, workspace, viewer, client_for, django_assert_num_queries):
        # Given a workspace without any books (nothing to recommend from)
        client = client_for(viewer)
        client.get(f"{BASE}segments/", {"workspace": workspace.pk})  # log in and warm the session
        # When the viewer asks for recommendations (no offer: no posteriors, settings or cooldowns read)
        with django_assert_num_queries(5) as captured:
            response = client.get(f"{BASE}recommendations/", {"workspace": workspace.pk})
        # Then the answer is empty, keyed by the segment, which was read exactly once
        assert response.status_code == 200
        assert response.json() == {"workspace": workspace.pk, "segment_key": "business-unsegmented",
                                   "recommendations": []}
        assert sum("coaching_segmentassignment" in q["sql"] for q in captured.captured_queries) == 1
