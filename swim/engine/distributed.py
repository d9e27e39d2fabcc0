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

:func:`check_scheduler` tells, within a few seconds, whether a scheduler can be used (it
answers and has workers), so that a run can go on on this machine instead;
:func:`public_address` is an address safe to show (no user name, password or query).

dask is optional (``pip install 'swim[distributed]'``) and imported only here, only when
this engine is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from swim.engine.partition import Region

__all__ = [
    "QUIET_CLUSTER",
    "DaskRunner",
    "DaskUnavailableError",
    "SchedulerUnreachable",
    "check_scheduler",
    "dask_runner",
    "public_address",
    "require_dask",
]

T = TypeVar("T")
#: LocalCluster options for a cluster without a dashboard, its scheduler's small HTTP
#: server (health checks) on a free port of this machine only: never the "Port 8787 is
#: already in use" warning when another cluster holds 8787 (``dashboard_address=None``
#: alone still binds 8787).
QUIET_CLUSTER: dict[str, Any] = {
    "dashboard_address": "127.0.0.1:0",
    "scheduler_kwargs": {"dashboard": False},
}
#: ``progress(done, total)``: called as each task of a :meth:`DaskRunner.map` finishes.
TaskProgress = Callable[[int, int], None]


class DaskUnavailableError(ImportError):
    """dask.distributed is not installed, so ``--engine dask`` cannot run."""


class SchedulerUnreachable(OSError):
    """The dask scheduler at an address cannot be used; the message says why, safely."""


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


def public_address(address: str) -> str:
    """``address`` without any user name, password, query or fragment: safe to show.

    ``tcp://user:secret@host:8786?token=x`` gives ``tcp://host:8786``.
    """
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "", scheme
    host = rest.split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    return f"{scheme}://{host}" if sep else host


def _scrub(text: str, address: str) -> str:
    """``text`` (an error message) with ``address`` and its secret parts replaced."""
    public = public_address(address)
    rest = address.strip().partition("://")[2] or address.strip()
    text = text.replace(address.strip(), public).replace(rest, public.partition("://")[2] or public)
    userinfo = rest.split("?", 1)[0].rpartition("@")[0]
    return text.replace(userinfo, "…") if userinfo else text


def check_scheduler(address: str, timeout: float = 10.0) -> int:
    """How many workers the scheduler at ``address`` has, after checking it can be used.

    Connects within ``timeout`` seconds and waits as long for at least one worker.

    Raises
    ------
    DaskUnavailableError
        When dask.distributed is not installed.
    SchedulerUnreachable
        When the scheduler does not answer, the address is malformed, or no worker joins;
        the message names the address without credentials.
    """
    distributed = require_dask()
    public = public_address(address)
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # OSError (timed out), ValueError (malformed), …
        reason = _scrub(str(exc) or type(exc).__name__, address)
        raise SchedulerUnreachable(
            f"The dask scheduler at {public} could not be reached: {reason}"
        ) from exc
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception as exc:  # TimeoutError
            reason = f"no worker joined it within {timeout:g} s"
            raise SchedulerUnreachable(
                f"The dask scheduler at {public} has no workers: {reason}"
            ) from exc
        return len(client.scheduler_info().get("workers", {}))
    finally:
        client.close()


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
        **QUIET_CLUSTER,
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
    the order of the regions. ``progress(done, total)``, if given, is called as each task
    finishes; if it raises (a cancelled run), the remaining tasks are cancelled.
    """

    def __init__(self, client: Any, progress: TaskProgress | None = None) -> None:
        self.client = client
        self.progress = progress

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
        try:
            if self.progress is not None:
                finished = require_dask().as_completed(futures)
                for done, _ in enumerate(finished, start=1):
                    self.progress(done, len(futures))
            results: list[T] = self.client.gather(futures)
        except BaseException:
            self.client.cancel(futures)
            raise
        position = {region: k for k, region in enumerate(order)}
        return [results[position[i]] for i in range(len(regions))]


@contextmanager
def dask_runner(
    scheduler_address: str | None = None,
    n_workers: int = 2,
    processes: bool = True,
    progress: TaskProgress | None = None,
) -> Iterator[DaskRunner]:
    """A :class:`DaskRunner` on the scheduler at ``scheduler_address`` (``tcp://host:8786``),
    or, without one, on a ``LocalCluster`` of ``n_workers`` single-threaded workers
    (processes, or threads of this process with ``processes=False``) started for the run
    and closed after it. ``progress(done, total)`` is told as each task finishes.

    Raises
    ------
    DaskUnavailableError
        When dask.distributed is not installed.
    """
    with _client(scheduler_address, n_workers, processes) as client:
        yield DaskRunner(client, progress)
