"""Fixtures of the migration tests (tests/migrations/harness.py)."""

from __future__ import annotations

import pytest

from tests.migrations.harness import database_migrate


@pytest.fixture
def migrate_to(transactional_db):
    """``migrate_to((app_label, name))`` migrates the test database to that migration and
    returns the models as they were then; after the test the database is migrated to the
    latest migrations again, for the tests that follow."""
    yield database_migrate
    database_migrate()
