"""Every CRUD endpoint of /api/v1/: scoping, roles and bad input, one uniform suite.

Each ``Endpoint`` names a route, how to make a row in a workspace, a valid create payload
and a valid update. The same tests then run over all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models

from coaching.models import BehavioralEvent
from finance.models import (
    Account,
    Budget,
    Category,
    Goal,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Warehouse,
)
from finance.purchasing.models import PurchaseOrder
from tests import factories as f


@dataclass(frozen=True)
class Endpoint:
    route: str
    model: type[models.Model]
    make: Callable[[Any], models.Model]  # workspace -> row
    payload: Callable[[Any], dict]  # workspace -> valid create body
    update: dict
    bad: dict  # a body with wrong types/values

    def __str__(self) -> str:
        return self.route


def _category(ws, kind=Category.Kind.EXPENSE):
    return f.CategoryFactory(workspace=ws, kind=kind)


ENDPOINTS = [
    Endpoint(
        "categories", Category, lambda ws: f.CategoryFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "name": "Rent", "kind": "expense"},
        {"name": "Office rent"}, {"kind": "salary", "color": "blue"},
    ),
    Endpoint(
        "transactions", Transaction, lambda ws: f.TransactionFactory(workspace=ws),
        lambda ws: {
            "workspace": ws.pk, "kind": "expense", "amount": "19.99", "date": "2025-04-01",
            "description": "COSTCO WHSE #0113", "category": _category(ws).pk,
        },
        {"amount": "21.00"}, {"amount": "-5", "date": "2025-13-45", "kind": "gift"},
    ),
    Endpoint(
        "budgets", Budget, lambda ws: f.BudgetFactory(workspace=ws),
        lambda ws: {
            "workspace": ws.pk, "category": _category(ws).pk, "amount": "300.00",
            "period": "monthly", "start_date": "2025-01-01",
        },
        {"amount": "350.00"}, {"amount": "lots", "period": "daily", "start_date": "yesterday"},
    ),
    Endpoint(
        "goals", Goal, lambda ws: f.GoalFactory(workspace=ws),
        lambda ws: {
            "workspace": ws.pk, "name": "Emergency fund", "target_amount": "3000.00",
            "saved_amount": "100.00", "deadline": "2099-06-30",
        },
        {"saved_amount": "200.00"}, {"target_amount": "-1", "saved_amount": "x", "deadline": "soon"},
    ),
    Endpoint(
        "suppliers", Supplier, lambda ws: f.SupplierFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "name": "Flour Mills", "lead_time_mean_days": "5.00",
                    "lead_time_std_days": "1.50"},
        {"lead_time_mean_days": "6.00"}, {"lead_time_mean_days": "-3", "email": "not-an-email"},
    ),
    Endpoint(
        "products", Product, lambda ws: f.ProductFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "sku": "BRD-01", "name": "Sourdough", "unit_cost": "1.20",
                    "unit_price": "4.50"},
        {"unit_price": "4.75"}, {"unit_cost": "-1.00", "unit_price": "cheap"},
    ),
    Endpoint(
        "warehouses", Warehouse, lambda ws: f.WarehouseFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "code": "NORTH", "name": "North depot"},
        {"location": "Leeds"}, {"code": "", "name": ""},
    ),
    Endpoint(
        "stock-levels", StockLevel, lambda ws: f.StockLevelFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "product": f.ProductFactory(workspace=ws).pk,
                    "warehouse": f.WarehouseFactory(workspace=ws).pk, "quantity": 12},
        {"quantity": 15}, {"quantity": -4},
    ),
    Endpoint(
        "sales", Sale, lambda ws: f.SaleFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "product": f.ProductFactory(workspace=ws).pk,
                    "warehouse": f.WarehouseFactory(workspace=ws).pk, "date": "2025-05-02",
                    "quantity": 2},
        {"quantity": 4}, {"quantity": 0, "date": "02/05/2025"},
    ),
    Endpoint(
        "purchase-orders", PurchaseOrder, lambda ws: f.PurchaseOrderFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "product": f.ProductFactory(workspace=ws).pk,
                    "supplier": f.SupplierFactory(workspace=ws).pk, "warehouse": f.WarehouseFactory(workspace=ws).pk,
                    "quantity_ordered": 24, "ordered_on": "2025-05-02", "expected_on": "2025-05-09"},
        {"quantity_ordered": 30}, {"quantity_ordered": 0, "ordered_on": "02/05/2025"},
    ),
    Endpoint(
        "accounts", Account, lambda ws: f.AccountFactory(workspace=ws),
        lambda ws: {"workspace": ws.pk, "name": "Visa card", "kind": "card", "opening_balance": "-120.50"},
        {"name": "Visa"}, {"kind": "gold", "currency": "XYZ", "opening_balance": "lots"},
    ),
]
IDS = [e.route for e in ENDPOINTS]


def url(endpoint: Endpoint, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint.route}/" + (f"{pk}/" if pk is not None else "")


def snapshot(model: type[models.Model]) -> list[dict]:
    return list(model.objects.order_by("pk").values())


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
class TestEveryEndpoint:
    def test_list_shows_only_own_workspace_rows(self, endpoint, workspace, other_workspace, member, client_for):
        # given a row in my workspace and one in another
        mine = endpoint.make(workspace)
        endpoint.make(other_workspace)
        # when I list
        response = client_for(member).get(url(endpoint))
        # then I see exactly my row
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [mine.pk]
        assert response.json()["count"] == 1

    def test_filtering_by_another_workspace_shows_nothing(self, endpoint, workspace, other_workspace, member, client_for):
        endpoint.make(other_workspace)
        response = client_for(member).get(url(endpoint), {"workspace": other_workspace.pk})
        assert response.status_code == 200
        assert response.json()["results"] == []

    @pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
    def test_another_workspace_object_is_404_and_untouched(self, endpoint, method, other_workspace, member, client_for):
        # given a row of another workspace
        theirs = endpoint.make(other_workspace)
        before = snapshot(endpoint.model)
        # when I address it by id
        response = getattr(client_for(member), method)(url(endpoint, theirs.pk), endpoint.update, format="json")
        # then it does not exist for me and nothing changed
        assert response.status_code == 404
        assert snapshot(endpoint.model) == before

    def test_member_creates_a_row(self, endpoint, workspace, member, client_for):
        payload = endpoint.payload(workspace)
        count = endpoint.model.objects.count()
        response = client_for(member).post(url(endpoint), payload, format="json")
        assert response.status_code == 201, response.json()
        assert endpoint.model.objects.count() == count + 1
        assert endpoint.model.objects.get(pk=response.json()["id"]).workspace_id == workspace.pk

    def test_member_updates_and_deletes_a_row(self, endpoint, workspace, member, client_for):
        row = endpoint.make(workspace)
        client = client_for(member)
        response = client.patch(url(endpoint, row.pk), endpoint.update, format="json")
        assert response.status_code == 200, response.json()
        field, value = next(iter(endpoint.update.items()))
        assert response.json()[field] == value
        assert client.delete(url(endpoint, row.pk)).status_code == 204
        assert not endpoint.model.objects.filter(pk=row.pk).exists()

    def test_viewer_cannot_write(self, endpoint, workspace, viewer, client_for):
        # given a row in the workspace where I am a viewer
        row = endpoint.make(workspace)
        payload = endpoint.payload(workspace)
        before = snapshot(endpoint.model)
        client = client_for(viewer)
        # when I try to create, change or delete, then I am refused and nothing changes
        assert client.post(url(endpoint), payload, format="json").status_code == 403
        assert client.patch(url(endpoint, row.pk), endpoint.update, format="json").status_code == 403
        assert client.delete(url(endpoint, row.pk)).status_code == 403
        assert snapshot(endpoint.model) == before
        # but I can read
        assert client.get(url(endpoint, row.pk)).status_code == 200

    def test_creating_in_another_workspace_is_400(self, endpoint, workspace, other_workspace, member, client_for):
        payload = endpoint.payload(workspace) | {"workspace": other_workspace.pk}
        before = snapshot(endpoint.model)
        response = client_for(member).post(url(endpoint), payload, format="json")
        assert response.status_code == 400
        assert "workspace" in response.json()
        assert snapshot(endpoint.model) == before

    def test_malformed_input_is_400_with_messages(self, endpoint, workspace, member, client_for):
        payload = endpoint.payload(workspace) | endpoint.bad
        before = snapshot(endpoint.model)
        response = client_for(member).post(url(endpoint), payload, format="json")
        assert response.status_code == 400
        assert set(endpoint.bad) <= set(response.json()), response.json()
        assert snapshot(endpoint.model) == before

    def test_anonymous_is_401(self, endpoint, workspace, api_client):
        endpoint.make(workspace)
        assert api_client.get(url(endpoint)).status_code == 401

    def test_workspace_cannot_be_moved(self, endpoint, workspace, other_workspace, member, client_for):
        f.MembershipFactory(workspace=other_workspace, user=member, role=Membership.Role.OWNER)
        row = endpoint.make(workspace)
        response = client_for(member).patch(url(endpoint, row.pk), {"workspace": other_workspace.pk}, format="json")
        assert response.status_code == 200
        row.refresh_from_db()
        assert row.workspace_id == workspace.pk


RELATED_FIELDS = [
    ("transactions", "category", lambda ws: _category(ws).pk),
    ("budgets", "category", lambda ws: _category(ws).pk),
    ("products", "supplier", lambda ws: f.SupplierFactory(workspace=ws).pk),
    ("stock-levels", "product", lambda ws: f.ProductFactory(workspace=ws).pk),
    ("stock-levels", "warehouse", lambda ws: f.WarehouseFactory(workspace=ws).pk),
    ("sales", "product", lambda ws: f.ProductFactory(workspace=ws).pk),
    ("sales", "warehouse", lambda ws: f.WarehouseFactory(workspace=ws).pk),
    ("purchase-orders", "product", lambda ws: f.ProductFactory(workspace=ws).pk),
    ("purchase-orders", "supplier", lambda ws: f.SupplierFactory(workspace=ws).pk),
    ("purchase-orders", "warehouse", lambda ws: f.WarehouseFactory(workspace=ws).pk),
    ("transactions", "account", lambda ws: f.AccountFactory(workspace=ws).pk),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "field", "make_related"), RELATED_FIELDS)
class TestRelatedRowsOfAnotherWorkspace:
    def test_unknown_related_row_of_another_workspace_is_400(
        self, route, field, make_related, workspace, other_workspace, member, client_for
    ):
        # given a valid payload pointing at a related row of a workspace I am not in
        endpoint = next(e for e in ENDPOINTS if e.route == route)
        payload = endpoint.payload(workspace) | {field: make_related(other_workspace)}
        before = snapshot(endpoint.model)
        # when I create
        response = client_for(member).post(url(endpoint), payload, format="json")
        # then it is refused, naming the field, and nothing is written
        assert response.status_code == 400
        assert field in response.json()
        assert snapshot(endpoint.model) == before

    def test_related_row_of_my_other_workspace_is_400(
        self, route, field, make_related, workspace, other_workspace, member, client_for
    ):
        # given I belong to both workspaces, a row of one cannot point into the other
        f.MembershipFactory(workspace=other_workspace, user=member, role=Membership.Role.MEMBER)
        endpoint = next(e for e in ENDPOINTS if e.route == route)
        payload = endpoint.payload(workspace) | {field: make_related(other_workspace)}
        before = snapshot(endpoint.model)
        response = client_for(member).post(url(endpoint), payload, format="json")
        assert response.status_code == 400
        assert response.json()[field] == [
            f"{endpoint.model._meta.get_field(field).related_model._meta.verbose_name.capitalize()} "
            f"{payload[field]} belongs to another workspace."
        ]
        assert snapshot(endpoint.model) == before


def test_events_model_is_covered_separately():
    """Behavioural events have their own rules (viewers record their own): test_events.py."""
    assert BehavioralEvent._meta.get_field("workspace")


@pytest.mark.parametrize("path", ["/api/v1/transactions/", "/api/v1/budgets/", "/api/v1/stock-levels/"])
def test_the_browsable_apis_filter_dialog_lists_only_my_workspaces_and_rows(path, workspace, other_workspace,
                                                                             member, client_for):
    # given another workspace with a name, a category and a product of its own
    other_workspace.name = "Theirs Unlisted Ltd"
    other_workspace.save()
    f.CategoryFactory(workspace=other_workspace, name="Their secret category")
    f.ProductFactory(workspace=other_workspace, name="Their secret product")
    f.CategoryFactory(workspace=workspace, name="My own category")
    # when I open the browsable API (its filter dialog lists the choices of each filter)
    response = client_for(member).get(path, {"format": "api"}, HTTP_ACCEPT="text/html")
    body = response.content.decode()
    # then nothing of the other workspace is offered, mine is
    assert response.status_code == 200
    assert "Theirs Unlisted Ltd" not in body
    assert "Their secret category" not in body
    assert "Their secret product" not in body
    assert workspace.name in body
