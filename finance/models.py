"""The books of a workspace: money in and out, plans, and the stock behind the sales.

Every domain row belongs to a :class:`Workspace`; users reach workspaces through a
:class:`Membership` with a role. Scoping to the user's workspaces happens in one
place, :mod:`finance.selectors`.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.limits import AmountValidator, DateRangeValidator, TextValidator, currency_validate
from finance.holidays import holidays_country_validate, holidays_region_errors

POSITIVE = MinValueValidator(Decimal("0.01"))
NON_NEGATIVE = MinValueValidator(Decimal("0"))
# The input limits (config.limits) as field validators, so the page forms, the admin and the
# API's model serializers apply them: one-line text, dates in range, amounts in bounds.
LINE = TextValidator()
IN_RANGE = DateRangeValidator()
MONEY = AmountValidator()


class Workspace(models.Model):
    """A business or a household: the tenant that owns every domain row."""

    class Kind(models.TextChoices):
        BUSINESS = "business", "Business"
        HOUSEHOLD = "household", "Household"

    name = models.CharField(max_length=120, validators=[LINE])
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BUSINESS)
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validate])
    # db_default: rows written by code that predates these columns (older migrations' models) still insert
    holidays_country = models.CharField(
        max_length=2, blank=True, default="", db_default="", validators=[holidays_country_validate],
        help_text="Public holidays of this country (ISO 3166-1, e.g. DE) drive the demand forecasts; empty: none.",
    )
    holidays_region = models.CharField(
        max_length=10, blank=True, default="", db_default="", validators=[LINE],
        help_text="A region of that country with holidays of its own (its ISO 3166-2 code without the country, "
                  "e.g. BY for Bavaria); empty: the national holidays only.",
    )
    is_demo = models.BooleanField(default=False, help_text="Created by seed_demo; replaced on re-seed.")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = holidays_region_errors(country=self.holidays_country, region=self.holidays_region)
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    """A user's role in a workspace. Owners and managers manage models; viewers only read."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    WRITE_ROLES = (Role.OWNER, Role.MANAGER, Role.MEMBER)
    MANAGE_ROLES = (Role.OWNER, Role.MANAGER)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="unique_membership"),
        ]
        ordering = ["workspace", "user"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role in self.WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in self.MANAGE_ROLES


class Category(models.Model):
    """A revenue or expense category of one workspace (Groceries, Rent, Sales…)."""

    class Kind(models.TextChoices):
        REVENUE = "revenue", "Revenue"
        EXPENSE = "expense", "Expense"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=80, validators=[LINE])
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.EXPENSE)
    color = models.CharField(max_length=7, blank=True, default="", validators=[LINE])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_category_name"),
        ]
        ordering = ["workspace", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"


class TransactionQuerySet(models.QuerySet):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        """``bulk_create``, each row without an account put in its workspace's default."""
        objs = list(objs)
        transactions_account_fill(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Transaction(models.Model):
    """One movement of money in one account: revenue in or expense out."""

    class Kind(models.TextChoices):
        REVENUE = "revenue", "Revenue"
        EXPENSE = "expense", "Expense"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"

    class CategorySource(models.TextChoices):
        NONE = "", "Uncategorised"
        USER = "user", "User"
        RULE = "rule", "Rule"
        MODEL = "model", "Model"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual entry"
        API = "api", "API"
        IMPORT = "import", "File import"
        BANK = "bank", "Bank feed"
        DEMO = "demo", "Demo data"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[POSITIVE, MONEY])
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validate])
    date = models.DateField(db_index=True, validators=[IN_RANGE])
    description = models.CharField(max_length=255, blank=True, default="", validators=[LINE])
    merchant = models.CharField(max_length=120, blank=True, default="", validators=[LINE])
    # The account the money moved in (the workspace's default when written without one,
    # finance.accounts); the account as the source named it stays in account_label.
    # RESTRICT: an account with transactions is not deleted (archive it), unless its whole
    # workspace is (PROTECT would refuse that too).
    account = models.ForeignKey(
        "finance.Account", on_delete=models.RESTRICT, blank=True, related_name="transactions",
        help_text="The account of the workspace the money moved in; without one, the workspace's default account.",
    )
    account_label = models.CharField(
        max_length=60, blank=True, default="", validators=[LINE],
        help_text="The account as the source named it (an imported file's account; the free text of rows "
                  "written before accounts existed).",
    )
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    category_source = models.CharField(
        max_length=5, choices=CategorySource.choices, blank=True, default=CategorySource.NONE
    )
    category_confidence = models.FloatField(null=True, blank=True)
    # Set by the ML engine (forecasting) when the row is scored; empty until then.
    anomaly_score = models.FloatField(
        null=True, blank=True, help_text="Isolation-forest anomaly score in (0, 1); above ~0.6 is unusual."
    )
    fraud_score = models.FloatField(null=True, blank=True, help_text="Probability of fraud (0-1).")
    is_flagged = models.BooleanField(
        default=False, db_index=True, help_text="Flagged for review as possible fraud or an anomaly."
    )
    # An amount far outside the workspace's range (config.limits.amount_review_ceiling) is
    # kept but left out of training until a member confirms it (finance.services.transactions).
    needs_confirmation = models.BooleanField(
        default=False,
        help_text="The amount is far outside the workspace's usual range: it counts for forecasts "
        "only once a member confirms it.",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When a member confirmed the amount.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.APPROVED)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.MANUAL)
    # The bank's own id of an imported row (a hash of OFX's FITID with its bank and account):
    # a re-import of the same bank row is skipped (finance.services.import_duplicates).
    import_key = models.CharField(
        max_length=64, blank=True, default="", editable=False,
        help_text="Hash of the bank's id of this row (OFX FITID, bank and account), when it was imported from one.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["workspace", "kind", "status", "date"], name="txn_series_idx"),
            models.Index(fields=["workspace", "category"], name="txn_category_idx"),
            models.Index(fields=["workspace", "import_key"], name="txn_import_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
        ]

    def __str__(self) -> str:
        sign = "+" if self.kind == self.Kind.REVENUE else "-"
        label = self.description or self.merchant or self.get_kind_display()
        return f"{self.date} {sign}{self.amount} {self.currency} {label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved; a row written without an account goes to its workspace's default account."""
        if self.account_id is None and self.workspace_id is not None:
            transactions_account_fill([self])
        super().save(*args, **kwargs)

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind == self.Kind.REVENUE else -self.amount

    def clean(self) -> None:
        if self.account_id is not None and self.workspace_id is not None and self.account.workspace_id != self.workspace_id:
            raise ValidationError({"account": "Choose an account of this workspace."})


class CategoryRule(models.Model):
    """A user's rule: a transaction whose description or merchant contains (or matches) a
    pattern, optionally within an amount range, gets the rule's category.

    Rules run before the categoriser when a transaction is written (the page, the API, the
    CSV import; :mod:`finance.services.rules`), lowest ``priority`` first, and only for
    transactions of the category's kind; the category they set (``category_source``
    "rule") is never replaced by a model's suggestion. What a pattern may be is decided in
    :mod:`finance.rules`.
    """

    class Field(models.TextChoices):
        DESCRIPTION = "description", "Description"
        MERCHANT = "merchant", "Merchant"

    class Operator(models.TextChoices):
        CONTAINS = "contains", "contains"
        MATCHES = "matches", "matches (regular expression)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="category_rules")
    field = models.CharField(max_length=11, choices=Field.choices, default=Field.MERCHANT)
    operator = models.CharField(max_length=8, choices=Operator.choices, default=Operator.CONTAINS)
    pattern = models.CharField(max_length=100, validators=[LINE])
    amount_min = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[NON_NEGATIVE, MONEY],
        help_text="Only amounts of at least this (optional).",
    )
    amount_max = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[NON_NEGATIVE, MONEY],
        help_text="Only amounts of at most this (optional).",
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    priority = models.PositiveIntegerField(default=100, help_text="Rules with a lower number are tried first.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True) | Q(amount_max__isnull=True)
                | Q(amount_max__gte=models.F("amount_min")),
                name="category_rule_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.operator} “{self.pattern}” → {self.category.name}"


class Budget(models.Model):
    """A spending limit for one category over a recurring period."""

    class Period(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        YEARLY = "yearly", "Yearly"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="budgets")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="budgets")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[POSITIVE, MONEY])
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTHLY)
    start_date = models.DateField(validators=[IN_RANGE])
    end_date = models.DateField(null=True, blank=True, validators=[IN_RANGE])

    class Meta:
        ordering = ["workspace", "category__name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="budget_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.name}: {self.amount} {self.get_period_display().lower()}"


