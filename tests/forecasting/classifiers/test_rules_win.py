"""A user's rule wins over the categoriser: it sets the category before the model sees the
row, and scoring never replaces it."""

import datetime as dt
from decimal import Decimal

import pytest

from finance.models import Transaction
from finance.services.rules import category_rule_create, category_rules_apply
from finance.services.transactions import transaction_create
from forecasting.classifiers.scoring import transactions_score_ids
from forecasting.training.jobs import training_job_create, training_job_run


@pytest.mark.django_db
def test_a_rule_sets_the_category_and_the_categoriser_leaves_it(workspace, history, categories, member):
    # Given a deployed categoriser that files Shell under Fuel, and a rule "merchant contains shell → Dining"
    job = training_job_run(job_id=training_job_create(workspace=workspace, target="categorizer", enqueue=False).pk)
    assert (job.status, job.deployed) == ("succeeded", True)
    category_rule_create(workspace=workspace, user=member, pattern="shell", category=categories["Dining"])
    # When two Shell expenses are written, one matching the rule's merchant, one only in its description
    ruled = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("50.00"),
                               date=dt.date(2025, 4, 1), description="SHELL OIL 57442", merchant="Shell")
    modelled = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("50.00"),
                                  date=dt.date(2025, 4, 1), description="SHELL OIL 57442", merchant="")
    report = transactions_score_ids(workspace_id=workspace.pk, ids=[ruled.pk, modelled.pk])
    # Then the rule's row keeps the rule's category; the other gets the model's suggestion
    assert report.suggested == 1
    ruled.refresh_from_db()
    modelled.refresh_from_db()
    assert (ruled.category.name, ruled.category_source, ruled.category_confidence) == ("Dining", "rule", None)
    assert (modelled.category.name, modelled.category_source) == ("Fuel", "model")
    # And a second pass of scoring (a backlog sweep) still leaves the rule's category alone
    transactions_score_ids(workspace_id=workspace.pk, ids=[ruled.pk])
    assert Transaction.objects.values_list("category__name", "category_source").get(pk=ruled.pk) == ("Dining", "rule")
    # And applying the rules to the books changes nothing more: the model's row does not match
    assert category_rules_apply(workspace=workspace) == 0
