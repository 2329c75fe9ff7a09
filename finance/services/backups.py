"""Backups: the database and every model artifact in one archive, with a manifest of
checksums; and their restore into an empty database, checked before and after.

An archive (``tar``, gzipped when its name ends in ``.gz``/``.tgz``) holds:

- ``database.pgdump`` — PostgreSQL: ``pg_dump --format=custom`` of the configured
  database, taken in an exported snapshot (``pg_dump --snapshot``) so that the list of
  artifacts and the row counts below come from exactly the data dumped; or
  ``database.sqlite3`` — SQLite: a copy made by SQLite's online backup API in one step
  (one read transaction: consistent while web and workers write; a file copy of a live
  WAL database is not);
- ``artifacts/<path>`` — every file a model version points to (``artifact_path`` of the
  registry's table, read from the snapshot), as stored (encrypted ones stay encrypted:
  the keys are not in a backup);
- ``manifest.json`` — format, ``created_at``, the database vendor, the sha256 and size
  of the dump and of each artifact, the applied migrations, every table's row count and
  the new-data counters' totals.

A restore checks every checksum before it writes anything (a damaged archive is refused
with nothing written), refuses a database that has tables unless forced, writes the
artifacts, then the database (PostgreSQL: ``pg_restore`` into ``psql
--single-transaction``: all or nothing; SQLite: the backup API into the target file),
and finally checks the restored database against the manifest: every table's row count,
the counters, and every model version's artifact against its recorded sha256.

The new-data counters (``forecasting.training.counters``) are kept by triggers on the
finance tables. Neither restore fires them: ``pg_restore`` creates triggers after it has
loaded the data, and SQLite's backup API copies pages, not rows; the counters' totals in
the manifest prove it after every restore.

Finance imports nothing from forecasting: the registry's and the counters' tables are
read by name with SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

FORMAT = "ledgerwise-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARTIFACTS = "artifacts"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
#: The registry's table: its rows name the artifact files.
VERSIONS_TABLE = "forecasting_modelversion"
#: The new-data counters (kept by triggers): a restore must neither lose nor double them.
COUNTERS_TABLE = "forecasting_targetstate"
#: libpq connection options of ``DATABASES[...]["OPTIONS"]`` passed on to pg_dump/psql.
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout", "application_name",
                 "options", "target_session_attrs", "gssencmode", "channel_binding", "service")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done (or whose check failed); the message says why."""


@dataclass(frozen=True)
class _State:
    """What the snapshot holds besides the dump: read from the same data."""

    versions: list[tuple[int, str, str]]  # (id, artifact_path, artifact_sha256)
    migrations: dict[str, list[str]]
    row_counts: dict[str, int]
    counters: dict[str, int]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    tables: int = 0
    rows: int = 0
    artifacts_written: int = 0
    artifacts_verified: int = 0
    unapplied_migrations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_stored(path: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_relative(name: str) -> bool:
    """A relative POSIX path that stays inside the folder it is joined to."""
    path = PurePosixPath(name)
    return bool(name) and "\\" not in name and not path.is_absolute() and ".." not in path.parts and "" not in name.split("/")


def _read_state(cursor: Any, tables: Sequence[str], quote: Any) -> _State:
    versions: list[tuple[int, str, str]] = []
    if VERSIONS_TABLE in tables:
        cursor.execute(f"SELECT id, artifact_path, artifact_sha256 FROM {VERSIONS_TABLE} "  # noqa: S608 - constants
                       "WHERE artifact_path <> '' ORDER BY id")
        versions = [(int(pk), path, sha) for pk, path, sha in cursor.fetchall()]
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    row_counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - the database's own table names
        row_counts[table] = int(cursor.fetchone()[0])
    counters = {}
    if COUNTERS_TABLE in tables:
        cursor.execute(f"SELECT COALESCE(SUM(new_rows), 0), COALESCE(SUM(new_feedback), 0) FROM {COUNTERS_TABLE}")  # noqa: S608
        new_rows, new_feedback = cursor.fetchone()
        counters = {"new_rows": int(new_rows), "new_feedback": int(new_feedback)}
    return _State(versions=versions, migrations=migrations, row_counts=row_counts, counters=counters)


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_name(connection: Any) -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("An in-memory SQLite database cannot be backed up or restored; use a database file.")
    return name


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_dump(connection: Any, into: Path) -> _State:
    """Copy the live database with SQLite's online backup API in one step (one read
    transaction: a consistent snapshot even while other processes write)."""
    name = _sqlite_name(connection)
    if not Path(name).is_file():
        raise BackupError(f"There is no database at {name}.")
    source = sqlite3.connect(name, timeout=30)
    target = sqlite3.connect(into)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tables = [name for (name,) in target.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return _read_state(target.cursor(), tables, _sqlite_quote)
    finally:
        target.close()
        source.close()


def _sqlite_restore(connection: Any, dump: Path) -> None:
    """Replace the target database's content by the copy (the backup API, page by page:
    no trigger runs)."""
    name = _sqlite_name(connection)
    connection.close()
    source = sqlite3.connect(dump)
    target = sqlite3.connect(name, timeout=30)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore into {name}: {exc}") from exc
    finally:
        target.close()
        source.close()


# --- PostgreSQL -----------------------------------------------------------------------------

def _libpq(connection: Any, workdir: Path) -> tuple[str, dict[str, str]]:
    """The connection string and environment of pg_dump/pg_restore/psql for ``connection``:
    the password goes through a private password file, never on a command line."""
    from psycopg.conninfo import make_conninfo

    settings_dict = connection.settings_dict
    params = {"dbname": settings_dict["NAME"], "user": settings_dict.get("USER"),
              "host": settings_dict.get("HOST"), "port": settings_dict.get("PORT")}
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: options[key] for key in LIBPQ_OPTIONS if key in options})
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        passfile = workdir / ".pgpass"
        escaped = settings_dict["PASSWORD"].replace("\\", "\\\\").replace(":", "\\:")
        passfile.write_text(f"*:*:*:*:{escaped}\n")
        passfile.chmod(0o600)
        env["PGPASSFILE"] = str(passfile)
    return make_conninfo(**{key: str(value) for key, value in params.items() if value not in (None, "")}), env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client programs are needed to {what}).") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed to {what}: {done.stderr.strip() or done.stdout.strip()}")