class Goal(models.Model):
    """A savings goal: a target amount by a deadline, with what is saved so far."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="goals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120, validators=[LINE])
    target_amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[POSITIVE, MONEY])
    saved_amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NON_NEGATIVE, MONEY]
    )
    deadline = models.DateField(validators=[IN_RANGE])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(target_amount__gt=0), name="goal_target_positive"),
            models.CheckConstraint(condition=Q(saved_amount__gte=0), name="goal_saved_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.saved_amount}/{self.target_amount} by {self.deadline})"

    @property
    def progress(self) -> float:
        return float(min(self.saved_amount / self.target_amount, Decimal(1)))


class GoalProgress(models.Model):
    """What a goal had saved as of one day: the goal's history, one row per day its saved
    amount was set (written by :mod:`finance.services.goals`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="history")
    date = models.DateField(validators=[IN_RANGE])
    saved_amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[NON_NEGATIVE, MONEY])

    class Meta:
        ordering = ["goal", "date"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "date"], name="unique_goal_progress_day"),
            models.CheckConstraint(condition=Q(saved_amount__gte=0), name="goal_progress_non_negative"),
        ]
        verbose_name_plural = "goal progress"

    def __str__(self) -> str:
        return f"{self.goal.name}: {self.saved_amount} on {self.date}"


