"""Fixtures the finance tests share: a workspace's default account and a card account."""

from __future__ import annotations

import pytest

from finance.accounts.models import Account
from finance.accounts.services import account_create, account_default_get


@pytest.fixture
def main(workspace):
    return account_default_get(workspace=workspace)


@pytest.fixture
def card(workspace):
    return account_create(workspace=workspace, name="Visa card", kind=Account.Kind.CARD)
