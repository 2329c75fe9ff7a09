"""The classifiers through the API: POST /api/v1/ml/categorize/, suggestions and scores
in /api/v1/transactions/, and corrections, acceptances and fraud labels through
POST /api/v1/ml/feedback/."""

import datetime as dt
from decimal import Decimal

import pytest

from finance.models import Transaction
from forecasting.serving.models import Feedback, Prediction
from forecasting.training.jobs import training_job_create, training_job_run
from tests import factories as f

URL = "/api/v1/ml/categorize/"


@pytest.fixture
def trained(workspace, history):
    for target in ("categorizer", "anomaly"):
        job = training_job_create(workspace=workspace, target=target, enqueue=False)
        assert training_job_run(job_id=job.pk).status == "succeeded"
    return workspace


@pytest.mark.django_db
class TestCategorizeApi:
    def test_one_description(self, trained, member, client_for, categories):
        response = client_for(member).post(URL, {"workspace": trained.pk, "description": "SHELL OIL 12904"},
                                           format="json")
        assert response.status_code == 200
        body = response.json()
        [result] = body["results"]
        assert (result["description"], result["category"], result["category_name"], result["source"]) == (
            "SHELL OIL 12904", categories["Fuel"].pk, "Fuel", "model")
        assert 0.5 < result["confidence"] <= 1
        assert (body["model"]["algorithm"], body["model"]["version"]) == ("tfidf_logreg_memory", 1)
        assert Prediction.objects.get().target == "categorizer"

    def test_a_batch_of_descriptions_and_of_transactions(self, trained, viewer, client_for, categories):
        client = client_for(viewer)  # reading suggestions is open to every member
        strings = client.post(URL, {"workspace": trained.pk,
                                    "descriptions": ["STARBUCKS STORE 777", "TRADER JOE S #052"]}, format="json")
        objects = client.post(URL, {"workspace": trained.pk, "transactions": [
            {"description": "ACME CORP PAYROLL DIR DEP", "kind": "revenue", "amount": "3850.00"},
            {"merchant": "Chevron", "kind": "expense", "date": "2025-04-01"},
        ]}, format="json")
        assert strings.status_code == objects.status_code == 200
        assert [r["category_name"] for r in strings.json()["results"]] == ["Coffee", "Groceries"]
        assert [r["category_name"] for r in objects.json()["results"]] == ["Salary", "Fuel"]

    def test_cold_start_answers_without_suggestions(self, workspace, member, client_for, settings):
        settings.MIN_TRANSACTIONS_FOR_TRAINING = 50
        response = client_for(member).post(URL, {"workspace": workspace.pk, "description": "SHELL OIL 1"},
                                           format="json")
        assert response.status_code == 200
        assert response.json() == {
            "workspace": workspace.pk, "model": None,
            "detail": "Cold start: 0 of 50 categorised transactions needed.",
            "results": [{"description": "SHELL OIL 1", "category": None, "category_name": None, "confidence": None,
                         "source": None, "alternatives": []}],
        }
        assert Prediction.objects.count() == 0

    def test_another_workspace_is_404(self, trained, outsider, client_for):
        response = client_for(outsider).post(URL, {"workspace": trained.pk, "description": "SHELL OIL 1"},
                                             format="json")
        assert response.status_code == 404
        assert Prediction.objects.count() == 0

    def test_anonymous_is_refused(self, trained, api_client):
        assert api_client.post(URL, {"workspace": trained.pk, "description": "x"}, format="json").status_code in (
            401, 403)

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({}, "non_field_errors", "Give exactly one of description (one transaction), descriptions (a list of "
                                     "strings) or transactions (a list of objects)."),
            ({"description": "a", "descriptions": ["b"]}, "non_field_errors",
             "Give exactly one of description (one transaction), descriptions (a list of strings) or transactions "
             "(a list of objects); got description, descriptions."),
            ({"descriptions": []}, "descriptions", "Ensure this field has at least 1 elements."),
            ({"descriptions": ["x"] * 1001}, "descriptions", "Ensure this field has no more than 1000 elements."),
            ({"transactions": [{"amount": "5"}]}, "transactions", None),
            ({"description": "x", "kind": "gift"}, "kind", '"gift" is not a valid choice.'),
            ({"description": "x", "amount": "lots"}, "amount", "A valid number is required."),
            ({"description": "x" * 256}, "description", "Ensure this field has no more than 255 characters."),
        ],
    )
    def test_bad_input_is_400_with_a_message(self, body, field, message, trained, member, client_for):
        response = client_for(member).post(URL, {"workspace": trained.pk} | body, format="json")
        assert response.status_code == 400
        errors = response.json()
        assert field in errors
        if message is not None:
            assert errors[field] == [message]
        assert Prediction.objects.count() == 0

    def test_a_missing_workspace_is_400(self, member, client_for):
        response = client_for(member).post(URL, {"description": "x"}, format="json")
        assert (response.status_code, response.json()) == (400, {"workspace": ["This field is required."]})