class Supplier(models.Model):
    """Who restocks products, and how long they take (mean and spread, in days)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="suppliers")
    name = models.CharField(max_length=120, validators=[LINE])
    email = models.EmailField(blank=True, default="")
    lead_time_mean_days = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[NON_NEGATIVE]
    )
    lead_time_std_days = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("0"), validators=[NON_NEGATIVE]
    )
    min_order_quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["workspace", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_supplier_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (lead time {self.lead_time_mean_days}±{self.lead_time_std_days} d)"


class Product(models.Model):
    """Something a business sells and keeps in stock."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField(max_length=40, validators=[LINE])
    name = models.CharField(max_length=120, validators=[LINE])
    category = models.CharField(max_length=80, blank=True, default="", validators=[LINE])
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=[NON_NEGATIVE])
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[NON_NEGATIVE])
    supplier = models.ForeignKey(
        Supplier, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    shelf_life_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Days a unit can still be sold after it arrives; empty: it keeps. A stock plan never orders "
                  "more than sells within it.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["workspace", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "sku"], name="unique_product_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Warehouse(models.Model):
    """A place where stock is kept."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="warehouses")
    code = models.CharField(max_length=20, validators=[LINE])
    name = models.CharField(max_length=120, validators=[LINE])
    location = models.CharField(max_length=120, blank=True, default="", validators=[LINE])
    capacity_units = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Units of stock the warehouse can hold (all products together); empty = no limit.",
    )

    class Meta:
        ordering = ["workspace", "code"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="unique_warehouse_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """How many units of a product a warehouse holds now."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "product__sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="unique_stock_level"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}: {self.quantity}"


class Sale(models.Model):
    """Units of a product sold from a warehouse on a day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sales")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="sales")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="sales")
    date = models.DateField(db_index=True, validators=[IN_RANGE])
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[NON_NEGATIVE])
    on_promotion = models.BooleanField(
        default=False, db_default=False, help_text="Sold under a promotion: with the price, a driver of the demand forecasts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["workspace", "product", "date"], name="sale_series_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sale_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.quantity}× {self.product.sku} @ {self.warehouse.code}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class InvitationQuerySet(models.QuerySet):
    """Tenancy of invitations, in one place: an owner sees their workspaces' invitations, a
    user those that name them; any other id answers 404."""

    def addressed_to(self, user: Any) -> "InvitationQuerySet":
        """Invitations that name ``user``: by username, or by the e-mail of the account."""
        if not user.is_authenticated:
            return self.none()
        addressed = Q(username=user.get_username())
        if user.email:
            addressed |= Q(email__iexact=user.email)
        return self.filter(addressed)

    def visible_to(self, user: Any) -> "InvitationQuerySet":
        if not user.is_authenticated:
            return self.none()
        owned = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("workspace_id")
        return self.filter(Q(workspace_id__in=owned) | Q(pk__in=self.addressed_to(user).values("pk")))


class Invitation(models.Model):
    """An owner's offer of a role in a workspace to someone named by username or e-mail.

    The membership is created only when the invited user accepts
    (:mod:`finance.services.invitations`). Until then nothing tells the owner whether such a
    user exists, and the invited user sees the workspace and the role, not who else is in it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    username = models.CharField(
        max_length=150, blank=True, default="", validators=[LINE], help_text="Who is invited, by username…"
    )
    email = models.EmailField(blank=True, default="", help_text="…or by the e-mail address of their account.")
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["username"], name="invitation_username_idx"),
            models.Index(fields=["email"], name="invitation_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(username="") & ~Q(email="")) | (~Q(username="") & Q(email="")),
                name="invitation_username_or_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username or self.email} to {self.workspace} ({self.get_role_display()})"

    @property
    def invitee(self) -> str:
        return self.username or self.email

    def is_for(self, user: Any) -> bool:
        """Whether this invitation names ``user`` (see :meth:`InvitationQuerySet.addressed_to`)."""
        if not user.is_authenticated:
            return False
        if self.username:
            return self.username == user.get_username()
        return bool(user.email) and self.email.casefold() == user.email.casefold()


# Accounts and transfers, purchase orders and their receipts keep their own feature packages;
# importing them here registers them with the app (and keeps this module within its size).
from finance.accounts.models import Account, Transfer, transactions_account_fill  # noqa: E402, F401
from finance.purchasing.models import PurchaseOrder, Receipt  # noqa: E402, F401
