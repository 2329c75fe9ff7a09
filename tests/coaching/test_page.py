"""The Coaching page: what it shows, Accept / Dismiss / Done, tenancy and its query count."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from coaching.models import BanditArm, RecommendationImpression
from coaching.services.segments import segments_refresh
from finance.models import Membership
from tests import factories as f
from tests.coaching.test_api_coaching import books, households, post_contribution

pytestmark = pytest.mark.django_db

PAGE = reverse("coaching:page")


ANSWER = reverse("coaching:recommendation-answer")
SHOWN = reverse("coaching:recommendations-shown")


def feedback_url(pk: int) -> str:
    return reverse("coaching:recommendation-feedback", args=[pk])


def slate_of(html: str) -> str:
    return re.search(r'data-slate="([^"]+)"', html).group(1)


@pytest.fixture
def logged_in():
    def make(user) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    return make


def csrf(client: Client, html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


class TestPage:
    def test_shows_segment_recommendations_goals_insights_and_peers(self, workspace, member, logged_in):
        # given
        books(workspace)
        segments_refresh()
        # when
        response = logged_in(member).get(PAGE)
        # then
        html = response.content.decode()
        assert response.status_code == 200
        assert f'href="{PAGE}" aria-current="page">Coaching</a>' in html
        assert 'data-segment="business-savers"' in html
        # the page stored nothing: its recommendations travel with it as a signed slate
        assert RecommendationImpression.objects.count() == 0
        drawn = response.context["recommendations"]
        assert len(drawn) == 3 and len({i.slate for i in drawn}) == 1
        slate = slate_of(html)
        assert html.count(f'name="slate" value="{slate}"') == 6
        assert html.count(f'action="{ANSWER}"') == 6
        for impression in drawn:
            assert impression.text in html
        assert html.count('value="accepted"') == 3 and html.count('value="dismissed"') == 3
        assert "/static/js/coaching.js" in html
        assert 'data-insight="over_budget"' in html
        assert 'data-goal="' in html
        assert "data-peers-unavailable" in html

    def test_a_goal_never_reached_at_this_pace_says_so(self, workspace, viewer, client_for, logged_in):
        # given a viewer's contribution of 0.01 towards 100,000
        goal = f.GoalFactory(workspace=workspace, name="House", target_amount=100000, saved_amount=0)
        assert post_contribution(client_for(viewer), workspace, goal, "0.01").status_code == 201
        # when
        response = logged_in(viewer).get(PAGE)
        # then the page answers and the goal's expected date reads "not at this pace"
        assert response.status_code == 200
        [prediction] = response.context["goals"]
        assert prediction.expected_date is None
        assert '<td class="nowrap">not at this pace</td>' in response.content.decode()

    @pytest.mark.parametrize(("others", "shown"), [(1, False), (5, True)])
    def test_the_segment_description_needs_five_other_workspaces(self, others, shown, logged_in):
        # given my household and ``others`` with the same books, all in one segment
        [mine, *_] = households(1 + others)
        segments_refresh()
        # when
        html = logged_in(mine.memberships.get().user).get(PAGE).content.decode()
        # then the name is always shown, the description only with enough peers
        assert "Your segment: <strong>Savers</strong>" in html
        assert ("data-segment-description" in html, "Savings rate 25%" in html) == (shown, shown)

    def test_the_nav_links_the_page(self, workspace, member, logged_in):
        html = logged_in(member).get(reverse("finance:overview")).content.decode()
        assert f'<a href="{PAGE}">Coaching</a>' in html

    def test_the_shown_beacon_stores_the_slate_once(self, workspace, member, logged_in):
        # given the page and its slate
        books(workspace)
        client = logged_in(member)
        response = client.get(PAGE)
        html = response.content.decode()
        drawn = response.context["recommendations"]
        # when the browser reports the page shown, twice
        for _ in range(2):
            answer = client.post(SHOWN, {"slate": slate_of(html), "csrfmiddlewaretoken": csrf(client, html)})
            assert answer.status_code == 204
        # then the slate is stored once, as drawn
        stored = list(RecommendationImpression.objects.filter(user=member).order_by("position"))
        assert [(i.arm, i.position, i.text, i.slate) for i in stored] == [
            (i.arm, i.position, i.text, i.slate) for i in drawn]

    def test_a_slate_not_signed_for_you_is_refused(self, workspace, member, owner, logged_in):
        books(workspace)
        mine = logged_in(member)
        html = mine.get(PAGE).content.decode()
        theirs = logged_in(owner)
        their_html = theirs.get(PAGE).content.decode()
        for slate in (slate_of(html), slate_of(html)[:-2] + "xx"):
            answer = theirs.post(SHOWN, {"slate": slate, "csrfmiddlewaretoken": csrf(theirs, their_html)})
            assert (answer.status_code, answer.json()) == (400, {"detail": "These recommendations were not shown to you."})
        assert RecommendationImpression.objects.count() == 0

    def test_accept_then_done(self, workspace, member, logged_in):
        books(workspace)
        client = logged_in(member)
        html = client.get(PAGE).content.decode()
        # an answer without the beacon before it stores the slate too
        response = client.post(ANSWER, {"slate": slate_of(html), "position": 1, "action": "accepted",
                                        "csrfmiddlewaretoken": csrf(client, html)}, follow=True)
        first = RecommendationImpression.objects.get(user=member, position=1)
        assert RecommendationImpression.objects.filter(user=member).count() == 3
        assert response.redirect_chain == [(PAGE, 302)]
        assert f"Accepted: {first.title}." in response.content.decode()
        assert (first.status, first.reward) == ("accepted", 1.0)
        assert [i.pk for i in response.context["in_progress"]] == [first.pk]
        client.post(feedback_url(first.pk), {"action": "completed", "csrfmiddlewaretoken": csrf(client, html)})
        first.refresh_from_db()
        assert first.status == "completed"
        assert list(BanditArm.objects.values_list("arm", "alpha", "beta")) == [(first.arm, 2.0, 1.0)]

    def test_without_csrf_token_nothing_is_written(self, workspace, member, logged_in):
        books(workspace)
        client = logged_in(member)
        html = client.get(PAGE).content.decode()
        assert client.post(ANSWER, {"slate": slate_of(html), "position": 1, "action": "dismissed"}).status_code == 403
        assert client.post(SHOWN, {"slate": slate_of(html)}).status_code == 403
        assert RecommendationImpression.objects.count() == 0
        assert BanditArm.objects.count() == 0

    def test_a_bad_action_or_someone_elses_impression_changes_nothing(self, workspace, member, owner, logged_in):
        books(workspace)
        mine = logged_in(member)
        html = mine.get(PAGE).content.decode()
        response = mine.post(ANSWER, {"slate": slate_of(html), "position": 1, "action": "love",
                                      "csrfmiddlewaretoken": csrf(mine, html)}, follow=True)
        assert response.redirect_chain == [(PAGE, 302)]
        assert [str(m) for m in response.context["messages"]] == [
            "Unknown answer 'love'; use one of: accepted, completed, dismissed."]
        first = RecommendationImpression.objects.get(user=member, position=1)  # shown, not answered
        theirs = logged_in(owner)
        their_html = theirs.get(PAGE).content.decode()
        assert theirs.post(feedback_url(first.pk), {"action": "accepted",
                                                    "csrfmiddlewaretoken": csrf(theirs, their_html)}).status_code == 404
        response = theirs.post(ANSWER, {"slate": slate_of(html), "position": 1, "action": "accepted",
                                        "csrfmiddlewaretoken": csrf(theirs, their_html)}, follow=True)
        assert [str(m) for m in response.context["messages"]] == ["These recommendations were not shown to you."]
        first.refresh_from_db()
        assert first.status == "shown"
        assert BanditArm.objects.count() == 0

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(PAGE)
        assert response.status_code == 302
        assert response.url.startswith(reverse("finance:login"))


class TestQueryCount:
    @pytest.mark.parametrize("size", [1, 4])
    def test_constant_in_the_number_of_rows(self, size, workspace, member, logged_in, django_assert_num_queries):
        books(workspace, size)
        for _ in range(size + 5):
            peer = f.WorkspaceFactory()
            f.MembershipFactory(workspace=peer, role=Membership.Role.OWNER)
            books(peer, size)
        segments_refresh()
        client = logged_in(member)
        html = client.get(PAGE).content.decode()  # warm the forecast cache; accept one so "in progress" has a row
        client.post(ANSWER, {"slate": slate_of(html), "position": 1, "action": "accepted",
                             "csrfmiddlewaretoken": csrf(client, html)})
        # the books (3), the spending's own (1), the goals' history (1) and the user's segment (1) are
        # read once for the whole page; the recommendations drawn are not stored while it renders (the
        # workspace's strategy and the arms resting after an answer are read once each; the member's
        # events once, for the behaviour-change insight); the weekly view (its books and deployed
        # models: 2) and the budgets' risk (deployed models, the engine's books: 2); the recurring
        # bills, which the weekly and monthly spending and the budgets' risk all read, come from the
        # coaching cache (read on the first view, forgotten when the books change)
        with django_assert_num_queries(22):
            response = client.get(PAGE)
        assert len(response.context["goals"]) == size
        assert len(response.context["in_progress"]) == 1
