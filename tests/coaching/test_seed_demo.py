"""``seed_demo``: realistic, deterministic and idempotent demo books.

The three-year default is generated once for the module (it takes seconds) and checked
by many tests; determinism and idempotency re-seed one year inside each test's
transaction, which is rolled back afterwards.
"""

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from statistics import mean

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from coaching.demo import demo_seed
from coaching.models import BehavioralEvent
from coaching.privacy import privacy_filter
from finance.demo.calendar import demo_period
from finance.demo.seed import DemoSeedError
from finance.demo.specs import BAKERY, HARDWARE, HOUSEHOLD, SLUGS, USERS
from finance.models import (
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
    Workspace,
)
from finance.purchasing.models import PurchaseOrder, Receipt
from finance.purchasing.selectors import supplier_performance
from forecasting.inventory.stockout_learning import stockout_history_read
from tests import factories as f

END = dt.date(2025, 11, 20)
START = dt.date(2022, 10, 1)  # the first of the month, three years and one month before November 2025
CLOSED_DAYS = {dt.date(y, 12, 25) for y in (2022, 2023, 2024)} | {dt.date(y, 1, 1) for y in (2023, 2024, 2025)}
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_USERNAMES = [u.username for u in USERS]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The default three years (seed 42) ending 2025-11-20, committed for this module."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        summary = demo_seed(seed=42, years=3, end_date=END)
        yield summary
        Workspace.objects.filter(is_demo=True).delete()
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


@pytest.fixture
def no_demo_data(db):
    """Hide the module's committed demo data inside this test's (rolled back) transaction."""
    Workspace.objects.filter(is_demo=True).delete()
    get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()


def _revenue_by_day(slug: str) -> dict[dt.date, Decimal]:
    totals: dict[dt.date, Decimal] = defaultdict(Decimal)
    rows = Transaction.objects.filter(workspace__slug=slug, kind=Transaction.Kind.REVENUE)
    for day, amount in rows.values_list("date", "amount"):
        totals[day] += amount
    return totals


def _fingerprint() -> str:
    """A hash of every generated row's content (not of ids or creation times)."""
    digest = hashlib.sha256()
    transactions = Transaction.objects.order_by("workspace__slug", "date", "id").values_list(
        "workspace__slug", "date", "kind", "amount", "description", "merchant", "category__name", "status",
        "category_source",
    )
    sales = Sale.objects.order_by("workspace__slug", "product__sku", "warehouse__code", "date").values_list(
        "workspace__slug", "product__sku", "warehouse__code", "date", "quantity", "unit_price"
    )
    stock = StockLevel.objects.order_by("product__sku", "warehouse__code").values_list(
        "product__sku", "warehouse__code", "quantity"
    )
    events = BehavioralEvent.objects.order_by("user__username", "timestamp", "id").values_list(
        "user__username", "workspace__slug", "event_type", "timestamp", "session_id", "data"
    )
    goals = Goal.objects.order_by("workspace__slug", "name").values_list("name", "target_amount", "saved_amount")
    budgets = Budget.objects.order_by("workspace__slug", "category__name").values_list("category__name", "amount")
    for query in (transactions, sales, stock, goals, budgets):
        for row in query:
            digest.update(repr(row).encode())
    for username, slug, event_type, timestamp, session_id, data in events:
        data = {k: v for k, v in data.items() if not k.endswith("_id")}  # ids differ between runs
        digest.update(repr((username, slug, event_type, timestamp, session_id, sorted(data.items()))).encode())
    return digest.hexdigest()


