"""The Review page: flagged and uncertain rows with their reasons, the answers that write
the feedback the models learn from, accept-all-above, and the rule offered after the same
correction three times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from finance.models import CategoryRule, Transaction
from forecasting.classifiers.feedback import (
    transaction_category_correct,
    transaction_suggestions_accept_above,
)
from forecasting.classifiers.loading import ClassificationError
from forecasting.classifiers.review import category_rule_suggestion_list, review_queue_get
from forecasting.serving.models import Feedback
from tests import factories as f

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def books(workspace, settings):
    """A $98,000 wire flagged for fraud, a row flagged as an anomaly, a suggestion at 20 %,
    one at 95 %, and ordinary rows."""
    settings.BUDGET_SUGGESTION_MIN_CONFIDENCE = 0.6
    fees = f.CategoryFactory(workspace=workspace, name="Bank fees", kind="expense")
    rent = f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
    wire = f.TransactionFactory(workspace=workspace, description="WIRE OUT 4471", amount=Decimal("98000.00"),
                                currency="USD", date=DAY, is_flagged=True, fraud_score=0.87, anomaly_score=0.74,
                                category=fees, category_source="model", category_confidence=0.2)
    odd = f.TransactionFactory(workspace=workspace, description="Cash withdrawal", amount=Decimal("900.00"),
                               date=DAY - dt.timedelta(days=1), is_flagged=True, anomaly_score=0.66)
    unsure = f.TransactionFactory(workspace=workspace, description="ACME SERVICE CHG", amount=Decimal("12.00"),
                                  date=DAY - dt.timedelta(days=2), category=fees, category_source="model",
                                  category_confidence=0.35)
    sure = f.TransactionFactory(workspace=workspace, description="Oakwood rent", amount=Decimal("2150.00"),
                                date=DAY - dt.timedelta(days=3), category=rent, category_source="model",
                                category_confidence=0.95)
    f.TransactionFactory(workspace=workspace, description="Flour", amount=Decimal("60.00"), date=DAY)
    return {"wire": wire, "odd": odd, "unsure": unsure, "sure": sure, "fees": fees, "rent": rent}


@pytest.mark.django_db
class TestQueue:
    def test_flagged_and_uncertain_rows_with_their_reasons(self, workspace, books):
        # When the review queue is read
        queue = review_queue_get(workspace=workspace)
        # Then it holds the flagged rows and the suggestion below 60 %, newest first, with reasons
        assert [(i.transaction.pk, i.flagged, i.uncertain, [str(r) for r in i.reasons]) for i in queue.items] == [
            (books["wire"].pk, True, True,
             ["Fraud probability 87\xa0%", "Anomaly score 0.74 (unusual)", "Suggested Bank fees at 20\xa0%"]),
            (books["odd"].pk, True, False, ["Anomaly score 0.66 (unusual)"]),
            (books["unsure"].pk, False, True, ["Suggested Bank fees at 35\xa0%"]),
        ]
        assert (queue.flagged_count, queue.uncertain_count, queue.min_confidence) == (2, 2, 0.6)

    def test_a_row_labelled_fraud_leaves_the_queue(self, workspace, books, member, logged_in):
        logged_in(member).post(f"/review/{books['odd'].pk}/fraud/", {"is_fraud": "true"})
        assert [i.transaction.pk for i in review_queue_get(workspace=workspace).items] == [
            books["wire"].pk, books["unsure"].pk]

    def test_other_workspaces_rows_are_not_in_it(self, workspace, other_workspace, books):
        f.TransactionFactory(workspace=other_workspace, is_flagged=True, fraud_score=0.99)
        assert review_queue_get(workspace=workspace).flagged_count == 2


@pytest.mark.django_db
class TestPage:
    def test_a_member_sees_the_queue_with_amounts_and_answers(self, books, member, logged_in):
        response = logged_in(member).get("/review/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "−98,000.00 <span class=\"muted small\">USD</span>" in page
        assert "Fraud probability 87\xa0%" in page
        assert "Suggested Bank fees at 20\xa0%" in page
        assert page.count('name="is_fraud" value="false"') == 2
        assert page.count('action="/transactions/') == 4  # accept + correct for the two uncertain rows
        assert 'action="/review/accept-above/"' in page
        assert '<a href="/review/" aria-current="page">Review</a>' in page

    def test_a_viewer_sees_it_without_answers_and_cannot_act(self, workspace, books, viewer, logged_in):
        client = logged_in(viewer)
        page = client.get("/review/").content.decode()
        assert "Fraud probability 87\xa0%" in page
        assert 'name="is_fraud"' not in page
        assert client.post(f"/review/{books['wire'].pk}/fraud/", {"is_fraud": "false"}).status_code == 403
        assert client.post("/review/accept-above/", {"min_percent": "50"}).status_code == 403
        assert Feedback.objects.count() == 0
        books["wire"].refresh_from_db()
        assert (books["wire"].is_flagged, books["wire"].category_source) == (True, "model")

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get("/review/")
        assert (response.status_code, response["Location"]) == (302, "/login/?next=/review/")

    def test_another_workspaces_row_is_a_404(self, other_workspace, books, member, logged_in):
        theirs = f.TransactionFactory(workspace=other_workspace, is_flagged=True, fraud_score=0.9)
        response = logged_in(member).post(f"/review/{theirs.pk}/fraud/", {"is_fraud": "false"})
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.is_flagged is True
        assert Feedback.objects.count() == 0

    def test_not_fraud_stores_the_label_and_unflags_the_row(self, workspace, books, member, logged_in):
        # When a member marks the wire "not fraud"
        response = logged_in(member).post(f"/review/{books['wire'].pk}/fraud/", {"is_fraud": "false"})
        # Then the label is stored for the fraud detector and the row is no longer flagged
        assert (response.status_code, response["Location"]) == (302, "/review/")
        feedback = Feedback.objects.get()
        assert (feedback.kind, feedback.target, feedback.transaction_id, feedback.actual, feedback.user) == (
            "fraud_label", "fraud", books["wire"].pk, False, member)
        books["wire"].refresh_from_db()
        assert books["wire"].is_flagged is False

    def test_a_bad_answer_is_a_400_and_nothing_is_stored(self, books, member, logged_in):
        response = logged_in(member).post(f"/review/{books['wire'].pk}/fraud/", {"is_fraud": "maybe"})
        assert response.status_code == 400
        assert "Answer “fraud” or “not fraud”." in response.content.decode()
        assert Feedback.objects.count() == 0

    def test_accept_and_correct_come_back_to_the_review_page(self, books, member, logged_in):
        client = logged_in(member)
        accepted = client.post(f"/transactions/{books['unsure'].pk}/suggestion/accept/", {"next": "/review/"})
        corrected = client.post(f"/transactions/{books['wire'].pk}/suggestion/correct/",
                                {"next": "/review/", "category": books["rent"].pk})
        assert (accepted["Location"], corrected["Location"]) == ("/review/", "/review/")
        assert sorted(Feedback.objects.values_list("kind", "transaction_id", "actual")) == sorted([
            ("acceptance", books["unsure"].pk, books["fees"].pk), ("correction", books["wire"].pk, books["rent"].pk)])

    def test_accept_all_above_a_confidence(self, books, member, logged_in):
        response = logged_in(member).post("/review/accept-above/", {"min_percent": "90"})
        assert (response.status_code, response["Location"]) == (302, "/review/")
        assert list(Feedback.objects.values_list("kind", "transaction_id")) == [("acceptance", books["sure"].pk)]
        assert dict(Transaction.objects.filter(category_source="model").values_list("pk", "category_confidence")) \
            == {books["wire"].pk: 0.2, books["unsure"].pk: 0.35}

    @pytest.mark.parametrize("value", ["0", "101", "ninety", ""])
    def test_accept_all_above_refuses_a_bad_percentage(self, books, member, logged_in, value):
        response = logged_in(member).post("/review/accept-above/", {"min_percent": value})
        assert response.status_code == 400
        assert "Accept above: enter a whole percentage from 1 to 100." in response.content.decode()
        assert Feedback.objects.count() == 0

    def test_writes_need_the_csrf_token(self, books, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(f"/review/{books['wire'].pk}/fraud/", {"is_fraud": "false"}).status_code == 403
        assert client.post("/review/accept-above/", {"min_percent": "10"}).status_code == 403
        assert Feedback.objects.count() == 0

    def test_get_is_not_allowed_on_the_answers(self, books, member, logged_in):
        client = logged_in(member)
        assert client.get(f"/review/{books['wire'].pk}/fraud/").status_code == 405
        assert client.get("/review/accept-above/").status_code == 405


@pytest.mark.django_db
class TestAcceptAboveService:
    @pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), True, "0.5"])
    def test_a_threshold_outside_0_to_1_is_refused(self, workspace, books, member, value):
        with pytest.raises(ClassificationError):
            transaction_suggestions_accept_above(workspace=workspace, min_confidence=value, user=member)
        assert Feedback.objects.count() == 0

    def test_accepts_only_the_workspaces_own(self, workspace, other_workspace, books, member):
        other = f.CategoryFactory(workspace=other_workspace, name="Fees")
        f.TransactionFactory(workspace=other_workspace, category=other, category_source="model",
                             category_confidence=0.99)
        assert transaction_suggestions_accept_above(workspace=workspace, min_confidence=0.3, user=member) == 2
        assert set(Feedback.objects.values_list("transaction_id", flat=True)) == {books["unsure"].pk, books["sure"].pk}


def corrected(workspace, category, member, *, merchant="Shell", times=3, description="SHELL OIL 5744"):
    fuel_guess = f.CategoryFactory(workspace=workspace, name=f"Guess {merchant}")
    rows = []
    for i in range(times):
        row = f.TransactionFactory(workspace=workspace, merchant=merchant, description=f"{description}{i}",
                                   category=fuel_guess, category_source="model", category_confidence=0.4)
        transaction_category_correct(transaction=row, category=category, user=member)
        rows.append(row)
    return rows


@pytest.mark.django_db
class TestRuleSuggestions:
    def test_three_corrections_of_one_merchant_offer_a_rule(self, workspace, member):
        fuel = f.CategoryFactory(workspace=workspace, name="Fuel")
        corrected(workspace, fuel, member, times=3)
        corrected(workspace, fuel, member, merchant="Chevron", times=2)
        [suggestion] = category_rule_suggestion_list(workspace=workspace)
        assert (suggestion.field, suggestion.pattern, suggestion.category, suggestion.corrections) == (
            "merchant", "Shell", fuel, 3)

    def test_without_a_merchant_the_description_is_used(self, workspace, member):
        fuel = f.CategoryFactory(workspace=workspace, name="Fuel")
        for _ in range(3):
            row = f.TransactionFactory(workspace=workspace, merchant="", description="PAYPAL *GASCO",
                                       category_source="", category=None)
            transaction_category_correct(transaction=row, category=fuel, user=member)
        [suggestion] = category_rule_suggestion_list(workspace=workspace)
        assert (suggestion.field, suggestion.pattern) == ("description", "PAYPAL *GASCO")

    def test_no_offer_once_a_rule_does_it(self, workspace, member):
        fuel = f.CategoryFactory(workspace=workspace, name="Fuel")
        corrected(workspace, fuel, member)
        CategoryRule.objects.create(workspace=workspace, field="merchant", operator="contains", pattern="shel",
                                    category=fuel)
        assert category_rule_suggestion_list(workspace=workspace) == []

    def test_the_page_offers_it_and_one_click_creates_the_rule(self, workspace, member, logged_in):
        fuel = f.CategoryFactory(workspace=workspace, name="Fuel")
        corrected(workspace, fuel, member)
        client = logged_in(member)
        page = client.get("/review/").content.decode()
        assert "Make a rule: merchant contains “Shell” → Fuel" in page
        # When the member clicks "Create rule" (the form's hidden fields)
        response = client.post("/rules/new/", {
            "field": "merchant", "operator": "contains", "pattern": "Shell", "category": fuel.pk,
            "priority": "100", "is_active": "on", "apply_existing": "on"})
        assert (response.status_code, response["Location"]) == (302, "/rules/")
        made = CategoryRule.objects.get()
        assert (made.field, made.operator, made.pattern, made.category, made.created_by) == (
            "merchant", "contains", "Shell", fuel, member)
        assert "Make a rule" not in client.get("/review/").content.decode()
