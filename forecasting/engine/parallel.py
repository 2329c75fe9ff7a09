"""How a competition's candidates share the machine: how many processes, whether this
process may start any, and one BLAS/OpenMP thread per fit (see
:mod:`forecasting.engine.competition`)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterator
from typing import Any

#: The environment variable that sets the default ``n_jobs`` of a competition.
JOBS_ENV = "ML_COMPETITION_JOBS"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def default_jobs() -> int:
    """``n_jobs`` of a competition not given one: ``ML_COMPETITION_JOBS`` when set (a
    whole number ≥ 1), else the available cores but one, at least 1."""
    value = os.environ.get(JOBS_ENV, "").strip()
    if value:
        try:
            jobs = int(value)
        except ValueError:
            raise ValueError(f"{JOBS_ENV} must be a whole number of processes; got {value!r}") from None
        if jobs < 1:
            raise ValueError(f"{JOBS_ENV} must be at least 1; got {jobs}")
        return jobs
    return max(1, available_cores() - 1)


def in_daemon_process() -> bool:
    """Whether this is a daemonic process (a Celery prefork pool process, a multiprocessing
    pool worker), which may not start child processes. Celery's pool is billiard's, which
    keeps its own record of the current process: both are read, neither is imported."""
    if multiprocessing.current_process().daemon:
        return True
    billiard = sys.modules.get("billiard.process")
    return bool(billiard is not None and billiard.current_process().daemon)


_controller: list = []  # [(modules loaded when it looked, ThreadpoolController)]


def _thread_pools() -> Any:
    """This process's BLAS/OpenMP libraries (a ``ThreadpoolController``), found again only
    when modules were imported since (a new import may load another library): looking for
    them reads every loaded shared object, milliseconds that a page running dozens of small
    competitions (coaching's spending forecasts) would pay each time."""
    from threadpoolctl import ThreadpoolController

    loaded = len(sys.modules)
    if not _controller or _controller[0][0] != loaded:
        _controller[:] = [(loaded, ThreadpoolController())]
    return _controller[0][1]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Every BLAS and OpenMP library of this process limited to one thread inside the
    block. The fits are small: extra threads only wait for each other, and beside other
    busy processes they make a fit many times slower (``benchmarks/worker/README.md``).
    scipy's own BLAS is loaded first so that it is limited too."""
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS before the limit is taken

    with _thread_pools().limit(limits=1):
        yield