def _counts() -> dict[str, int]:
    models = (Workspace, Membership, Category, Transaction, Budget, Goal, Supplier, Product, Warehouse,
              StockLevel, Sale, BehavioralEvent, get_user_model())
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
class TestThreeYearDefault:
    def test_summary_counts_match_the_database(self, seeded):
        assert seeded.start_date == START
        assert seeded.end_date == END
        assert [w.slug for w in seeded.workspaces] == list(SLUGS)
        assert seeded.users == ("admin", "demo", "viewer", "sam.saver", "sky.spender")
        assert seeded.transactions == Transaction.objects.count()
        assert seeded.sales == Sale.objects.count()
        assert seeded.events == BehavioralEvent.objects.count()
        assert (seeded.products, seeded.warehouses, seeded.stock_levels, seeded.suppliers) == (24, 4, 48, 9)
        assert (seeded.purchase_orders, seeded.receipts) == (PurchaseOrder.objects.count(), Receipt.objects.count())
        assert (seeded.categories, seeded.budgets, seeded.goals) == (50, 22, 10)
        for ws in seeded.workspaces:
            assert ws.transactions == Transaction.objects.filter(workspace__slug=ws.slug).count()

    def test_a_year_of_purchase_orders_measures_every_supplier(self, seeded):
        # Every supplier of a product has orders and receipts over the last year; some orders
        # came in two parts or short (their rest cancelled), the latest are on their way; fresh
        # goods perish; only the orders of the last weeks are still open
        for slug in (BAKERY.slug, HARDWARE.slug):
            workspace = Workspace.objects.get(slug=slug)
            found = supplier_performance(workspace=workspace, today=END)
            suppliers = set(Product.objects.filter(workspace=workspace).values_list("supplier_id", flat=True))
            assert suppliers <= set(found)
            for supplier_id in suppliers:
                measured = found[supplier_id]
                assert measured.receipts >= 3
                assert 0 < measured.on_time_rate < 1
                assert 0.9 < measured.fill_rate <= 1
        statuses = set(PurchaseOrder.objects.values_list("status", flat=True))
        assert statuses == {"open", "partial", "received", "cancelled"}
        oldest_open = min(PurchaseOrder.objects.filter(status__in=PurchaseOrder.OPEN_STATUSES)
                          .values_list("ordered_on", flat=True))
        assert (END - oldest_open).days < 60  # (the slowest supplier takes weeks)
        baguette = Product.objects.get(workspace__slug=BAKERY.slug, sku="BK-BAGU")
        assert (baguette.shelf_life_days, baguette.supplier.lead_time_mean_days) == (1, Decimal("1.00"))

    def test_workspaces_are_flagged_demo_with_fixed_slugs(self, seeded):
        rows = list(Workspace.objects.order_by("slug").values_list("slug", "kind", "is_demo"))
        assert rows == [
            ("demo-northside-hardware", "business", True),
            ("demo-rivera-household", "household", True),
            ("demo-sunrise-bakery", "business", True),
        ]

    def test_every_business_has_revenue_on_every_open_day_of_three_years(self, seeded):
        days = (END - START).days + 1
        for slug in (BAKERY.slug, HARDWARE.slug):
            revenue_days = set(_revenue_by_day(slug))
            assert len(revenue_days) == days - len(CLOSED_DAYS) == 1141
            assert len(revenue_days) >= 3 * 365
            assert min(revenue_days) == START
            assert max(revenue_days) == END
            assert not revenue_days & CLOSED_DAYS

    def test_closed_days_have_no_sales(self, seeded):
        assert not Sale.objects.filter(date__in=CLOSED_DAYS).exists()

    def test_rows_are_positive_two_decimal_demo_rows(self, seeded):
        assert not Transaction.objects.filter(amount__lte=0).exists()
        assert set(Transaction.objects.values_list("source", flat=True).distinct()) == {"demo"}
        assert set(Transaction.objects.values_list("kind", flat=True).distinct()) == {"revenue", "expense"}
        exponents = {a.as_tuple().exponent for a in Transaction.objects.values_list("amount", flat=True)[:2000]}
        assert exponents == {-2}

    def test_each_workspace_has_ten_plus_expense_categories_in_use(self, seeded):
        for spec in (BAKERY, HARDWARE, HOUSEHOLD):
            used = set(
                Transaction.objects.filter(workspace__slug=spec.slug, kind="expense", category__isnull=False)
                .values_list("category__name", flat=True)
            )
            assert used == set(spec.expense_categories)
            assert len(used) >= 10
        bakery = set(BAKERY.expense_categories)
        assert {"Rent", "Payroll", "Utilities", "Ingredients", "Supplies", "Marketing", "Insurance",
                "Software subscriptions", "Fuel & transport", "Repairs & maintenance", "Bank fees",
                "Taxes"} <= bakery

    def test_recurring_items_fall_on_their_days(self, seeded):
        # Rent on the 1st of each of the 38 months, two leases; payroll on the 15th and the
        # last day (moved back to Friday on weekends); household salary twice a month.
        rent = Transaction.objects.filter(workspace__slug=BAKERY.slug, merchant__in=(
            "Oakwood Property Management", "Riverside Market Hall"))
        assert rent.count() == 2 * 38
        assert set(rent.values_list("date__day", flat=True)) == {1}
        payroll_dates = list(
            Transaction.objects.filter(workspace__slug=BAKERY.slug, description__startswith="GUSTO PAYROLL")
            .values_list("date", "description")
        )
        assert len(payroll_dates) == 2 * 37 + 1  # November 2025 has only had its 15th
        for day, description in payroll_dates:
            assert description == f"GUSTO PAYROLL {day:%m/%d}"
            assert day.weekday() < 5
        salary = Transaction.objects.filter(workspace__slug=HOUSEHOLD.slug, merchant="Acme Corp")
        assert salary.count() == 2 * 37 + 1

    def test_descriptions_repeat_with_small_variations(self, seeded):
        amazon = list(
            Transaction.objects.filter(merchant="Amazon", description__startswith="AMZN")
            .values_list("description", flat=True)
        )
        assert len(amazon) > 100
        assert all(re.fullmatch(r"AMZN Mktp US\*[A-Z0-9]{7}", d) for d in amazon)
        assert len(set(amazon)) > 0.9 * len(amazon)
        costco = Counter(Transaction.objects.filter(merchant="Costco").values_list("description", flat=True))
        assert set(costco) == {"COSTCO WHSE #0113", "COSTCO WHSE #0482"}
        shell = set(Transaction.objects.filter(merchant="Shell").values_list("description", flat=True))
        assert shell == {"SHELL OIL 57442", "SHELL OIL 57118", "SHELL OIL 12904"}
        assert Transaction.objects.filter(workspace__slug=BAKERY.slug, description="PG&E WEB ONLINE").count() == 38

    def test_recent_rows_are_partly_uncategorised_and_the_last_days_pending(self, seeded):
        recent = END - dt.timedelta(days=28)
        uncategorised = Transaction.objects.filter(category__isnull=True)
        assert set(uncategorised.values_list("category_source", flat=True)) == {""}
        assert not uncategorised.filter(date__lte=recent).exists()
        share = uncategorised.count() / Transaction.objects.filter(date__gt=recent).count()
        assert 0.02 < share < 0.10
        assert set(
            Transaction.objects.filter(category__isnull=False).values_list("category_source", flat=True)
        ) == {"user"}
        pending = set(Transaction.objects.filter(status="pending").values_list("date", flat=True))
        assert pending == {END - dt.timedelta(days=2), END - dt.timedelta(days=1), END}

    def test_bakery_december_beats_july_and_weekends_beat_weekdays(self, seeded):
        revenue = _revenue_by_day(BAKERY.slug)
        by_month: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for day, amount in revenue.items():
            by_month[day.year, day.month] += amount
        december = mean(v for (_, m), v in by_month.items() if m == 12)
        july = mean(v for (_, m), v in by_month.items() if m == 7)
        assert december > Decimal("1.3") * july
        counter = _counter_sales_by_day(BAKERY.slug)
        weekend = mean(v for d, v in counter.items() if d.weekday() >= 5)
        weekday = mean(v for d, v in counter.items() if d.weekday() < 4)
        assert weekend > Decimal("1.25") * weekday

    def test_hardware_peaks_in_spring_closes_sundays_early_and_spikes_on_black_friday(self, seeded):
        revenue = _revenue_by_day(HARDWARE.slug)
        counter = _counter_sales_by_day(HARDWARE.slug)
        may = mean(v for d, v in revenue.items() if d.month == 5)
        january = mean(v for d, v in revenue.items() if d.month == 1)
        assert may > Decimal("1.4") * january
        sunday = mean(v for d, v in counter.items() if d.weekday() == 6)
        weekday = mean(v for d, v in counter.items() if d.weekday() < 5)
        assert sunday < Decimal("0.8") * weekday
        for black_friday in (dt.date(2022, 11, 25), dt.date(2023, 11, 24), dt.date(2024, 11, 29)):
            fridays = [counter[black_friday + dt.timedelta(weeks=w)] for w in (-3, -2, -1, 2, 3)]
            assert counter[black_friday] > 2 * mean(fridays)

    def test_the_discount_days_are_promotions_and_the_holidays_american(self, seeded):
        # The hardware store's Black Friday and Cyber Monday discounts are its promotions (the
        # demand drivers its models learn); the bakery gives no discount, so none
        promoted = set(Sale.objects.filter(workspace__slug=HARDWARE.slug, on_promotion=True)
                       .values_list("date", flat=True).distinct())
        assert {dt.date(2022, 11, 25), dt.date(2022, 11, 28), dt.date(2024, 11, 29), dt.date(2024, 12, 2)} <= promoted
        assert {(d.month, d.weekday()) for d in promoted} == {(11, 4), (11, 0), (12, 0)}
        assert not Sale.objects.filter(workspace__slug=BAKERY.slug, on_promotion=True).exists()
        assert set(Workspace.objects.filter(is_demo=True).values_list("holidays_country", flat=True)) == {"US"}

    def test_revenue_trends_upward(self, seeded):
        for slug in (BAKERY.slug, HARDWARE.slug):
            revenue = _revenue_by_day(slug)
            first = sum(v for d, v in revenue.items() if d < START + dt.timedelta(days=365))
            last = sum(v for d, v in revenue.items() if d > END - dt.timedelta(days=365))
            assert last > Decimal("1.15") * first

    def test_products_have_their_own_seasons(self, seeded):
        def units(sku: str, months: set[int]) -> int:
            return sum(q for d, q in Sale.objects.filter(product__sku=sku).values_list("date", "quantity")
                       if d.month in months)

        winter, summer = {12, 1, 2}, {6, 7, 8}
        assert units("HW-SHOV", winter) > 10 * units("HW-SHOV", summer)
        assert units("HW-FAN", summer) > 10 * units("HW-FAN", winter)
        assert units("BK-ICED", summer) > 3 * units("BK-ICED", winter)
        assert units("BK-STOL", summer) == 0  # Christmas stollen: zero days have no row

    def test_inventory_is_complete(self, seeded):
        for spec in (BAKERY, HARDWARE):
            workspace = Workspace.objects.get(slug=spec.slug)
            products = Product.objects.filter(workspace=workspace)
            warehouses = Warehouse.objects.filter(workspace=workspace)
            assert 8 <= products.count() <= 15
            assert warehouses.count() >= 2
            pairs = set(StockLevel.objects.filter(workspace=workspace).values_list("product_id", "warehouse_id"))
            assert pairs == {(p.pk, w.pk) for p in products for w in warehouses}
            assert not products.filter(supplier__isnull=True).exists()
            assert set(products.values_list("supplier__workspace", flat=True)) == {workspace.pk}
            for supplier in Supplier.objects.filter(workspace=workspace):
                assert supplier.lead_time_mean_days > 0
                assert supplier.lead_time_std_days > 0
            sold = set(Sale.objects.filter(workspace=workspace).values_list("product_id", "warehouse_id"))
            assert sold == pairs
        assert not Sale.objects.filter(quantity__lt=1).exists()
        duplicates = Counter(Sale.objects.values_list("product_id", "warehouse_id", "date"))
        assert max(duplicates.values()) == 1

    @pytest.mark.parametrize(("spec", "statuses", "replayed", "stockouts"), [
        (BAKERY, {"order_now": 3, "low": 3, "ok": 6}, 0, 329), (HARDWARE, {"order_now": 2, "low": 2, "ok": 8}, 2, 237)])
    def test_a_few_products_to_reorder(self, seeded, logged_in, monkeypatch, spec, statuses, replayed, stockouts):
        # Given the demo's last day: each pair's stock position (on hand + on its way) in its
        # reorder cycle, a few products run low
        monkeypatch.setattr(timezone, "localdate", lambda *a: END)
        workspace = Workspace.objects.get(slug=spec.slug)
        client = logged_in(get_user_model().objects.get(username="demo"))
        client.post("/workspace/", {"workspace": workspace.pk})  # the switcher
        # When the owner opens the inventory page, then each of the 12 products has one status
        html = client.get("/inventory/").content.decode()
        rows = dict(re.findall(r'data-sku="([^"]+)" data-status="([a-z_]+)"', html))
        assert len(rows) == html.count("data-status=") == 12 and Counter(rows.values()) == statuses
        assert re.findall(r'data-status-count="([a-z_]+)">.*?<strong>(\d+)', html) == [
            (status, str(statuses.get(status, 0))) for status in ("out", "order_now", "low", "ok")]
        # And the stockout model's history replays the stock only where the books explain it (else simulated)
        assert stockout_history_read(workspace=workspace, today=END).summary == {
            "pairs": 24, "replayed": replayed, "simulated": 24 - replayed, "stockouts": stockouts}

    def test_budgets_and_goals(self, seeded):
        for spec, budgets, goals in ((BAKERY, 7, 3), (HARDWARE, 7, 3), (HOUSEHOLD, 8, 4)):
            rows = Budget.objects.filter(workspace__slug=spec.slug).select_related("category")
            assert rows.count() == budgets
            assert {b.category.kind for b in rows} == {"expense"}
            assert {b.category.workspace.slug for b in rows} == {spec.slug}
            assert {b.period for b in rows} == {"monthly"}
            goal_rows = Goal.objects.filter(workspace__slug=spec.slug)
            assert goal_rows.count() == goals
            for goal in goal_rows:
                assert goal.deadline > END
                assert 0 < goal.saved_amount <= goal.target_amount
        assert set(Budget.objects.filter(workspace__slug=HOUSEHOLD.slug).values_list("category__name", flat=True)) >= {
            "Mortgage", "Groceries",
        }

    def test_users_and_roles(self, seeded):
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
        assert users["admin"].is_superuser and users["admin"].is_staff
        assert not users["demo"].is_staff and not users["demo"].is_superuser
        assert not users["viewer"].is_staff
        assert users["admin"].check_password("admin")
        assert users["demo"].check_password("demo")
        assert users["viewer"].check_password("viewer")
        assert not users["sam.saver"].has_usable_password()
        memberships = set(Membership.objects.values_list("workspace__slug", "user__username", "role"))
        assert memberships == {
            (BAKERY.slug, "admin", "owner"), (HARDWARE.slug, "admin", "owner"), (HOUSEHOLD.slug, "admin", "owner"),
            (BAKERY.slug, "demo", "owner"), (HARDWARE.slug, "demo", "owner"), (HOUSEHOLD.slug, "demo", "member"),
            (BAKERY.slug, "viewer", "viewer"),
            (HOUSEHOLD.slug, "sam.saver", "member"), (HOUSEHOLD.slug, "sky.spender", "member"),
        }

    def test_the_books_are_announced_to_auto_learning(self, seeded):
        # Given the seeded demo (bulk writes: counted by the database, announced once)
        from finance.models import StockLevel
        from forecasting.registry.models import TargetState

        # Then every workspace's revenue, expense, classifier and inventory counters hold its rows
        for slug in SLUGS:
            workspace = Workspace.objects.get(slug=slug)
            transactions = Transaction.objects.filter(workspace=workspace)
            expected = {
                "revenue": transactions.filter(kind="revenue").count(),
                "expense": transactions.filter(kind="expense").count(),
                "categorizer": transactions.count(),
                "anomaly": transactions.count(),
                "fraud": transactions.count(),
            }
            inventory = Sale.objects.filter(workspace=workspace).count() + StockLevel.objects.filter(
                workspace=workspace).count()
            if inventory:
                expected["inventory"] = inventory
            counters = dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows"))
            assert counters == expected

    def test_every_event_passed_the_privacy_filter(self, seeded):
        events = list(BehavioralEvent.objects.values_list("data", "redacted_fields"))
        assert len(events) > 5000
        for data, redacted in events:
            assert redacted == 0
            assert privacy_filter(data) == (data, 0)

    def test_events_belong_to_the_users_workspaces_and_span_the_period(self, seeded):
        allowed = set(Membership.objects.values_list("user_id", "workspace_id"))
        used = set(BehavioralEvent.objects.values_list("user_id", "workspace_id").distinct())
        assert used <= allowed
        first = BehavioralEvent.objects.order_by("timestamp").first().timestamp
        last = BehavioralEvent.objects.order_by("timestamp").last().timestamp
        assert first.date() < START + dt.timedelta(days=7)
        assert last.date() > END - dt.timedelta(days=7)

    def test_user_types_behave_differently(self, seeded):
        mix: dict[str, Counter] = defaultdict(Counter)
        for username, event_type in BehavioralEvent.objects.values_list("user__username", "event_type"):
            mix[username][event_type] += 1

        def share(username: str, *types: str) -> float:
            return sum(mix[username][t] for t in types) / sum(mix[username].values())

        assert set(mix) == set(DEMO_USERNAMES)
        assert share("sam.saver", "budget_check", "goal_modification") > 0.4
        assert share("sky.spender", "budget_check", "goal_modification") < 0.1
        assert share("sky.spender", "purchase", "recommendation_interaction") > 0.4
        assert mix["sam.saver"]["purchase"] == 0
        assert mix["viewer"]["goal_modification"] == 0
        assert set(mix["sam.saver"]) >= {"page_view", "search", "budget_check", "goal_modification",
                                         "recommendation_interaction", "login"}


