"""PostgreSQL through Django's own backend, with one change: the persistent connection's
health check (``CONN_HEALTH_CHECKS``, a ``SELECT 1`` before the first query of every
request) runs only when the connection has been idle for ``HEALTH_CHECK_AFTER_IDLE``
seconds (default 5).

A connection that answered a query a moment ago is alive: under load every request paid a
round trip for nothing (one of the transactions list's five, benchmarks/load). A
connection left idle — where a restarted server or a dropped TCP session shows up — is
still checked before it is used. Within the idle window a connection that died answers its
query with an error, after which Django checks it and closes it at the end of the request
(``errors_occurred``), as it does without health checks."""

from __future__ import annotations

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Django's signature
        super().__init__(*args, **kwargs)
        self.used_at: float | None = None

    @property
    def health_check_after_idle(self) -> float:
        return float(self.settings_dict.get("HEALTH_CHECK_AFTER_IDLE", 5))

    def close_if_health_check_failed(self) -> None:
        recently_used = self.used_at is not None and time.monotonic() - self.used_at < self.health_check_after_idle
        if self.connection is not None and self.health_check_enabled and recently_used:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def create_cursor(self, name=None):  # noqa: ANN001, ANN201 - Django's signature
        self.used_at = time.monotonic()
        return super().create_cursor(name)

    def connect(self) -> None:
        super().connect()
        self.used_at = time.monotonic()
