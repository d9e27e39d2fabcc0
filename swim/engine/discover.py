"""One discovery run: similarity graph, communities, profiles — ranked, timed, with progress.

:class:`Discovery` chains :class:`~swim.engine.signals.combine.SimilarityGraph`,
:class:`~swim.engine.communities.ClusterFinder` (or, for "partners for this organisation",
:func:`~swim.engine.communities.partners_for`) and
:func:`~swim.engine.profile.profile_clusters`, and ranks the candidates by readiness, then
cohesion. It takes plain data and returns plain data, like the rest of the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from swim.engine.communities import partners_for
from swim.engine.data import IntArray, Organisations
from swim.engine.partition import (
    DEFAULT_REGION_SIZE,
    LocalRunner,
    RegionPartition,
    cluster_regions,
    split_regions,
)
from swim.engine.profile import CandidateProfile, profile_clusters
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SignalWeights, SimilarityGraph

#: ``progress(step, total, message)``: called as each stage starts and when all are done;
#: on the dask engine also as each region is clustered, every stage then counting as many
#: steps as there are regions (``total`` grows from 3 to 3 times the regions, ``step`` with it).
Progress = Callable[[int, int, str], None]

#: The stages of a run, in order (the keys of ``timings_``).
STAGES: tuple[str, ...] = ("graph", "communities", "profiles")


#: Areas at least this large run Leiden for 2 iterations unless told otherwise.
LARGE_AREA = 20_000
#: The engines that can run the per-region work.
ENGINES: tuple[str, ...] = ("local", "dask")


class Discovery:
    """Find, describe and rank the candidate clusters of an area.

    Parameters
    ----------
    weights : SignalWeights
        Weight of each signal in the similarity graph.
    min_size, max_size : int
        Workable cluster size, inclusive.
    max_span_km : float
        Largest distance between two located members.
    max_income_share : float
        Largest share of the members' combined known income one member may hold (judged
        when at least three members' incomes are known).
    max_memberships : int
        How many candidates one organisation may appear in.
    radius_km : float
        Largest distance of a location link in the graph.
    seed : int
        Seeds every random choice; the same seed gives the same candidates.
    n_iterations : int or None
        Leiden iterations (negative: until stable). ``None`` (the default) chooses: until
        stable below ``LARGE_AREA`` organisations, 2 iterations above — running to
        stability on a 170,000-organisation graph took over half an hour for almost no gain.
    max_region_size : int
        Areas above this many organisations are cut into regions of at most this size
        (:mod:`swim.engine.partition`), each clustered on its own with one resolution
        searched on a sample of them; an area of this size or less is one region,
        clustered exactly as a whole.
    engine : {"local", "dask"}
        Who clusters the regions: this process, in turn, or a dask.distributed cluster
        (:mod:`swim.engine.distributed`). Both give the same candidates.
    scheduler_address : str or None
        The dask scheduler (``tcp://host:8786``); ``None`` starts a LocalCluster of
        ``dask_workers`` processes for the run.
    dask_workers : int
        Workers of that LocalCluster.

    Attributes
    ----------
    candidates_ : list of (int array, CandidateProfile)
        Member indices (ascending) and profile of each candidate, most ready first (ties
        broken by cohesion).
    timings_ : dict of str to float
        Seconds spent in each of :data:`STAGES`.
    available_ : tuple of str
        The signals that had data.
    regions_ : int array
        Region of each organisation (all 0 when the area is one region).
    cut_links_ : int
        Location links between two regions, dropped (see :mod:`swim.engine.partition`).
    resolution_ : float or None
        The one CPM resolution given to every region of a partitioned area (``None`` when
        each region chose its own: one region, or partners mode).
    """

    def __init__(
        self,
        weights: SignalWeights = DEFAULT_WEIGHTS,
        min_size: int = 4,
        max_size: int = 12,
        max_span_km: float = 5.0,
        max_income_share: float = 0.5,
        max_memberships: int = 1,
        radius_km: float = 3.0,
        seed: int = 0,
        n_iterations: int | None = None,
        max_region_size: int = DEFAULT_REGION_SIZE,
        engine: str = "local",
        scheduler_address: str | None = None,
        dask_workers: int = 2,
    ) -> None:
        self.weights = weights
        self.min_size = min_size
        self.max_size = max_size
        self.max_span_km = max_span_km
        self.max_income_share = max_income_share
        self.max_memberships = max_memberships
        self.radius_km = radius_km
        self.seed = seed
        self.n_iterations = n_iterations
        self.max_region_size = max_region_size
        self.engine = engine
        self.scheduler_address = scheduler_address
        self.dask_workers = dask_workers

    def _iterations(self, n: int) -> int:
        if self.n_iterations is not None:
            return self.n_iterations
        return -1 if n < LARGE_AREA else 2

    def check_params(self) -> None:
        """Raise ``ValueError`` with a readable message for impossible parameters."""
        if self.min_size < 2:
            raise ValueError("The smallest cluster size must be at least 2.")
        if self.min_size > self.max_size:
            raise ValueError("The smallest cluster size is above the largest.")
        if not self.radius_km > 0:
            raise ValueError("The link radius must be more than 0 km.")
        if not self.max_span_km > 0:
            raise ValueError("The largest span must be more than 0 km.")
        if not 0 < self.max_income_share <= 1:
            raise ValueError("The largest income share must be above 0 and at most 1.")
        if self.max_memberships < 1:
            raise ValueError("Each organisation must be allowed in at least one candidate.")
        if self.max_region_size < self.max_size:
            raise ValueError("A region must hold at least one cluster of the largest size.")
        if self.engine not in ENGINES:
            raise ValueError(f"The engine must be one of {', '.join(ENGINES)}.")

    def fit(
        self,
        orgs: Organisations,
        text_vectors: Any = None,
        progress: Progress | None = None,
        seed_index: int | None = None,
        classification_labels: Mapping[str, str] | None = None,
    ) -> Discovery:
        """Discover the candidates of ``orgs``.

        Parameters
        ----------
        orgs : Organisations
        text_vectors : array-like, shape (n, d), optional
            Text embeddings; without them the text signal uses TF-IDF + LSA.
        progress : callable, optional
            ``progress(step, total, message)``.
        seed_index : int, optional
            Find only the best cluster containing this organisation ("partners for").
        classification_labels : mapping, optional
            Readable label per ``"scheme:code"``, for the explanations.

        Returns
        -------
        self
        """
        self.check_params()
        total = len(STAGES)
        steps = _Steps(progress or _silent, total)
        timings: dict[str, float] = {}
        self.candidates_: list[tuple[IntArray, CandidateProfile]] = []
        self.timings_ = timings
        self.available_: tuple[str, ...] = ()
        self.regions_ = np.zeros(len(orgs), dtype=np.int64)
        self.cut_links_ = 0
        self.resolution_: float | None = None
        if len(orgs) < self.min_size:
            steps.stage(total, "Too few organisations to form a cluster")
            return self

        steps.stage(0, f"Linking {len(orgs):,} organisations by every signal")
        start = time.perf_counter()
        model = SimilarityGraph(
            weights=self.weights,
            radius_km=self.radius_km,
            reach_km=self.max_span_km,
            seed=self.seed,
        )
        model.fit(orgs, text_vectors=text_vectors)
        self.available_ = model.available_
        timings["graph"] = time.perf_counter() - start

        steps.stage(1, "Finding communities")
        start = time.perf_counter()
        clusters = self._clusters(model, orgs, seed_index, steps)
        timings["communities"] = time.perf_counter() - start

        steps.stage(2, f"Describing {len(clusters):,} candidate clusters")
        start = time.perf_counter()
        profiles = profile_clusters(
            clusters, orgs, model.graph_, model.signals_,
            classification_labels=classification_labels, max_span_km=self.max_span_km,
        )  # fmt: skip
        pairs = list(zip(clusters, profiles, strict=True))
        pairs.sort(key=lambda pair: (-pair[1].readiness, -pair[1].cohesion, int(pair[0][0])))
        self.candidates_ = pairs
        timings["profiles"] = time.perf_counter() - start
        steps.stage(total, f"Found {len(pairs):,} candidate clusters")
        return self

    def _clusters(
        self,
        model: SimilarityGraph,
        orgs: Organisations,
        seed_index: int | None,
        steps: _Steps,
    ) -> list[IntArray]:
        if seed_index is not None:
            members = partners_for(
                model.graph_, seed_index, orgs,
                min_size=self.min_size, max_size=self.max_size,
                max_span_km=self.max_span_km, max_income_share=self.max_income_share,
            )  # fmt: skip
            return [np.asarray(members, dtype=np.int64)] if len(members) else []
        location = model.signals_["location"] if "location" in model.available_ else None
        partition = RegionPartition(self.max_region_size).fit(model.graph_, orgs, location)
        self.regions_, self.cut_links_ = partition.labels_, partition.cut_links_
        signals = model.signals_ if self.max_memberships > 1 else None
        regions = split_regions(partition.labels_, model.graph_, orgs, signals)
        params = {
            "min_size": self.min_size, "max_size": self.max_size,
            "max_span_km": self.max_span_km, "max_income_share": self.max_income_share,
            "max_memberships": self.max_memberships,
            "n_iterations": self._iterations(len(orgs)), "seed": self.seed,
        }  # fmt: skip
        if self.engine == "dask":
            from swim.engine.distributed import dask_runner

            def regions_done(done: int, tasks: int) -> None:
                if tasks == len(regions):  # not the resolution search (one task) before them
                    message = f"Clustered {done:,} of {tasks:,} regions on the dask cluster"
                    steps.within(1, done, tasks, message)

            address, workers = self.scheduler_address, self.dask_workers
            with dask_runner(address, workers, progress=regions_done) as runner:
                clusters, self.resolution_ = cluster_regions(regions, params, runner)
        else:
            clusters, self.resolution_ = cluster_regions(regions, params, LocalRunner())
        return clusters


class _Steps:
    """Progress by stage: each of ``stages`` counts one step until a dask run reports its
    regions one by one, then as many steps as there are regions (in proportion)."""

    def __init__(self, report: Progress, stages: int) -> None:
        self.report = report
        self.stages = stages
        self.per_stage = 1

    def stage(self, step: int, message: str) -> None:
        """Stage ``step`` starts (``stages``: all done)."""
        self.report(step * self.per_stage, self.stages * self.per_stage, message)

    def within(self, step: int, done: int, count: int, message: str) -> None:
        """``done`` of the ``count`` parts of stage ``step`` are finished."""
        self.per_stage = count
        self.report(step * count + done, self.stages * count, message)


def _silent(step: int, total: int, message: str) -> None:
    """The default progress callback: say nothing."""