def _postgresql_dump(connection: Any, into: Path, workdir: Path) -> _State:
    """``pg_dump`` in a snapshot exported by a read-only repeatable-read transaction that
    also reads the artifact list, migrations and row counts: all from the same data."""
    if connection.in_atomic_block:
        raise BackupError("A backup must start outside a transaction (it opens its own snapshot).")
    conninfo, env = _libpq(connection, workdir)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={into}", "--no-password",
              f"--dbname={conninfo}"], env=env, what="dump the database")
        tables = connection.introspection.table_names(cursor)
        return _read_state(cursor, tables, connection.ops.quote_name)


def _postgresql_restore(connection: Any, dump: Path, workdir: Path, *, drop: Sequence[str]) -> None:
    """``pg_restore``'s script piped into ``psql --single-transaction``: the restore (and,
    with ``drop``, dropping the tables there were) commits whole or not at all. psql only
    commits at the end of its input, so when pg_restore fails it is killed before that."""
    conninfo, env = _libpq(connection, workdir)
    connection.close()
    restore = ["pg_restore", "--no-owner", "--no-privileges", "--file=-"]
    psql = ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--no-password",
            f"--dbname={conninfo}"]
    if drop:
        restore += ["--clean", "--if-exists"]  # drops the dump's other objects too (the counters' functions)
        psql.append(f"--command=DROP TABLE IF EXISTS {', '.join(connection.ops.quote_name(t) for t in drop)} CASCADE")
    restore.append(str(dump))
    psql.append("--file=-")
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        try:
            producer = subprocess.Popen(restore, env=env, stdout=subprocess.PIPE, stderr=restore_errors)
            consumer = subprocess.Popen(psql, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=psql_errors)
        except FileNotFoundError as exc:
            raise BackupError(f"{exc.filename} is not installed (PostgreSQL's client programs restore a "
                              "PostgreSQL backup).") from exc
        psql_stopped = False
        try:
            shutil.copyfileobj(producer.stdout, consumer.stdin, CHUNK)
        except BrokenPipeError:
            psql_stopped = True  # at an error: reported below
        finally:
            producer.stdout.close()
            producer.wait()
        if producer.returncode != 0 and not psql_stopped:
            consumer.kill()  # before its input ends: nothing is committed
            consumer.wait()
            restore_errors.seek(0)
            raise BackupError(f"pg_restore failed; the database was not changed: {restore_errors.read().decode().strip()}")
        with contextlib.suppress(BrokenPipeError):
            consumer.stdin.close()
        consumer.wait()
        if consumer.returncode != 0:
            psql_errors.seek(0)
            raise BackupError(f"psql failed to restore the database; it was not changed: "
                              f"{psql_errors.read().decode().strip()}")


# --- Backup ---------------------------------------------------------------------------------

def _archive_path(name: str | Path, now: dt.datetime) -> Path:
    output = Path(name)
    if output.is_dir() or str(name).endswith(("/", os.sep)):
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"ledgerwise-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if output.exists():
        raise BackupError(f"{output} already exists; choose another name (a backup never overwrites one).")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    return output


def _tar_mode(path: Path, write: bool) -> str:
    gz = path.name.endswith((".gz", ".tgz"))
    return ("w:gz" if gz else "w") if write else "r:*"


