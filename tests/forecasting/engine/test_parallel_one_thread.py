"""One BLAS/OpenMP thread inside a competition's fits, found once per set of loaded modules."""

from __future__ import annotations

import numpy as np  # noqa: F401 - numpy's BLAS is loaded
from threadpoolctl import threadpool_info, threadpool_limits

from forecasting.engine import parallel


def threads() -> set[int]:
    return {p["num_threads"] for p in threadpool_info()}


def test_every_thread_pool_is_limited_to_one_inside_and_restored_after():
    # Given every pool at two threads (whatever the environment pins)
    with threadpool_limits(limits=2):
        assert threads() == {2}
        # When a competition's fits run, then one thread each; after, two again
        with parallel.one_thread():
            assert threads() == {1}
        assert threads() == {2}


def test_the_libraries_are_looked_for_again_only_after_new_imports(monkeypatch):
    with parallel.one_thread():
        pass
    first = parallel._thread_pools()
    assert parallel._thread_pools() is first  # nothing imported since: the same controller
    monkeypatch.setitem(__import__("sys").modules, "a_module_imported_since", object())
    assert parallel._thread_pools() is not first
