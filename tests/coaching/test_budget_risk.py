"""Budget risk for every budget (the forecasting engine where no model is deployed), with
recurring bills counted by the one rule — a paid monthly bill does not raise the overrun
risk — and the proactive budget alerts (one per budget per month)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coaching.services.budget_risk import (
    budget_alert_target,
    budget_alerts_raise,
    budget_alerts_sweep,
    budget_risks_all,
)
from coaching.tasks import budget_alerts_task
from finance.months import add_months, month_start
from forecasting.monitoring.alerts import alert_acknowledge
from forecasting.monitoring.models import Alert
from forecasting.training.schedules import declared_schedules
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 10)  # 20 of June's 30 days are left


def rent(workspace, *, day: int, through_this_month: bool, amount: str = "1200.00"):
    """Rent paid on ``day`` of each of the twelve months up to this one (this one included
    or not), and a 1,300 budget for it."""
    category = f.CategoryFactory(workspace=workspace, name="Rent")
    last = 0 if through_this_month else 1
    for back in range(last, last + 12):
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal(amount), merchant="Landlord",
                             description="RENT", date=add_months(month_start(TODAY), -back).replace(day=day))
    return f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("1300.00"),
                           start_date=dt.date(2024, 1, 1))


BISTROS = ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel", "Ironwood", "Juniper", "Larch",
           "Maple", "Oak")


def dining(workspace, *, this_month: str):
    """Dining of 300 on the 5th of each of the last twelve months, ``this_month`` so far
    (each at another restaurant: no recurring bill), a 250 budget."""
    category = f.CategoryFactory(workspace=workspace, name="Dining")
    for back in range(1, 13):
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal("300.00"), merchant=BISTROS[back],
                             date=add_months(month_start(TODAY), -back).replace(day=5))
    f.TransactionFactory(workspace=workspace, category=category, amount=Decimal(this_month), merchant="Bistro",
                         date=TODAY)
    return f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("250.00"),
                           start_date=dt.date(2024, 1, 1))


class TestEngineRisk:
    def test_a_paid_monthly_bill_does_not_raise_the_overrun_risk(self, workspace):
        # given rent of 1,200 paid on the 1st, this month too, and no deployed model: the
        # engine forecasts 1,200 for June, of which 20/30 would still be to come
        budget = rent(workspace, day=1, through_this_month=True)
        # when
        _, risks = budget_risks_all(workspace=workspace, today=TODAY)
        # then the paid rent is not projected again: 1,200 by month end, no chance of
        # passing 1,300 (without the rule: 1,200 + 800 = 2,000, certain)
        risk = risks[budget.pk]
        assert (risk.source, risk.model, risk.projected, risk.probability, risk.bills_paid, risk.bills_due) == (
            "engine", None, Decimal("1200.00"), 0.0, Decimal("1200.00"), Decimal("0.00"))

    def test_a_bill_still_due_is_counted_in_full(self, workspace):
        # given rent paid on the 15th, June's not yet
        budget = rent(workspace, day=15, through_this_month=False)
        _, risks = budget_risks_all(workspace=workspace, today=TODAY)
        risk = risks[budget.pk]
        assert (risk.projected, risk.probability, risk.bills_paid, risk.bills_due) == (
            Decimal("1200.00"), 0.0, Decimal("0.00"), Decimal("1200.00"))

    def test_variable_spending_is_projected_for_the_days_left(self, workspace):
        # given dining of 300 a month (no bill: a different restaurant each time) and 100
        # spent so far: 100 + 300 × 20/30 = 300 against 250
        budget = dining(workspace, this_month="100.00")
        _, risks = budget_risks_all(workspace=workspace, today=TODAY)
        risk = risks[budget.pk]
        assert (risk.source, risk.projected, risk.probability, risk.level) == (
            "engine", Decimal("300.00"), 1.0, "high")

    def test_a_budget_without_history_has_no_risk(self, workspace):
        category = f.CategoryFactory(workspace=workspace, name="New")
        budget = f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("100"),
                                 start_date=dt.date(2024, 1, 1))
        uses, risks = budget_risks_all(workspace=workspace, today=TODAY)
        assert ([u.budget.pk for u in uses], risks) == ([budget.pk], {})

    def test_the_endpoint_answers_from_the_engine(self, workspace, member, client_for):
        # given the rent paid on the 1st of each month up to this one (today's month)
        category = f.CategoryFactory(workspace=workspace, name="Rent")
        start = month_start(timezone.localdate())
        for back in range(12):
            f.TransactionFactory(workspace=workspace, category=category, amount=Decimal("1200.00"),
                                 merchant="Landlord", date=add_months(start, -back))
        budget = f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("1300.00"),
                                 start_date=add_months(start, -12))
        body = client_for(member).get("/api/v1/coaching/budget-risk/", {"workspace": workspace.pk}).json()
        assert body["budgets"] == [{
            "budget": budget.pk, "category": category.pk, "name": "Rent", "limit": "1300.00", "spent": "1200.00",
            "unconfirmed_count": 0, "unconfirmed_amount": "0.00", "projected": "1200.00", "probability": 0.0,
            "level": "low", "source": "engine", "bills_paid": "1200.00", "bills_due": "0.00",
        }]


class TestAlerts:
    def test_one_alert_per_budget_per_month(self, workspace, owner):
        # given dining certain to go over and the paid rent safe
        over = dining(workspace, this_month="100.00")
        rent(workspace, day=1, through_this_month=True)
        # when the daily run happens twice, the alert is acknowledged, and once more
        first = budget_alerts_raise(workspace=workspace, today=TODAY)
        again = budget_alerts_raise(workspace=workspace, today=TODAY)
        alert_acknowledge(alert=first.raised[0], user=owner)
        after_ack = budget_alerts_raise(workspace=workspace, today=TODAY + dt.timedelta(days=1))
        # then one alert for June, naming the budget and the month
        [alert] = first.raised
        assert (alert.kind, alert.severity, alert.target) == ("budget", "warning", f"budget:{over.pk}:2025-06")
        assert alert.message == ("Dining: 100% chance of going over its $250 budget by 30 June ($100 spent so far, "
                                 "$300 expected by month end).")
        assert (alert.data["probability"], alert.data["source"], alert.data["projected"]) == (1.0, "engine", "300.00")
        assert (again.raised, again.at_risk, after_ack.raised) == ([], 1, [])
        assert Alert.objects.filter(kind="budget").count() == 1

    def test_a_new_month_alerts_again(self, workspace):
        over = dining(workspace, this_month="100.00")
        budget_alerts_raise(workspace=workspace, today=TODAY)
        f.TransactionFactory(workspace=workspace, category=over.category, amount=Decimal("240.00"),
                             merchant="Rowan", date=dt.date(2025, 7, 3))
        july = budget_alerts_raise(workspace=workspace, today=dt.date(2025, 7, 3))
        assert [a.target for a in july.raised] == [budget_alert_target(budget_id=over.pk, today=dt.date(2025, 7, 3))]
        assert july.raised[0].target.endswith(":2025-07")

    def test_the_sweep_and_its_task(self, workspace, other_workspace):
        dining(workspace, this_month="100.00")
        rent(other_workspace, day=1, through_this_month=True)
        assert budget_alerts_sweep(today=TODAY) == {"workspaces": 2, "raised": 1, "at_risk": 1}
        assert budget_alerts_sweep(today=TODAY) == {"workspaces": 2, "raised": 0, "at_risk": 1}
        # today (long after these books) nothing is spent and nothing expected
        assert budget_alerts_task.apply().get() == {"workspaces": 2, "raised": 0, "at_risk": 0}

    def test_scheduled_daily(self):
        [schedule] = [s for s in declared_schedules() if s.task == "coaching.tasks.budget_alerts_task"]
        assert (schedule.name, schedule.minute, schedule.hour) == ("coaching: daily budget overrun alerts", "20", "7")