def _artifacts_copy(versions: Iterable[tuple[int, str, str]], into: Path) -> tuple[list[dict], list[dict]]:
    """Copy each version's artifact (as stored) into ``into``; returns the manifest's
    artifacts and the damaged ones (missing, or not matching the version's sha256)."""
    by_path: dict[str, list[tuple[int, str]]] = {}
    for pk, path, sha256 in versions:
        by_path.setdefault(path, []).append((pk, sha256))
    artifacts, damaged = [], []
    for path, owners in sorted(by_path.items()):
        ids = [pk for pk, _ in owners]
        if not _safe_relative(path):
            damaged.append({"path": path, "versions": ids, "problem": "the path leaves the artifact storage"})
            continue
        copy = into / ARTIFACTS / path
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(path, "rb") as source, open(copy, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        except OSError as exc:
            damaged.append({"path": path, "versions": ids, "problem": f"missing or unreadable: {exc}"})
            copy.unlink(missing_ok=True)
            continue
        sha256 = _sha256_file(copy)
        artifacts.append({"path": path, "sha256": sha256, "size": copy.stat().st_size, "versions": ids})
        if any(recorded != sha256 for _, recorded in owners):
            damaged.append({"path": path, "versions": ids, "problem": "its sha256 differs from the version's record"})
    return artifacts, damaged


def backup_create(*, output: str | Path, using: str = DEFAULT_DB_ALIAS, allow_damaged: bool = False) -> BackupResult:
    """Write a backup archive to ``output`` (a file name, or a folder to put a dated
    ``ledgerwise-<UTC time>.tar.gz`` in). Refused when an artifact is missing or does not
    match its version's sha256, unless ``allow_damaged`` (then the manifest lists them)."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DUMP_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    now = dt.datetime.now(tz=dt.UTC)
    path = _archive_path(output, now)
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".ledgerwise-backup-", dir=path.parent) as tmp:
        work = Path(tmp)
        dump = work / DUMP_FILES[vendor]
        if vendor == "sqlite":
            state = _sqlite_dump(connection, dump)
        else:
            state = _postgresql_dump(connection, dump, work)
        artifacts, damaged = _artifacts_copy(state.versions, work)
        if damaged and not allow_damaged:
            listed = "; ".join(f"{d['path']} (versions {d['versions']}): {d['problem']}" for d in damaged)
            raise BackupError(f"{len(damaged)} artifacts are damaged, so this would not be a faithful backup: "
                              f"{listed}. Fix or delete those versions, or pass --allow-damaged to back up anyway.")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "django": django.get_version(),
            "database": {
                "vendor": vendor, "file": dump.name, "sha256": _sha256_file(dump), "size": dump.stat().st_size,
                "row_counts": state.row_counts, "counters": state.counters,
            },
            "migrations": state.migrations,
            "artifacts": artifacts,
            "damaged_artifacts": damaged,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))

        def private(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o600 if info.isfile() else 0o700
            return info

        try:
            with open(partial, "xb") as raw:
                os.chmod(partial, 0o600)  # the dump holds password hashes and every workspace's books
                with tarfile.open(fileobj=raw, mode=_tar_mode(path, write=True)) as tar:
                    tar.add(work / MANIFEST, arcname=MANIFEST, filter=private)
                    tar.add(dump, arcname=dump.name, filter=private)
                    for artifact in artifacts:
                        tar.add(work / ARTIFACTS / artifact["path"], arcname=f"{ARTIFACTS}/{artifact['path']}",
                                filter=private)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(path=path, manifest=manifest)


# --- Restore --------------------------------------------------------------------------------

def _damaged(archive: Path, why: str) -> BackupError:
    return BackupError(f"{archive} is not an intact Ledgerwise backup: {why}. Nothing was restored.")


def archive_verify(*, archive: Path, into: Path) -> dict[str, Any]:
    """Unpack ``archive`` into ``into`` and check it against its manifest: every member
    expected and present, every checksum equal. Returns the manifest."""
    archive = Path(archive)
    digests: dict[str, str] = {}
    try:
        with tarfile.open(archive, _tar_mode(archive, write=False)) as tar:
            for member in tar:
                name = member.name
                if member.isdir() and _safe_relative(name.rstrip("/")):
                    continue  # an archive packed again by hand lists its folders
                if not member.isfile() or not _safe_relative(name) or name in digests:
                    raise _damaged(archive, f"unexpected member {name!r}")
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with tar.extractfile(member) as source, open(target, "wb") as copy:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
                digests[name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _damaged(archive, f"it cannot be read ({exc})") from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        database = manifest["database"]
        expected = {database["file"]: database["sha256"]}
        expected.update({f"{ARTIFACTS}/{a['path']}": a["sha256"] for a in manifest["artifacts"]})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _damaged(archive, f"its manifest is missing or unreadable ({exc})") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise _damaged(archive, f"unknown format {manifest.get('format')!r} {manifest.get('format_version')!r}")
    if database.get("vendor") not in DUMP_FILES or database["file"] != DUMP_FILES[database["vendor"]]:
        raise _damaged(archive, f"unknown database {database.get('vendor')!r}")
    digests.pop(MANIFEST)
    problems = [f"{name} is missing" for name in sorted(expected.keys() - digests.keys())]
    problems += [f"{name} is not listed in the manifest" for name in sorted(digests.keys() - expected.keys())]
    problems += [f"{name} does not match its sha256" for name in sorted(expected.keys() & digests.keys())
                 if digests[name] != expected[name]]
    if problems:
        raise _damaged(archive, "; ".join(problems))
    return manifest


def _unknown_migrations(migrations: dict[str, list[str]]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [f"{app}.{name}" for app, names in sorted(migrations.items()) for name in names if (app, name) not in known]


def _artifact_conflicts(manifest: dict[str, Any]) -> list[str]:
    """Artifact paths of the backup where the storage already holds different bytes."""
    return [a["path"] for a in manifest["artifacts"]
            if default_storage.exists(a["path"]) and _sha256_stored(a["path"]) != a["sha256"]]


def _artifacts_write(manifest: dict[str, Any], work: Path) -> int:
    written = 0
    for artifact in manifest["artifacts"]:
        path = artifact["path"]
        if default_storage.exists(path):
            if _sha256_stored(path) == artifact["sha256"]:
                continue
            default_storage.delete(path)  # only with force: _artifact_conflicts refused it otherwise
        with open(work / ARTIFACTS / path, "rb") as handle:
            saved = default_storage.save(path, File(handle))
        if saved != path:
            raise BackupError(f"The storage saved artifact {path} as {saved}; the restore stopped.")
        written += 1
    return written


def _verify(connection: Any, manifest: dict[str, Any], result: RestoreResult) -> None:
    """Compare the restored database with the manifest and every artifact with its version."""
    database = manifest["database"]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        state = _read_state(cursor, tables, connection.ops.quote_name)
    problems = [f"table {table} has {state.row_counts.get(table)} rows, the backup {count}"
                for table, count in sorted(database["row_counts"].items()) if state.row_counts.get(table) != count]
    if state.counters != database["counters"]:
        problems.append(f"the new-data counters add up to {state.counters}, the backup's to {database['counters']}")
    damaged = {path for d in manifest.get("damaged_artifacts", []) for path in [d["path"]]}
    for pk, path, sha256 in state.versions:
        try:
            actual = _sha256_stored(path)
        except OSError:
            actual = None
        if actual == sha256:
            result.artifacts_verified += 1
        elif path in damaged:
            result.warnings.append(f"version {pk}: artifact {path} was already damaged when the backup was made")
        else:
            problems.append(f"version {pk}: artifact {path} is {'missing' if actual is None else 'different'}")
    if problems:
        raise BackupError("The restore was written but its check failed: " + "; ".join(problems))
    result.tables, result.rows = len(state.row_counts), sum(state.row_counts.values())
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    result.unapplied_migrations = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def backup_restore(*, archive: Path, using: str = DEFAULT_DB_ALIAS, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the configured database (empty, unless ``force``: then
    everything in it is replaced) and storage, then check the result. Every check that
    can fail before writing runs before anything is written."""
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix=".ledgerwise-restore-") as tmp:
        work = Path(tmp)
        manifest = archive_verify(archive=Path(archive), into=work)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(f"This is a {vendor} backup; the configured database is {connection.vendor}. "
                              "Nothing was restored.")
        unknown = _unknown_migrations(manifest["migrations"])
        if unknown:
            raise BackupError(f"The backup was made by a newer Ledgerwise (migrations unknown here: "
                              f"{', '.join(unknown)}); upgrade this installation first. Nothing was restored.")
        if vendor == "sqlite":
            _sqlite_name(connection)
        tables = connection.introspection.table_names()
        if tables and not force:
            raise BackupError(f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} tables, "
                              f"e.g. {', '.join(sorted(tables)[:3])}). Restore into a new, empty database, or pass "
                              "--force to replace everything in it. Nothing was restored.")
        conflicts = _artifact_conflicts(manifest)
        if conflicts and not force:
            raise BackupError(f"The artifact storage already holds other files at {len(conflicts)} of the backup's "
                              f"paths (e.g. {conflicts[0]}); pass --force to replace them. Nothing was restored.")
        result = RestoreResult(manifest=manifest)
        result.artifacts_written = _artifacts_write(manifest, work)
        dump = work / manifest["database"]["file"]
        if vendor == "sqlite":
            _sqlite_restore(connection, dump)
        else:
            _postgresql_restore(connection, dump, work, drop=tables)
        connection.close()
        _verify(connection, manifest, result)
    return result