@pytest.mark.django_db
class TestTransactionApi:
    def test_suggestions_and_scores_are_in_the_transaction_api(self, trained, member, client_for, categories,
                                                               django_capture_on_commit_callbacks):
        client = client_for(member)
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post("/api/v1/transactions/", {
                "workspace": trained.pk, "kind": "expense", "amount": "6.80", "date": "2025-03-20",
                "description": "STARBUCKS STORE 11734", "merchant": "Starbucks",
            }, format="json")
        assert created.status_code == 201
        body = client.get(f"/api/v1/transactions/{created.json()['id']}/").json()
        assert (body["category"], body["category_source"], body["is_flagged"]) == (
            categories["Coffee"].pk, "model", False)
        assert 0.5 < body["category_confidence"] <= 1
        assert 0 < body["anomaly_score"] < 1
        assert body["fraud_score"] is None  # no fraud detector deployed
        flagged = client.get("/api/v1/transactions/", {"workspace": trained.pk, "is_flagged": "true"}).json()
        assert flagged["count"] == Transaction.objects.filter(workspace=trained, is_flagged=True).count()


@pytest.mark.django_db
class TestFeedbackApi:
    def suggested(self, workspace):
        return f.TransactionFactory(workspace=workspace, description="SHELL OIL 12904", merchant="Shell",
                                    amount=Decimal("51.00"), date=dt.date(2025, 3, 20), category_source="model",
                                    category=workspace.categories.get(name="Fuel"), category_confidence=0.97)

    def test_a_correction_through_the_feedback_api(self, trained, member, client_for, categories):
        txn = self.suggested(trained)
        response = client_for(member).post("/api/v1/ml/feedback/", {
            "workspace": trained.pk, "kind": "correction", "transaction": txn.pk, "actual": categories["Dining"].pk,
        }, format="json")
        assert response.status_code == 201
        txn.refresh_from_db()
        assert (txn.category, txn.category_source) == (categories["Dining"], "user")
        feedback = Feedback.objects.get()
        assert (feedback.predicted, feedback.actual, feedback.is_correct, feedback.user) == (
            categories["Fuel"].pk, categories["Dining"].pk, False, member)

    def test_an_acceptance_through_the_feedback_api(self, trained, member, client_for, categories):
        txn = self.suggested(trained)
        response = client_for(member).post("/api/v1/ml/feedback/", {
            "workspace": trained.pk, "kind": "acceptance", "transaction": txn.pk}, format="json")
        assert response.status_code == 201
        assert response.json()["is_correct"] is True
        txn.refresh_from_db()
        assert txn.category_source == "user"

    def test_a_fraud_label_through_the_feedback_api(self, trained, member, client_for):
        txn = self.suggested(trained)
        response = client_for(member).post("/api/v1/ml/feedback/", {
            "workspace": trained.pk, "kind": "fraud_label", "transaction": txn.pk, "actual": True}, format="json")
        assert response.status_code == 201
        txn.refresh_from_db()
        assert txn.is_flagged is True

    @pytest.mark.parametrize(
        ("kind", "actual", "field", "message"),
        [
            ("correction", "Dining", "actual", "A correction's actual value is the id of the right category."),
            ("correction", 999999, "actual", "Category 999999 is not a category of this workspace."),
            ("fraud_label", "yes", "actual", "A fraud label is true (fraud) or false (legitimate)."),
            ("acceptance", None, "transaction", "Accepting a suggestion names the transaction."),
        ],
    )
    def test_bad_feedback_changes_nothing(self, kind, actual, field, message, trained, member, client_for,
                                          categories):
        txn = self.suggested(trained)
        body = {"workspace": trained.pk, "kind": kind, "transaction": txn.pk}
        if actual is not None:
            body["actual"] = actual
        if kind == "acceptance":
            body.pop("transaction")
            body["model_version"] = trained.model_versions.first().pk
        response = client_for(member).post("/api/v1/ml/feedback/", body, format="json")
        assert (response.status_code, response.json()[field]) == (400, [message])
        txn.refresh_from_db()
        assert (txn.category, txn.category_source, txn.is_flagged) == (categories["Fuel"], "model", False)
        assert Feedback.objects.count() == 0

    def test_a_category_of_the_wrong_kind_is_refused(self, trained, member, client_for, categories):
        txn = self.suggested(trained)
        response = client_for(member).post("/api/v1/ml/feedback/", {
            "workspace": trained.pk, "kind": "correction", "transaction": txn.pk, "actual": categories["Salary"].pk,
        }, format="json")
        assert (response.status_code, response.json()) == (
            400, {"non_field_errors": ["“Salary” is a revenue category; this transaction is expense."]})
        assert Feedback.objects.count() == 0
