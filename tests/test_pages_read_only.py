"""Pages read, they do not write: every page of the product (end users' and staff's) is
rendered with the query log on, over a workspace where every panel has something to show
(deployed forecasters, suggestions, stock, a stock plan, segments and recommendations),
and no GET may insert, update or delete a row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coaching.services.segments import segments_refresh
from forecasting.inventory.services import stock_plan_create
from forecasting.registry.models import ModelVersion
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.coaching.test_api_coaching import books

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def deployed(workspace, target: str) -> ModelVersion:
    """A deployed monthly model whose last month is the last complete one."""
    version = f.fitted_version(workspace=workspace, target=target, status="deployed", values=[100.0 + i for i in range(24)])
    today = timezone.localdate()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    ModelVersion.objects.filter(pk=version.pk).update(training_end=last)
    return version


@pytest.fixture
def everything(workspace, member):
    """A workspace in which every page and panel has something to show."""
    today = timezone.localdate()
    books(workspace, size=2)
    category = f.CategoryFactory(workspace=workspace, name="Supplies")
    f.TransactionFactory(workspace=workspace, category=category, category_source="model", category_confidence=0.7,
                         date=today)
    warehouse = f.WarehouseFactory(workspace=workspace, code="N")
    product = f.ProductFactory(workspace=workspace, sku="FLOUR", unit_cost=Decimal("2.00"))
    f.StockLevelFactory(workspace=workspace, product=product, warehouse=warehouse, quantity=3)
    for days in range(1, 20):
        f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse, date=today - dt.timedelta(days=days),
                      quantity=2)
    for target in ("revenue", "expense", "inventory", f"inventory:product={product.pk}"):
        deployed(workspace, target)
    stock_plan_create(workspace=workspace, budget=Decimal("100"), service_level=Decimal("0.95"), user=member)
    TrainingJob.objects.create(workspace=workspace, target="expense")
    segments_refresh()
    transaction = workspace.transactions.order_by("pk").first()
    version = ModelVersion.objects.filter(workspace=workspace, target="revenue").first()
    return {"transaction": transaction, "version": version}


def writes_during(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, [q["sql"] for q in queries.captured_queries
                                  if q["sql"].lstrip().upper().startswith(WRITES)]


def test_no_end_user_page_writes_while_rendering(everything, member):
    # Given a member signed in, who has opened the overview once (the session settles)
    client = Client()
    client.force_login(member)
    client.get(reverse("finance:overview"))
    pk = everything["transaction"].pk
    pages = [
        reverse("finance:overview"), reverse("finance:overview") + "?months=24",
        reverse("finance:transactions"), reverse("finance:transactions") + "?q=Dining",
        reverse("finance:transaction-create"), reverse("finance:transaction-import"),
        reverse("finance:transaction-edit", args=[pk]), reverse("finance:transaction-delete", args=[pk]),
        reverse("finance:inventory"), reverse("forecasting:models"), reverse("coaching:page"),
    ]
    # When each page is rendered
    seen = {url: writes_during(client, url) for url in pages}
    # Then each answered 200 and wrote nothing
    assert seen == {url: (200, []) for url in pages}


def test_no_staff_page_writes_while_rendering(everything, workspace):
    # Given staff signed in to admin
    staff = f.UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    client.get(reverse("admin:index"))
    version = everything["version"]
    pages = [
        reverse("admin:index"),
        reverse("admin:forecasting_modelversion_changelist"),
        reverse("admin:forecasting_modelversion_change", args=[version.pk]),
        reverse("admin:forecasting_modelversion_inspect", args=[version.pk]),
        reverse("admin:forecasting_trainingjob_changelist"),
        reverse("admin:forecasting_deployment_changelist"),
        reverse("admin:finance_transaction_changelist"),
    ]
    # When each page is rendered
    seen = {url: writes_during(client, url) for url in pages}
    # Then each answered 200 and wrote nothing
    assert seen == {url: (200, []) for url in pages}


def test_the_login_page_writes_nothing_for_a_visitor(db):
    status, writes = writes_during(Client(), reverse("finance:login"))
    assert (status, writes) == (200, [])
