"""One thread per math library in the processes that fit models: Celery workers and tests.

NumPy's and SciPy's OpenBLAS, the OpenMP runtimes of LightGBM and PyTorch, and MKL
each start one thread per core in every process by default. A worker runs several pool
processes on a few cores, and the models' matrices are small: the threads only wait for
each other and make a fit many times slower (``benchmarks/worker/README.md``).

Two layers, because a library reads its thread count when it is loaded: the environment
variables for the libraries a process loads later, and threadpoolctl for those already
loaded. The forecasting engine also runs each competition under one thread
(``forecasting.engine.parallel.one_thread``), whoever calls it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: Read by OpenMP, OpenBLAS, MKL, Apple's Accelerate and numexpr when they load.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)
WORKER_INIT_UID = "ledgerwise.threads.worker_init"
WORKER_PROCESS_INIT_UID = "ledgerwise.threads.worker_process_init"


def math_threads_pin() -> None:
    """Limit every math library of this process, loaded now or later, to one thread."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    torch = sys.modules.get("torch")  # its intra-op pool has a count of its own
    if torch is not None:
        torch.set_num_threads(1)


def worker_threads_pin(**kwargs: Any) -> None:
    """Celery ``worker_init`` (the main process: its solo or thread pool, and what the
    prefork pool processes inherit) and ``worker_process_init`` (each pool process after
    the fork) receiver."""
    math_threads_pin()
