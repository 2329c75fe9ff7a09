"""Forms of the server-rendered pages: transaction entry, list filters, CSV upload,
budgets, goals and category rules.

Every form that offers rows of the books is built for one workspace, so a row of
another workspace is never a valid choice. Every amount of money is a :class:`MoneyField`,
which reads amounts typed with thousands separators.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from finance.accounts.selectors import account_list
from finance.accounts.services import ACCOUNT_OF_ANOTHER_WORKSPACE
from finance.models import Account, Budget, Category, CategoryRule, Goal, Transaction, Workspace
from finance.services.budgets import budget_create, budget_update, budget_validate
from finance.services.goals import goal_create, goal_update, goal_validate
from finance.services.import_mapping import (
    DATE_FORMATS,
    DECIMAL_SEPARATORS,
    DELIMITERS,
    ROLES,
    THOUSANDS_SEPARATORS,
)
from finance.services.rules import (
    category_rule_create,
    category_rule_update,
    category_rule_validate,
)
from finance.services.transactions import (
    CATEGORY_OF_ANOTHER_WORKSPACE,
    transaction_create,
    transaction_update,
    transaction_validate,
)

UNCATEGORISED = "none"
SUGGESTED = "suggested"
DATE_INVALID = "Enter a valid date (YYYY-MM-DD)."
EXPENSE_CATEGORY_NOT_OFFERED = "Choose an expense category of this workspace."


class DateInput(forms.DateInput):
    """A native date picker; the value is exchanged as ISO ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# Spaces people type or paste between groups of digits: plain, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_PLAIN = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = {sep: re.compile(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+") for sep in (" ", ",", ".", "'")}


def money_normalise(text: str) -> str:
    """An amount as typed — ``1,234.50``, ``1 234,50``, ``1.234,50``, ``1'234.50``,
    ``-12,5`` — in Python's notation (``1234.50``); text that is not such an amount comes
    back unchanged, for the field to refuse.

    The decimal separator is the last ``.`` or ``,`` when both appear; a lone ``,`` is
    decimal unless exactly three digits follow it (``1,234`` is a thousand and more); a
    lone ``.`` is always decimal. Groups must have three digits, with one separator
    throughout (so ``1,23,4`` is refused, not guessed).
    """
    value = _SPACES.sub(" ", text.strip())
    sign = ""
    if value[:1] in ("-", "+", "\u2212"):
        sign, value = ("" if value[0] == "+" else "-"), value[1:].lstrip()
    whole, fraction = value, ""
    points = [i for i, char in enumerate(value) if char in ".,"]
    if points:
        last = points[-1]
        after = value[last + 1 :]
        marks = {value[i] for i in points}
        decimal = len(marks) == 2 or (marks == {"."} and len(points) == 1) or (
            marks == {","} and len(points) == 1 and len(after) != 3
        )
        if decimal:
            whole, fraction = value[:last], after
    if not fraction.isdigit() and fraction != "":
        return text
    if not whole.isdigit():
        seps = {char for char in whole if not char.isdigit()}
        grouped = _GROUPED.get(seps.pop()) if len(seps) == 1 else None
        if grouped is None or not grouped.fullmatch(whole):
            return text
        whole = re.sub(r"\D", "", whole)
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


