"""Region-partitioned discovery on a ``dask.distributed`` cluster (``--engine dask``).

The regions of :mod:`swim.engine.partition` are independent: :class:`DaskRunner` sends each
to a dask worker, which runs :func:`~swim.engine.partition.region_clusters` — the very
function the single-machine engine (:class:`~swim.engine.partition.LocalRunner`) runs in
turn — and gathers the candidates in region order; the resolution of a large area is
searched the same way, as one task. The same partition therefore gives the same
candidates on either engine.

Without a scheduler address a ``LocalCluster`` of ``n_workers`` single-threaded worker
processes is started on this machine for the run and closed after it; with one (e.g.
``tcp://scheduler.example.org:8786``), the run uses that cluster, whose workers must have
SWiM (the same version) and its dependencies installed, since they import
``swim.engine.partition`` to run the work. See ``docs/operations.md``.

dask is optional (``pip install 'swim[distributed]'``) and imported only here, only when
this engine is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from swim.engine.partition import Region

__all__ = ["DaskRunner", "DaskUnavailableError", "dask_runner", "require_dask"]

T = TypeVar("T")


class DaskUnavailableError(ImportError):
    """dask.distributed is not installed, so ``--engine dask`` cannot run."""


def require_dask() -> Any:
    """The ``dask.distributed`` module, or a clear error saying how to install it."""
    try:
        import dask.distributed
    except ImportError as exc:
        raise DaskUnavailableError(
            "The dask engine needs dask.distributed, which is not installed: "
            "pip install 'swim[distributed]' (or 'dask[distributed]'), or use the local engine."
        ) from exc
    return dask.distributed


@contextmanager
def _client(scheduler_address: str | None, n_workers: int, processes: bool) -> Iterator[Any]:
    """A dask Client: to ``scheduler_address``, or to a LocalCluster started for the run."""
    distributed = require_dask()
    if scheduler_address:
        client = distributed.Client(scheduler_address)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=None,
    )
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


class DaskRunner:
    """Runs region tasks on a dask Client (see :class:`~swim.engine.partition.Runner`).

    Regions are scattered to the workers, the largest submitted first (so that the long
    ones start early and the workers finish together), and the results gathered back in
    the order of the regions.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(
        self,
        fn: Callable[[Region, Mapping[str, Any]], T],
        regions: Sequence[Region],
        params: Mapping[str, Any],
    ) -> list[T]:
        if not regions:
            return []
        plain = dict(params)
        order = sorted(range(len(regions)), key=lambda i: (-len(regions[i].members), i))
        scattered = self.client.scatter([regions[i] for i in order])
        futures = [
            self.client.submit(fn, region, plain, pure=False, priority=len(order) - k)
            for k, region in enumerate(scattered)
        ]
        results: list[T] = self.client.gather(futures)
        position = {region: k for k, region in enumerate(order)}
        return [results[position[i]] for i in range(len(regions))]


@contextmanager
def dask_runner(
    scheduler_address: str | None = None, n_workers: int = 2, processes: bool = True
) -> Iterator[DaskRunner]:
    """A :class:`DaskRunner` on the scheduler at ``scheduler_address`` (``tcp://host:8786``),
    or, without one, on a ``LocalCluster`` of ``n_workers`` single-threaded workers
    (processes, or threads of this process with ``processes=False``) started for the run
    and closed after it.

    Raises
    ------
    DaskUnavailableError
        When dask.distributed is not installed.
    """
    with _client(scheduler_address, n_workers, processes) as client:
        yield DaskRunner(client)
