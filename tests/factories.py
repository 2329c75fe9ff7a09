"""factory_boy factories for every model of the books and coaching."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from coaching.models import BehavioralEvent
from finance.models import (
    Account,
    Budget,
    Category,
    Goal,
    Invitation,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Transfer,
    Warehouse,
    Workspace,
)
from finance.purchasing.models import PurchaseOrder, Receipt


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-1234")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")
    kind = Workspace.Kind.BUSINESS
    currency = "USD"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OWNER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    workspace = factory.SubFactory(WorkspaceFactory)
    username = factory.Sequence(lambda n: f"invitee{n}")
    role = Membership.Role.MEMBER
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    kind = Category.Kind.EXPENSE


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    workspace = factory.SubFactory(WorkspaceFactory)
    kind = Transaction.Kind.EXPENSE
    amount = Decimal("12.50")
    currency = "USD"
    date = dt.date(2025, 3, 14)
    description = factory.Sequence(lambda n: f"Purchase {n}")
    merchant = "Corner Shop"


class AccountFactory(factory.django.DjangoModelFactory):
    """An account besides the workspace's default one (which its first transaction creates)."""

    class Meta:
        model = Account

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Account {n}")
    kind = Account.Kind.BANK
    currency = factory.SelfAttribute("workspace.currency")


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transfer

    workspace = factory.SubFactory(WorkspaceFactory)
    from_account = factory.SubFactory(AccountFactory, workspace=factory.SelfAttribute("..workspace"))
    to_account = factory.SubFactory(AccountFactory, workspace=factory.SelfAttribute("..workspace"))
    amount = Decimal("100.00")
    date = dt.date(2025, 3, 15)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    workspace = factory.SubFactory(WorkspaceFactory)
    category = factory.SubFactory(CategoryFactory, workspace=factory.SelfAttribute("..workspace"))
    amount = Decimal("400.00")
    period = Budget.Period.MONTHLY
    start_date = dt.date(2025, 1, 1)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Goal {n}")
    target_amount = Decimal("5000.00")
    saved_amount = Decimal("1250.00")
    deadline = dt.date(2026, 12, 31)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Supplier {n}")
    lead_time_mean_days = Decimal("7.00")
    lead_time_std_days = Decimal("2.00")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    workspace = factory.SubFactory(WorkspaceFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_cost = Decimal("4.00")
    unit_price = Decimal("9.99")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    workspace = factory.SubFactory(WorkspaceFactory)
    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    workspace = factory.SubFactory(WorkspaceFactory)
    product = factory.SubFactory(ProductFactory, workspace=factory.SelfAttribute("..workspace"))
    warehouse = factory.SubFactory(WarehouseFactory, workspace=factory.SelfAttribute("..workspace"))
    quantity = 40


class SaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sale

    workspace = factory.SubFactory(WorkspaceFactory)
    product = factory.SubFactory(ProductFactory, workspace=factory.SelfAttribute("..workspace"))
    warehouse = factory.SubFactory(WarehouseFactory, workspace=factory.SelfAttribute("..workspace"))
    date = dt.date(2025, 3, 14)
    quantity = 3
    unit_price = Decimal("9.99")


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    """An open order; its receipts come from :class:`ReceiptFactory` rows (which do not touch
    the stock: the services do that)."""

    class Meta:
        model = PurchaseOrder

    workspace = factory.SubFactory(WorkspaceFactory)
    supplier = factory.SubFactory(SupplierFactory, workspace=factory.SelfAttribute("..workspace"))
    product = factory.SubFactory(ProductFactory, workspace=factory.SelfAttribute("..workspace"),
                                 supplier=factory.SelfAttribute("..supplier"))
    warehouse = factory.SubFactory(WarehouseFactory, workspace=factory.SelfAttribute("..workspace"))
    quantity_ordered = 20
    unit_cost = Decimal("4.00")
    ordered_on = dt.date(2025, 3, 1)
    expected_on = dt.date(2025, 3, 8)


class ReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Receipt

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    workspace = factory.SelfAttribute("purchase_order.workspace")
    received_on = dt.date(2025, 3, 8)
    quantity = 20


class BehavioralEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BehavioralEvent

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    event_type = BehavioralEvent.Type.PAGE_VIEW
    data = factory.LazyFunction(lambda: {"page": "/overview"})
    timestamp = factory.LazyFunction(timezone.now)


def fitted_version(
    *,
    workspace,
    target: str = "revenue",
    algorithm: str = "naive",
    status: str = "candidate",
    mae: float = 10.0,
    version: int | None = None,
    values: list[float] | None = None,
    frequency: str = "M",
):
    """A ModelVersion with a real fitted forecaster stored as a verified artifact: monthly
    from January 2022, or weekly (``frequency="W"``) from Monday 3 January 2022."""
    from forecasting.engine.registry import build_forecaster
    from forecasting.registry.artifacts import artifact_save
    from forecasting.registry.models import ModelVersion

    series = values or [100.0 + 5 * i + (10 if i % 12 in (10, 11) else 0) for i in range(36)]
    model = build_forecaster(algorithm, season_length=12).fit(series)
    number = version or (ModelVersion.objects.filter(workspace=workspace, target=target).count() + 1)
    artifact = artifact_save(obj=model, name=f"test/{workspace.pk}/{target}-{number}.pkl")
    if frequency == "W":
        start = dt.date(2022, 1, 3)
        end = start + dt.timedelta(weeks=len(series) - 1)
    else:
        start = dt.date(2022, 1, 1)
        end = dt.date(2022 + (len(series) - 1) // 12, (len(series) - 1) % 12 + 1, 1)
    return ModelVersion.objects.create(
        workspace=workspace, target=target, algorithm=algorithm, version=number, status=status,
        metrics={"mae": mae, "rmse": mae * 1.2}, frequency=frequency, horizon=6, training_start=start,
        training_end=end, n_observations=len(series), data_hash="d" * 64,
        training_data={"frequency": frequency, "values": series},
        artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
        deployed_at=timezone.now() if status == "deployed" else None,
    )