def _counter_sales_by_day(slug: str) -> dict[dt.date, Decimal]:
    totals: dict[dt.date, Decimal] = defaultdict(Decimal)
    rows = Transaction.objects.filter(
        workspace__slug=slug, category__name__in=("Counter sales", "Store sales", "Online sales")
    )
    for day, amount in rows.values_list("date", "amount"):
        totals[day] += amount
    # rows left uncategorised in the last weeks: count them by their description
    for day, amount in Transaction.objects.filter(
        workspace__slug=slug, category__isnull=True, kind="revenue"
    ).exclude(description__startswith="ACH").values_list("date", "amount"):
        totals[day] += amount
    return totals


@pytest.mark.usefixtures("no_demo_data")
class TestDeterminismAndIdempotency:
    """One year keeps these fast; they run inside the test transaction."""

    def test_reseeding_with_the_same_seed_gives_identical_rows_and_no_duplicates(self):
        # Given demo data seeded once
        first = demo_seed(seed=7, years=1, end_date=dt.date(2024, 3, 10))
        counts, fingerprint = _counts(), _fingerprint()

        # When seeding again with the same seed and end date
        second = demo_seed(seed=7, years=1, end_date=dt.date(2024, 3, 10))

        # Then the same rows exist, once
        assert second == first
        assert _counts() == counts
        assert _fingerprint() == fingerprint
        assert Workspace.objects.filter(is_demo=True).count() == 3
        assert get_user_model().objects.filter(username__in=DEMO_USERNAMES).count() == 5

    def test_another_seed_gives_other_rows(self):
        # Given demo data of seed 7
        demo_seed(seed=7, years=1, end_date=dt.date(2024, 3, 10))
        sums = {slug: _sum(slug) for slug in SLUGS}
        fingerprint = _fingerprint()

        # When seeding seed 8
        other = demo_seed(seed=8, years=1, end_date=dt.date(2024, 3, 10))

        # Then the structure is the same but the numbers differ
        assert (other.products, other.warehouses, other.categories, other.goals) == (24, 4, 50, 10)
        assert _fingerprint() != fingerprint
        for slug in SLUGS:
            assert _sum(slug) != sums[slug]

    def test_a_real_workspace_holding_a_demo_slug_stops_the_seed(self):
        # Given a real workspace with a demo slug
        f.WorkspaceFactory(slug=BAKERY.slug, name="My bakery")

        # When seeding, then it refuses and writes nothing
        with pytest.raises(DemoSeedError, match="demo-sunrise-bakery"):
            demo_seed(seed=1, years=1, end_date=dt.date(2024, 3, 10))
        assert Transaction.objects.count() == 0
        assert Workspace.objects.count() == 1

    def test_period_always_covers_the_years_in_whole_months(self):
        for end in (dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.date(2024, 2, 29)):
            start, last = demo_period(end_date=end, years=3)
            assert start.day == 1
            assert last == end
            assert (end - start).days + 1 - 8 > 3 * 365


