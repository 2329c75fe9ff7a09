"""Backups: ``manage.py backup`` / ``restore`` round trip on the test suite's own database
(SQLite locally, PostgreSQL in CI: the restore goes into a scratch database created and
dropped by the test), and every refusal leaves the database and the storage as they were."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from finance.services.backups import BackupError, backup_create, backup_restore
from forecasting.registry.services import model_version_deploy
from tests import factories as f
from tests.factories import fitted_version
from tests.finance.backup_probe import probe

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = "from tests.finance.backup_probe import main; main()"
#: what the settings read from the environment: replaced so the restore touches neither
#: the test database nor the developer's or CI's files
ISOLATED = ("DATABASE_URL", "CACHE_URL", "CELERY_", "LEDGERWISE_", "MEDIA_ROOT", "PYTHONPATH", "DJANGO_SETTINGS_MODULE",
            "PROMETHEUS_MULTIPROC_DIR", "ML_ARTIFACT_KEYS")
TIMEOUT = 600  # seconds


#: the key the weekly model of ``books`` is encrypted with (artifacts at rest)
KEY = Fernet.generate_key().decode()


@pytest.fixture
def books(db, settings):
    """Two workspaces' books (so the counters have counted), a deployed forecaster, a
    candidate, and a deployed weekly one whose artifact is encrypted with :data:`KEY`."""
    workspace, other = f.WorkspaceFactory(name="Bakery"), f.WorkspaceFactory(name="Hardware")
    for ws in (workspace, other):
        f.TransactionFactory.create_batch(4, workspace=ws)
        f.TransactionFactory.create_batch(2, workspace=ws, kind="revenue", amount=Decimal("250.00"))
        f.SaleFactory.create_batch(3, workspace=ws)
    model_version_deploy(version=fitted_version(workspace=workspace))
    fitted_version(workspace=workspace, algorithm="seasonal_naive")
    settings.ML_ARTIFACT_KEYS = [KEY]
    model_version_deploy(version=fitted_version(workspace=other, algorithm="ets", frequency="W"))
    return workspace


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(ISOLATED)}
    env.update(DATABASE_URL=database_url, CACHE_URL="locmemcache://restore-test", CELERY_BROKER_URL="memory://",
               CELERY_TASK_ALWAYS_EAGER="false", LEDGERWISE_VAR_DIR=str(tmp_path / "restored-var"),
               MEDIA_ROOT=str(tmp_path / "restored-media"))
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


@contextmanager
def _empty_database(tmp_path: Path):
    """The URL of a new, empty database of the test database's kind (dropped afterwards)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"ledgerwise_restore_{uuid.uuid4().hex[:12]}"
    server = {"host": settings["HOST"] or None, "port": settings["PORT"] or None, "user": settings["USER"] or None,
              "password": settings["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in server.items() if v}) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            credentials = quote(settings["USER"] or "", safe="") + (
                f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else "")
            yield f"postgres://{credentials}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _deltas(before: list, after: list) -> dict[tuple, int]:
    old = {(ws, target): rows for ws, target, rows, _ in before}
    return {(ws, target): rows - old.get((ws, target), 0) for ws, target, rows, _ in after
            if rows != old.get((ws, target), 0)}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_restore_into_an_empty_database_reproduces_every_row_artifact_counter_and_forecast(tmp_path, books):
    # given the books, their models and counters, backed up
    before = probe()
    assert len(before["artifacts"]) == 3 and len(before["forecasts"]) == 2
    assert all(rows > 0 for _, _, rows, _ in before["counters"])
    (tmp_path / "backups").mkdir()
    archive = backup_create(output=tmp_path / "backups").path
    assert archive.name.startswith("ledgerwise-") and archive.name.endswith(".tar.gz")
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:  # the encrypted artifact stays encrypted in the backup
        stored = [tar.extractfile(m).read() for m in tar.getmembers() if m.name.startswith("artifacts/")]
    assert sorted(data.startswith(b"gAAAAA") for data in stored) == [False, False, True]

    with _empty_database(tmp_path) as database_url:
        env = _env(tmp_path, database_url)
        # when it is restored by another process configured for a new, empty database
        # (without the artifact key: checksums are over the stored bytes)
        restored = _manage(env, "restore", "--input", str(archive))
        assert restored.returncode == 0, restored.stderr
        after = _manage({**env, "BACKUP_PROBE_WRITE": "1", "ML_ARTIFACT_KEYS": KEY}, "shell", "-c", PROBE)
        assert after.returncode == 0, after.stderr
        after = json.loads(after.stdout.strip().splitlines()[-1])
        # and restored a second time into what is now a database with tables
        again = _manage(env, "restore", "--input", str(archive))

    # then every row, every artifact, every counter and each deployed model's forecast is the same
    assert "3 verified artifacts (3 files written)" in restored.stdout
    assert after["row_counts"] == before["row_counts"]
    assert after["artifacts"] == before["artifacts"]
    assert all(recorded == stored for recorded, stored in after["artifacts"].values())
    assert after["counters"] == before["counters"]  # restoring counted nothing twice
    assert after["forecasts"] == before["forecasts"]
    # the counting triggers came back: a new expense counts once for each of its targets
    counted = _deltas(after["counters"], after["counters_after_one_expense"])
    assert set(counted.values()) == {1}
    assert {target for _, target in counted} >= {"expense", "categorizer"}
    # and the second restore was refused
    assert again.returncode == 1
    assert "is not empty" in again.stderr and "--force" in again.stderr


def _rewrite(archive: Path, into: Path, change) -> Path:
    """A copy of ``archive`` whose members went through ``change(name, data) -> data | None``."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(into, "w") as tar:
        for member, data in members:
            data = change(member.name, data)
            if data is None:
                continue
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return into


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


DAMAGES = {
    "an artifact changed": lambda name, data: _flip_last_byte(data) if name.startswith("artifacts/") else data,
    "the dump changed": lambda name, data: _flip_last_byte(data) if name.startswith("database.") else data,
    "an artifact missing": lambda name, data: None if name.startswith("artifacts/") else data,
    "a member added": lambda name, data: data,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", [*DAMAGES, "truncated", "not a backup"])
def test_a_damaged_archive_is_refused_and_nothing_is_written(tmp_path, books, settings, damage):
    # given a backup damaged in one way
    archive = backup_create(output=tmp_path / "backup.tar").path
    bad = tmp_path / "damaged.tar"
    if damage == "truncated":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif damage == "not a backup":
        bad.write_bytes(b"hello")
    else:
        _rewrite(archive, bad, DAMAGES[damage])
        if damage == "a member added":
            with tarfile.open(bad, "a") as tar:
                extra = tarfile.TarInfo("artifacts/models/extra.pkl")
                extra.size = 3
                tar.addfile(extra, io.BytesIO(b"abc"))
    settings.MEDIA_ROOT = str(tmp_path / "target-media")
    before = _row_counts()
    # when it is restored, even with --force
    with pytest.raises(BackupError, match="is not an intact Ledgerwise backup") as refused:
        backup_restore(archive=bad, force=True)
    # then it was refused before anything was written
    assert "Nothing was restored" in str(refused.value)
    assert _row_counts() == before
    assert not (tmp_path / "target-media").exists()


@pytest.mark.django_db(transaction=True)
def test_a_restore_into_a_database_with_tables_is_refused_unless_forced(tmp_path, books, settings):
    archive = backup_create(output=tmp_path / "backup.tar").path
    settings.MEDIA_ROOT = str(tmp_path / "target-media")
    f.TransactionFactory(workspace=books)  # the database differs from the backup now
    before = _row_counts()
    with pytest.raises(CommandError, match=r"is not empty \(\d+ tables, e\.g\. .*pass --force to replace"):
        call_command("restore", "--input", str(archive))
    assert _row_counts() == before
    assert not (tmp_path / "target-media").exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_a_newer_installation_is_refused(tmp_path, books):
    archive = backup_create(output=tmp_path / "backup.tar").path

    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"]["forecasting"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    before = _row_counts()
    with pytest.raises(BackupError, match=r"newer Ledgerwise \(migrations unknown here: forecasting\.9999_from"):
        backup_restore(archive=_rewrite(archive, tmp_path / "newer.tar", newer), force=True)
    assert _row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_damaged_artifact_stops_the_backup_unless_allowed(tmp_path, books):
    from django.core.files.storage import default_storage

    from forecasting.registry.models import ModelVersion

    version = ModelVersion.objects.filter(workspace=books).order_by("pk").first()
    with default_storage.open(version.artifact_path, "wb") as handle:
        handle.write(b"tampered")
    with pytest.raises(BackupError, match=rf"1 artifacts are damaged.*{version.artifact_path} \(versions "
                                          rf"\[{version.pk}\]\): its sha256 differs"):
        backup_create(output=tmp_path / "refused.tar")
    assert not (tmp_path / "refused.tar").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["media"]  # no partial archive, no temporary folder left
    result = backup_create(output=tmp_path / "allowed.tar", allow_damaged=True)
    assert [d["versions"] for d in result.manifest["damaged_artifacts"]] == [[version.pk]]


@pytest.mark.django_db(transaction=True)
def test_the_manifest_lists_checksums_migrations_vendor_and_time(tmp_path, books):
    from forecasting.registry.models import ModelVersion

    result = backup_create(output=tmp_path / "backup.tar")
    manifest = result.manifest
    with tarfile.open(result.path) as tar:
        names = tar.getnames()
        assert json.loads(tar.extractfile("manifest.json").read()) == manifest
    assert manifest["database"]["vendor"] == connection.vendor
    assert dt.datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert "0001_initial" in manifest["migrations"]["finance"]
    assert names == ["manifest.json", manifest["database"]["file"],
                     *(f"artifacts/{a['path']}" for a in manifest["artifacts"])]
    assert {a["path"] for a in manifest["artifacts"]} == set(
        ModelVersion.objects.values_list("artifact_path", flat=True))
    assert manifest["database"]["row_counts"] == _row_counts()
