"""Implausible amounts: an amount far outside the workspace's range is kept but marked
``needs_confirmation``, left out of the training series until a member confirms it (API,
admin action, the edit page's button), then counted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from finance.models import Transaction
from finance.services.transactions import transaction_create, transaction_update
from forecasting.series.selectors import series_build
from forecasting.series.targets import Target
from tests import factories as f

TX = "/api/v1/transactions/"
HUGE = "999999999999.99"
END = dt.date(2025, 7, 1)  # the series ends with June 2025


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.INPUT_AMOUNT_REVIEW_ABOVE = Decimal("10000")
    settings.INPUT_AMOUNT_REVIEW_FACTOR = 10.0
    settings.INPUT_AMOUNT_REVIEW_MIN_HISTORY = 20


@pytest.fixture
def history(workspace):
    """Thirty revenue rows of 1,000 … 2,450 over January to June 2025 (99th percentile 2,450)."""
    return [
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal(1000 + 50 * i),
                             date=dt.date(2025, 1 + i // 5, 10))
        for i in range(30)
    ]


def revenue_series(workspace):
    return series_build(workspace=workspace, target=Target("revenue"), frequency="M", end=END)


def june_total(workspace) -> float:
    return float(revenue_series(workspace).values[-1])


@pytest.mark.django_db
class TestFlagging:
    def test_a_huge_amount_is_kept_flagged_and_out_of_the_series_until_confirmed(
        self, workspace, member, client_for, history
    ):
        # given six months of revenue; June's total is 2,250 + … + 2,450
        june_before = june_total(workspace)
        assert june_before == 11750.0
        # when a member records 999,999,999,999.99 in June
        created = client_for(member).post(
            TX, {"workspace": workspace.pk, "kind": "revenue", "amount": HUGE, "date": "2025-06-20"}, format="json"
        )
        # then it is stored, marked, and the training series does not see it
        assert created.status_code == 201
        assert (created.json()["needs_confirmation"], created.json()["confirmed_at"]) == (True, None)
        assert Transaction.objects.count() == 31
        assert june_total(workspace) == june_before
        # when the member confirms it
        confirmed = client_for(member).post(f"{TX}{created.json()['id']}/confirm/")
        # then it counts
        assert confirmed.status_code == 200
        assert confirmed.json()["needs_confirmation"] is False
        assert confirmed.json()["confirmed_at"] is not None
        row = Transaction.objects.get(pk=created.json()["id"])
        assert (row.needs_confirmation, row.confirmed_by) == (False, member)
        assert june_total(workspace) == june_before + float(Decimal(HUGE))

    @pytest.mark.parametrize(
        ("amount", "flagged"),
        [
            ("10000.00", False),  # at the absolute cap: never
            ("24500.00", False),  # 10 × the 99th percentile (2,450) exactly
            ("24500.01", True),
        ],
    )
    def test_the_bar_is_max_of_the_cap_and_k_times_the_99th_percentile(self, workspace, member, history, amount,
                                                                      flagged):
        row = transaction_create(workspace=workspace, user=member, kind="revenue", amount=Decimal(amount),
                                 date=dt.date(2025, 6, 1))
        assert row.needs_confirmation is flagged

    def test_without_history_the_cap_decides_and_kinds_are_separate(self, workspace, member, history):
        # the expense side has no history: above the cap it needs a confirmation
        assert transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("10000.01"),
                                  date=dt.date(2025, 6, 1)).needs_confirmation is True
        assert transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("9999.99"),
                                  date=dt.date(2025, 6, 1)).needs_confirmation is False

    def test_flagged_rows_do_not_raise_the_bar_for_the_next(self, workspace, member, history):
        first = transaction_create(workspace=workspace, user=member, kind="revenue", amount=Decimal(HUGE),
                                   date=dt.date(2025, 6, 1))
        second = transaction_create(workspace=workspace, user=member, kind="revenue", amount=Decimal(HUGE),
                                    date=dt.date(2025, 6, 2))
        assert (first.needs_confirmation, second.needs_confirmation) == (True, True)

    def test_an_import_flags_only_the_outlier(self, workspace, member, client_for):
        lines = [f"2025-0{1 + i // 10}-10,revenue,{1000 + i}.00" for i in range(50)]
        text = "date,kind,amount\n" + "\n".join([*lines, f"2025-06-20,revenue,{HUGE}"]) + "\n"
        response = client_for(member).post(
            "/api/v1/transactions/import/",
            {"workspace": workspace.pk, "file": _upload(text)}, format="multipart",
        )
        assert response.status_code == 201
        assert response.json()["created"] == 51
        assert list(Transaction.objects.filter(needs_confirmation=True).values_list("amount", flat=True)) == [
            Decimal(HUGE)
        ]

    def test_changing_the_amount_judges_it_again(self, workspace, member, history):
        row = transaction_create(workspace=workspace, user=member, kind="revenue", amount=Decimal(HUGE),
                                 date=dt.date(2025, 6, 1))
        # a typo corrected: no longer needs a confirmation
        row = transaction_update(transaction=row, user=member, amount=Decimal("2000.00"))
        assert row.needs_confirmation is False
        # a confirmed amount changed to another huge one: the confirmation was for the old amount
        row = transaction_update(transaction=row, user=member, amount=Decimal("500000.00"))
        assert row.needs_confirmation is True
        row.needs_confirmation, row.confirmed_by = False, member
        row.save()
        row = transaction_update(transaction=row, user=member, amount=Decimal("600000.00"))
        assert (row.needs_confirmation, row.confirmed_by, row.confirmed_at) == (True, None, None)
        # a change of anything else keeps the state
        row = transaction_update(transaction=row, user=member, description="Big invoice")
        assert row.needs_confirmation is True


def _upload(text):
    return SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")


@pytest.mark.django_db
class TestConfirmApi:
    def test_a_confirmation_schedules_the_auto_learn_check_of_its_kind(
        self, workspace, member, client_for, monkeypatch, django_capture_on_commit_callbacks
    ):
        from forecasting.training import autolearn

        checks = []
        monkeypatch.setattr(autolearn, "autolearn_schedule_check", lambda **kwargs: checks.append(kwargs))
        row = f.TransactionFactory(workspace=workspace, kind="revenue", needs_confirmation=True)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(member).post(f"{TX}{row.pk}/confirm/")
        assert response.status_code == 200
        assert checks == [{"workspace_id": workspace.pk, "targets": ("revenue",)}]

    def test_nothing_to_confirm_is_409_and_nothing_changes(self, workspace, member, client_for):
        row = f.TransactionFactory(workspace=workspace)
        response = client_for(member).post(f"{TX}{row.pk}/confirm/")
        assert response.status_code == 409
        assert response.json() == {"detail": "This transaction's amount does not need a confirmation."}
        row.refresh_from_db()
        assert (row.needs_confirmation, row.confirmed_at) == (False, None)

    def test_a_viewer_cannot_confirm(self, workspace, viewer, client_for):
        row = f.TransactionFactory(workspace=workspace, needs_confirmation=True)
        response = client_for(viewer).post(f"{TX}{row.pk}/confirm/")
        assert response.status_code == 403
        row.refresh_from_db()
        assert row.needs_confirmation is True

    def test_another_workspace_s_row_is_404(self, other_workspace, member, client_for):
        row = f.TransactionFactory(workspace=other_workspace, needs_confirmation=True)
        response = client_for(member).post(f"{TX}{row.pk}/confirm/")
        assert response.status_code == 404
        row.refresh_from_db()
        assert row.needs_confirmation is True


@pytest.mark.django_db
class TestConfirmPagesAndAdmin:
    def test_the_edit_page_shows_the_notice_and_its_button_confirms(self, workspace, member):
        row = f.TransactionFactory(workspace=workspace, needs_confirmation=True)
        client = Client()
        client.force_login(member)
        page = client.get(reverse("finance:transaction-edit", args=[row.pk]))
        confirm_url = reverse("finance:transaction-confirm", args=[row.pk])
        assert page.status_code == 200
        assert f'action="{confirm_url}"' in page.content.decode()
        response = client.post(confirm_url)
        assert response.status_code == 302
        assert response["Location"] == reverse("finance:transaction-edit", args=[row.pk])
        row.refresh_from_db()
        assert (row.needs_confirmation, row.confirmed_by) == (False, member)
        assert f'action="{confirm_url}"' not in client.get(response["Location"]).content.decode()

    def test_a_viewer_s_post_to_the_page_is_403(self, workspace, viewer):
        row = f.TransactionFactory(workspace=workspace, needs_confirmation=True)
        client = Client()
        client.force_login(viewer)
        assert client.post(reverse("finance:transaction-confirm", args=[row.pk])).status_code == 403
        row.refresh_from_db()
        assert row.needs_confirmation is True

    def test_the_admin_action_confirms_the_selected_rows(self, workspace):
        staff = f.UserFactory(username="root", is_staff=True, is_superuser=True)
        flagged = f.TransactionFactory(workspace=workspace, needs_confirmation=True)
        plain = f.TransactionFactory(workspace=workspace)
        client = Client()
        client.force_login(staff)
        response = client.post(reverse("admin:finance_transaction_changelist"), {
            "action": "confirm_amounts", "_selected_action": [flagged.pk, plain.pk],
        }, follow=True)
        assert response.status_code == 200
        assert "Confirmed 1 amount; 1 awaited no confirmation." in [str(m) for m in response.context["messages"]]
        flagged.refresh_from_db()
        assert (flagged.needs_confirmation, flagged.confirmed_by) == (False, staff)