def _sum(slug: str) -> Decimal:
    return sum(Transaction.objects.filter(workspace__slug=slug).values_list("amount", flat=True), Decimal(0))


@pytest.mark.django_db
def test_if_empty_leaves_existing_demo_data_alone(seeded):
    # Given the module's demo data
    counts = _counts()
    out = StringIO()

    # When asked to seed only if empty
    call_command("seed_demo", "--if-empty", stdout=out)

    # Then nothing changes
    assert "already present" in out.getvalue()
    assert _counts() == counts


@pytest.mark.usefixtures("no_demo_data")
class TestCommand:
    def test_command_seeds_and_prints_a_summary_with_the_credentials(self, settings):
        # Given development settings (the known demo passwords are for development only)
        settings.DEBUG = True
        out = StringIO()

        call_command("seed_demo", "--seed", "3", "--years", "1", "--end-date", "2024-03-10", stdout=out)

        text = out.getvalue()
        assert "Demo data (seed 3) from 2023-02-01 to 2024-03-10:" in text
        assert "admin / admin" in text and "demo / demo" in text and "viewer / viewer" in text
        assert Workspace.objects.filter(is_demo=True).count() == 3

    @pytest.mark.parametrize(("args", "message"), [
        (["--end-date", "2024-13-01"], "'2024-13-01' is not a date"),
        (["--years", "0"], "--years must be at least 1."),
    ])
    def test_bad_options_are_refused(self, args, message):
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("seed_demo", *args, stdout=StringIO())
        assert not Workspace.objects.exists()


