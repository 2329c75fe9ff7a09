"""What a backup must reproduce, read the same way from the original database (in the test
process) and from the restored one (in a ``manage.py shell`` of its own):

    manage.py shell -c "from tests.finance.backup_probe import main; main()"

prints :func:`probe` as JSON: every table's row count, every model version's recorded
sha256 and the sha256 of its file, the new-data counters, and a forecast of each
deployed forecaster; with ``BACKUP_PROBE_WRITE=1`` it then adds one expense and reports
the counters again (the counting triggers survived the restore and count once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal
from typing import Any

HORIZON = 6


def _counters() -> list[list[Any]]:
    from forecasting.registry.models import TargetState

    return [list(row) for row in TargetState.objects.order_by("workspace_id", "target").values_list(
        "workspace_id", "target", "new_rows", "new_feedback")]


def probe() -> dict[str, Any]:
    from django.core.files.storage import default_storage
    from django.db import connection

    from forecasting.registry.artifacts import artifact_load
    from forecasting.registry.models import ModelVersion

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in sorted(tables):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    artifacts, forecasts = {}, {}
    for version in ModelVersion.objects.exclude(artifact_path="").order_by("pk"):
        with default_storage.open(version.artifact_path, "rb") as handle:
            artifacts[str(version.pk)] = [version.artifact_sha256, hashlib.sha256(handle.read()).hexdigest()]
        if version.status == ModelVersion.Status.DEPLOYED and version.kind == "forecaster":
            forecast = artifact_load(version_id=version.pk, path=version.artifact_path,
                                     sha256=version.artifact_sha256).predict(HORIZON)
            forecasts[str(version.pk)] = [[float(x) for x in values] for values in
                                          (forecast.mean, forecast.lo80, forecast.hi80, forecast.lo95, forecast.hi95)]
    return {"row_counts": counts, "artifacts": artifacts, "counters": _counters(), "forecasts": forecasts}


def write_one_expense() -> list[list[Any]]:
    """Add one expense to the first workspace; return the counters afterwards."""
    from finance.models import Transaction, Workspace

    workspace = Workspace.objects.order_by("pk").first()
    Transaction.objects.create(workspace=workspace, kind=Transaction.Kind.EXPENSE, amount=Decimal("9.99"),
                               currency="USD", date=dt.date(2025, 6, 1), description="after the restore")
    return _counters()


def main() -> None:
    result = probe()
    if os.environ.get("BACKUP_PROBE_WRITE") == "1":
        result["counters_after_one_expense"] = write_one_expense()
    print(json.dumps(result))  # noqa: T201 - read by the test
