"""The harness of the migration tests: the test database moved to a migration, forwards or
backwards (the ``migrate_to`` fixture of ``conftest.py`` puts it back to the latest
migrations after each test)."""

from __future__ import annotations

import importlib

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migration_before(app_label: str, name: str) -> tuple[str, str]:
    """The migration of ``app_label`` that migration ``name`` follows (its dependency in the
    same app): where a test of ``name`` starts."""
    migration = importlib.import_module(f"{app_label}.migrations.{name}").Migration
    return next(dep for dep in migration.dependencies if dep[0] == app_label)


def database_migrate(target: tuple[str, str] | None = None) -> Apps:
    """Migrate the test database to ``target`` (app label, migration name), or to the latest
    migrations without one; returns the models as they are then (``apps.get_model``)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = [target] if target is not None else executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