STRONG = {"admin": "Harbour-Lantern-93", "demo": "Quiet-Orchard-57", "viewer": "Velvet-Compass-21"}
ONE_YEAR = ["--seed", "3", "--years", "1", "--end-date", "2024-03-10"]


def _password_args(passwords):
    return [arg for username, password in passwords.items() for arg in ("--password", f"{username}={password}")]


@pytest.mark.usefixtures("no_demo_data")
class TestPasswordsWithDebugOff:
    """``seed_demo`` never creates admin/admin or demo/demo when ``DEBUG`` is off."""

    @pytest.fixture(autouse=True)
    def _production(self, settings, monkeypatch):
        settings.DEBUG = False
        monkeypatch.delenv("DEMO_PASSWORDS", raising=False)

    def test_known_passwords_are_refused_and_nothing_is_written(self):
        with pytest.raises(CommandError) as refused:
            call_command("seed_demo", *ONE_YEAR, stdout=StringIO())
        assert str(refused.value) == (
            "DEBUG is off: the demo's known passwords are not created. Give a password for admin, demo, "
            "viewer with --password USER=PASSWORD (or DEMO_PASSWORDS=USER=PASSWORD,…)."
        )
        assert not Workspace.objects.exists()
        assert not get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()

    def test_a_missing_password_is_named(self):
        with pytest.raises(CommandError, match=r"Give a password for viewer with"):
            without_viewer = {name: password for name, password in STRONG.items() if name != "viewer"}
            call_command("seed_demo", *ONE_YEAR, *_password_args(without_viewer), stdout=StringIO())
        assert not get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()

    def test_weak_passwords_given_explicitly_are_refused_too(self):
        with pytest.raises(CommandError) as refused:
            call_command("seed_demo", *ONE_YEAR, *_password_args(STRONG | {"admin": "admin"}), stdout=StringIO())
        assert str(refused.value) == (
            "Passwords refused (DEBUG is off): admin: The password is too similar to the username. "
            "This password is too short. It must contain at least 8 characters. This password is too common."
        )
        assert not Workspace.objects.exists()

    def test_an_unknown_user_is_refused(self):
        with pytest.raises(CommandError, match=re.escape("No demo user called mallory.")):
            call_command("seed_demo", *ONE_YEAR, *_password_args(STRONG | {"mallory": "Harbour-Lantern-93"}),
                         stdout=StringIO())

    def test_passwords_given_as_options_are_set_and_not_printed(self):
        out = StringIO()
        call_command("seed_demo", *ONE_YEAR, *_password_args(STRONG), stdout=out)
        users = get_user_model().objects.in_bulk(DEMO_USERNAMES, field_name="username")
        assert {name: users[name].check_password(password) for name, password in STRONG.items()} == dict.fromkeys(
            STRONG, True)
        assert not users["admin"].check_password("admin") and not users["demo"].check_password("demo")
        assert not users["sam.saver"].has_usable_password()
        text = out.getvalue()
        assert "admin / (the password given)" in text
        assert not any(password in text for password in STRONG.values())
        assert Workspace.objects.filter(is_demo=True).count() == 3

    def test_passwords_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("DEMO_PASSWORDS", ",".join(f"{k}={v}" for k, v in STRONG.items()))
        call_command("seed_demo", *ONE_YEAR, "--password", "viewer=Amber-Meadow-48", stdout=StringIO())
        users = get_user_model().objects.in_bulk(DEMO_USERNAMES, field_name="username")
        assert users["demo"].check_password(STRONG["demo"])
        assert users["viewer"].check_password("Amber-Meadow-48")  # the option wins over the environment

    def test_if_empty_with_demo_data_present_needs_no_password(self, settings):
        settings.DEBUG = True
        call_command("seed_demo", *ONE_YEAR, stdout=StringIO())
        settings.DEBUG = False
        out = StringIO()
        call_command("seed_demo", "--if-empty", stdout=out)
        assert "already present" in out.getvalue()


@pytest.mark.slow
def test_the_command_line_exits_non_zero_with_the_reason(tmp_path):
    """``manage.py seed_demo`` with production settings: exit status 1, the reason on stderr,
    before the database is touched (an empty one here)."""
    from tests.config.test_settings import PRODUCTION_ENV, run_manage

    env = PRODUCTION_ENV | {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "DEMO_PASSWORDS": ""}
    result = run_manage("seed_demo", env=env)
    assert result.returncode == 1
    assert "CommandError: DEBUG is off: the demo's known passwords are not created." in result.stderr
    assert result.stdout == ""