class MoneyField(forms.DecimalField):
    """An amount of money (up to 12 digits and cents). Typed as text, so thousands
    separators can be part of it (:func:`money_normalise`); a number field would refuse
    them in the browser."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Enter the amount as a number, e.g. 12.50."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # Not DecimalField's: no type=number step/min/max, which refuse "1,234.50".
        return {"inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str) and value.strip():
            value = money_normalise(value)
            if not _PLAIN.fullmatch(value):  # not "1e3", "NaN" or "Infinity", which Decimal would take
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _currency_help(workspace: Workspace, text: str) -> str:
    return f"In {workspace.currency}{text}, e.g. 1,234.50."


class ServiceModelForm(forms.ModelForm):
    """A model form that writes through the services (the rules of every write live
    there): a subclass says which service creates and which updates; there is no unsaved
    variant."""

    def service_create(self, **fields: Any) -> models.Model:
        raise NotImplementedError

    def service_update(self, **fields: Any) -> models.Model:
        raise NotImplementedError

    def save(self, commit: bool = True) -> models.Model:
        if not commit:
            raise ValueError(f"{type(self).__name__} writes through the services; save(commit=False) is unsupported.")
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        self.instance = self.service_create(**fields) if self.instance.pk is None else self.service_update(**fields)
        return self.instance


class TransactionForm(ServiceModelForm):
    """Add or edit one transaction of ``workspace``.

    The date must be a real date; the rules of every transaction write (amount, the
    category's workspace and kind) are :func:`finance.services.transactions.transaction_validate`'s,
    so the page and the API give the same messages.
    """

    amount = MoneyField(label="Amount")

    class Meta:
        model = Transaction
        fields = ["kind", "amount", "date", "category", "description", "merchant", "account", "status"]
        widgets = {"date": DateInput()}
        error_messages = {"date": {"invalid": DATE_INVALID}}

    def __init__(self, *args: Any, workspace: Workspace, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.user = user
        category = self.fields["category"]
        category.queryset = Category.objects.filter(workspace=workspace).order_by("kind", "name")
        category.empty_label = "Uncategorised"
        category.error_messages["invalid_choice"] = CATEGORY_OF_ANOTHER_WORKSPACE
        account = self.fields["account"]
        # The open accounts, the default first (so it is preselected); an edited row's archived account too.
        open_or_own = Q(is_archived=False) | Q(pk=self.instance.account_id) if self.instance.pk else Q(is_archived=False)
        account.queryset = account_list(workspace=workspace).filter(open_or_own)
        account.empty_label = None
        account.required = False  # none: the default account (a workspace without accounts yet gets one)
        account.error_messages["invalid_choice"] = ACCOUNT_OF_ANOTHER_WORKSPACE
        self.fields["amount"].help_text = _currency_help(workspace, ", greater than zero")
        if self.instance.pk is None:
            self.initial.setdefault("kind", Transaction.Kind.EXPENSE)
            self.initial.setdefault("status", Transaction.Status.APPROVED)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            transaction_validate(
                workspace=self.workspace,
                kind=cleaned.get("kind"),
                amount=cleaned.get("amount"),
                category=cleaned.get("category"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def service_create(self, **fields: Any) -> models.Model:
        return transaction_create(workspace=self.workspace, user=self.user, **fields)

    def service_update(self, **fields: Any) -> models.Model:
        return transaction_update(transaction=self.instance, user=self.user, **fields)


class TransactionFilterForm(forms.Form):
    """The filters of the transactions list (a GET form). Invalid fields are ignored."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *Transaction.Kind.choices]
    )
    category = forms.ChoiceField(label="Category", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Transaction.Status.choices]
    )
    account = forms.ChoiceField(label="Account", required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(
        self, *args: Any, categories: Iterable[Category], accounts: Iterable[Account] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account"), *((str(a.pk), a.name) for a in accounts)]
        self.fields["q"].widget.attrs["placeholder"] = "Description, merchant or account"
        self.fields["category"].choices = [
            ("", "Any category"),
            (UNCATEGORISED, "Uncategorised"),
            (SUGGESTED, "Suggested by the model (to review)"),
            *((str(c.pk), str(c)) for c in categories),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for :func:`finance.selectors.transaction_list` (valid fields
        only), plus ``suggested``: only rows whose category the model suggested."""
        self.is_valid()
        data = self.cleaned_data
        category = data.get("category") or ""
        date_to: dt.date | None = data.get("date_to") if "date_to" not in self.errors else None
        return {
            "search": (data.get("q") or "").strip(),
            "kind": data.get("kind") or "",
            "category_id": int(category) if category not in ("", UNCATEGORISED, SUGGESTED) else None,
            "uncategorised": category == UNCATEGORISED,
            "suggested": category == SUGGESTED,
            "status": data.get("status") or "",
            "account_id": int(data["account"]) if data.get("account") else None,
            "date_from": data.get("date_from"),
            "date_to": date_to,
        }

    @property
    def is_filtered(self) -> bool:
        return any(value not in (None, "", False) for value in self.filters().values())


def _choices(options: dict[str, str], blank: str | None = None) -> list[tuple[str, str]]:
    return ([("", blank)] if blank is not None else []) + [(key, f"{label} ({key!r})") for key, label in options.items()]


class TransactionImportForm(forms.Form):
    """Upload a file of transactions: a CSV (its named columns, or mapped here), an OFX or
    a QIF file; "Preview" checks it and shows the first rows without writing."""

    file = forms.FileField(
        label="File",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.ofx,.qfx,.qif,text/csv"}),
        error_messages={"required": "Choose a file to import."},
    )
    # Each choice is optional: a post with only a file imports a CSV with named columns.
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("ofx", "OFX / QFX (bank statement)"), ("qif", "QIF (Quicken)")], initial="csv",
        required=False,
    )
    map_columns = forms.BooleanField(
        required=False, label="Map the columns of my CSV",
        help_text="For a bank's CSV whose column names differ from the ones listed above.",
    )
    header = forms.ChoiceField(choices=[("yes", "Yes: columns by name"), ("no", "No: columns by number, 1 first")],
                               initial="yes", label="First row is a header", required=False)
    date_format = forms.ChoiceField(
        choices=[("", "YYYY-MM-DD (QIF: as the file's dates tell)")] + [(k, k) for k in DATE_FORMATS if k != "YYYY-MM-DD"],
        required=False,
    )
    decimal_separator = forms.ChoiceField(choices=_choices(DECIMAL_SEPARATORS), initial=".", required=False)
    thousands_separator = forms.ChoiceField(
        choices=[(key or "none", label) for key, label in _choices(THOUSANDS_SEPARATORS)], initial=",", required=False
    )
    delimiter = forms.ChoiceField(
        choices=list(DELIMITERS.items()), initial=",", label="CSV delimiter", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role in ROLES:
            self.fields[role] = forms.CharField(
                required=False, max_length=120, label=f"{role.capitalize()} column",
                help_text="Required." if role == "date" else "Or debit and credit." if role == "amount" else "",
            )

    def mapping(self) -> dict[str, Any] | None:
        """The ``mapping`` of :func:`finance.services.transaction_import.transaction_import`."""
        data = self.cleaned_data
        thousands = data["thousands_separator"] or ","
        options = {
            "decimal_separator": data["decimal_separator"] or ".",
            "thousands_separator": "" if thousands == "none" else thousands,
        }
        if data["date_format"]:
            options["date_format"] = data["date_format"]
        if self.file_format == "qif":
            return options
        if self.file_format != "csv" or not data["map_columns"]:
            return None
        columns = {role: data[role] for role in ROLES if data.get(role)}
        return columns | options | {"header": data["header"] != "no", "delimiter": data["delimiter"] or ","}

    @property
    def file_format(self) -> str:
        return self.cleaned_data["format"] or "csv"

    def mapping_errors_add(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, f"{name}: {message}" if name not in self.fields else message)


class BudgetForm(ServiceModelForm):
    """Add or edit a budget of ``workspace``. The rules are
    :func:`finance.services.budgets.budget_validate`'s, so the page and the API give the
    same messages; the form offers only the workspace's expense categories."""

    amount = MoneyField(label="Limit")

    class Meta:
        model = Budget
        fields = ["category", "amount", "period", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        labels = {"start_date": "From", "end_date": "Until"}
        help_texts = {"end_date": "Optional: leave empty to keep the budget running."}
        error_messages = {"start_date": {"invalid": DATE_INVALID}, "end_date": {"invalid": DATE_INVALID}}

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        category = self.fields["category"]
        category.queryset = Category.objects.filter(workspace=workspace, kind=Category.Kind.EXPENSE).order_by("name")
        category.label_from_instance = lambda c: c.name
        category.empty_label = "Choose a category"
        category.error_messages["invalid_choice"] = EXPENSE_CATEGORY_NOT_OFFERED
        self.fields["amount"].help_text = _currency_help(workspace, " per period")
        if self.instance.pk is None:
            self.initial.setdefault("period", Budget.Period.MONTHLY)
            self.initial.setdefault("start_date", timezone.localdate().replace(day=1))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        dates_valid = "start_date" not in self.errors and "end_date" not in self.errors
        try:
            budget_validate(
                workspace=self.workspace,
                category=cleaned.get("category"),
                amount=cleaned.get("amount"),
                period=cleaned.get("period"),
                start_date=cleaned.get("start_date") if dates_valid else None,  # an unreadable end is not "no end"
                end_date=cleaned.get("end_date"),
                budget=self.instance if self.instance.pk is not None else None,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def service_create(self, **fields: Any) -> models.Model:
        return budget_create(workspace=self.workspace, **fields)

    def service_update(self, **fields: Any) -> models.Model:
        return budget_update(budget=self.instance, **fields)


class GoalForm(ServiceModelForm):
    """Add or edit a savings goal of ``workspace``. The rules are
    :func:`finance.services.goals.goal_validate`'s, so the page and the API give the same
    messages. An empty saved amount is zero."""

    target_amount = MoneyField(label="Target")
    saved_amount = MoneyField(label="Saved so far", required=False)

    class Meta:
        model = Goal
        fields = ["name", "target_amount", "saved_amount", "deadline"]
        widgets = {"deadline": DateInput()}
        help_texts = {"deadline": "The day the target should be saved by."}
        error_messages = {"deadline": {"invalid": DATE_INVALID}}

    def __init__(self, *args: Any, workspace: Workspace, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.user = user
        self.fields["target_amount"].help_text = _currency_help(workspace, "")
        self.fields["saved_amount"].help_text = (
            f"In {workspace.currency}: what is already put aside. Update it as you save; "
            "each change is kept for the chart."
        )
        if self.instance.pk is None:
            self.initial.setdefault("saved_amount", Decimal("0.00"))

    def clean_saved_amount(self) -> Decimal:
        saved = self.cleaned_data.get("saved_amount")
        return Decimal("0.00") if saved is None else saved

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            goal_validate(
                name=cleaned.get("name"),
                target_amount=cleaned.get("target_amount"),
                saved_amount=cleaned.get("saved_amount"),
                deadline=cleaned.get("deadline"),
                today=timezone.localdate(),
                previous_deadline=self.instance.deadline if self.instance.pk is not None else None,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def service_create(self, **fields: Any) -> models.Model:
        return goal_create(workspace=self.workspace, owner=self.user, **fields)

    def service_update(self, **fields: Any) -> models.Model:
        return goal_update(goal=self.instance, **fields)


def category_rule_form_check(form: forms.BaseForm, *, workspace: Workspace) -> None:
    """Add to ``form`` (cleaned) the errors :func:`finance.services.rules.category_rule_validate`
    finds in a rule of ``workspace``, each on its field: the Rules page's and the admin's
    check. A field the form has already refused is not checked again."""
    cleaned = form.cleaned_data
    pattern = cleaned.get("pattern")
    try:
        category_rule_validate(
            workspace=workspace, field=cleaned.get("field"), operator=cleaned.get("operator"),
            pattern=pattern.strip() if pattern is not None else None, category=cleaned.get("category"),
            amount_min=cleaned.get("amount_min") if "amount_min" not in form.errors else None,
            amount_max=cleaned.get("amount_max") if "amount_max" not in form.errors else None,
        )
    except ValidationError as exc:
        form.add_error(None, exc)


class CategoryRuleForm(ServiceModelForm):
    """Add or edit a category rule of ``workspace``. The rules are
    :func:`finance.services.rules.category_rule_validate`'s, so the page and the API give the
    same messages; the form offers only the workspace's categories."""

    amount_min = MoneyField(label="Amount from", required=False)
    amount_max = MoneyField(label="Amount up to", required=False)
    apply_existing = forms.BooleanField(
        label="Also apply it to the transactions already in the books", required=False,
        help_text="Only to those nobody has categorised: uncategorised, or only suggested by the model.",
    )

    class Meta:
        model = CategoryRule
        fields = ["field", "operator", "pattern", "amount_min", "amount_max", "category", "priority", "is_active"]
        labels = {"field": "When the", "pattern": "Text", "category": "Set the category", "is_active": "Active"}
        help_texts = {
            "pattern": "Case does not matter. A regular expression (“matches”) may use at most two repetitions "
            "such as * or +, and no nested ones.",
            "priority": "When several rules apply, the lowest number wins.",
        }

    def __init__(self, *args: Any, workspace: Workspace, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.user = user
        category = self.fields["category"]
        category.queryset = Category.objects.filter(workspace=workspace).order_by("kind", "name")
        category.label_from_instance = lambda c: f"{c.name} ({c.get_kind_display().lower()})"
        category.empty_label = "Choose a category"
        category.error_messages["invalid_choice"] = CATEGORY_OF_ANOTHER_WORKSPACE
        for name in ("amount_min", "amount_max"):
            self.fields[name].help_text = _currency_help(workspace, ", optional")
        if self.instance.pk is None:
            self.initial.setdefault("apply_existing", True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        category_rule_form_check(self, workspace=self.workspace)
        return cleaned

    def _post_clean(self) -> None:
        """The services check the whole rule (:meth:`clean`); the model's own constraint
        check would repeat the amount range's with another message."""

    def service_create(self, **fields: Any) -> models.Model:
        return category_rule_create(workspace=self.workspace, user=self.user, **fields)

    def service_update(self, **fields: Any) -> models.Model:
        return category_rule_update(rule=self.instance, **fields)
