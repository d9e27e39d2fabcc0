"""``--engine dask`` gives the same candidates as the single-machine engine on the same regions."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from scipy import sparse

from swim.engine.data import Organisations
from swim.engine.discover import Discovery
from swim.engine.distributed import (
    QUIET_CLUSTER,
    DaskUnavailableError,
    dask_runner,
    require_dask,
)
from swim.engine.partition import (
    LocalRunner,
    RegionPartition,
    cluster_regions,
    split_regions,
)
from swim.engine.signals.combine import SimilarityGraph
from swim.engine.tests.helpers import make_orgs

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("dask") is None,
    reason="the dask engine needs the 'distributed' extra (pip install 'swim[distributed]')",
)


def three_towns(per_town: int = 70, seed: int = 0) -> Organisations:
    """Three towns 40 km apart, each with a few kinds of organisation and some ties."""
    rng = np.random.default_rng(seed)
    n = 3 * per_town
    town = np.repeat(np.arange(3), per_town)
    lat = 52.0 + rng.random(n) * 0.03
    lon = -1.5 + town * 0.6 + rng.random(n) * 0.05
    kinds = ["food bank", "youth football", "arts centre", "carers support", "scouts"]
    kind = rng.integers(0, len(kinds), n)
    texts = [f"{kinds[k]} for people in the town, number {i}" for i, k in enumerate(kind)]
    ties = sparse.lil_matrix((n, n))
    for i in range(0, n - 1, 3):
        ties[i, i + 1] = ties[i + 1, i] = 1.0
    return make_orgs(
        n, latitude=lat, longitude=lon,
        income=np.exp(rng.normal(np.log(40_000), 1.0, n)),
        texts=texts, classifications=[[f"what:{k}"] for k in kind],
        ties=sparse.csr_matrix(ties),
    )  # fmt: skip


def as_lists(clusters: list[np.ndarray]) -> list[list[int]]:
    return [c.tolist() for c in clusters]


@needs_dask
def test_the_dask_runner_gives_the_local_candidates_on_the_same_regions() -> None:
    orgs = three_towns()
    model = SimilarityGraph(seed=0).fit(orgs)
    labels = RegionPartition(max_size=80).fit(model.graph_, orgs, model.signals_["location"])
    assert labels.n_regions_ == 3
    regions = split_regions(labels.labels_, model.graph_, orgs)
    params = {"seed": 0, "n_iterations": 2}
    local, local_gamma = cluster_regions(regions, params, LocalRunner())
    with dask_runner(n_workers=2, processes=False) as runner:
        remote, remote_gamma = cluster_regions(regions, params, runner)
    assert local, "the towns have candidates"
    assert as_lists(remote) == as_lists(local)
    assert remote_gamma == local_gamma is not None


@needs_dask
def test_a_running_scheduler_is_used_by_its_address() -> None:
    orgs = three_towns(seed=3)
    model = SimilarityGraph(seed=0).fit(orgs)
    labels = RegionPartition(max_size=80).fit(model.graph_, orgs, model.signals_["location"])
    regions = split_regions(labels.labels_, model.graph_, orgs)
    local, _ = cluster_regions(regions, {"seed": 1}, LocalRunner())
    distributed = require_dask()
    with distributed.LocalCluster(n_workers=1, processes=False, **QUIET_CLUSTER) as cluster:
        with dask_runner(cluster.scheduler_address) as runner:
            remote, _ = cluster_regions(regions, {"seed": 1}, runner)
            workers = runner.client.scheduler_info()["workers"]
        assert len(workers) == 1, "the run used the cluster at the address, not a new one"
    assert as_lists(remote) == as_lists(local)


@needs_dask
def test_discovery_on_a_local_dask_cluster_matches_the_local_engine() -> None:
    orgs = three_towns(seed=1)
    local = Discovery(max_region_size=80, seed=2).fit(orgs)
    remote = Discovery(max_region_size=80, seed=2, engine="dask", dask_workers=2).fit(orgs)
    assert len(set(local.regions_.tolist())) == 3
    assert local.candidates_
    assert [c.tolist() for c, _ in remote.candidates_] == [c.tolist() for c, _ in local.candidates_]
    assert [p.readiness for _, p in remote.candidates_] == [
        p.readiness for _, p in local.candidates_
    ]


def test_a_missing_dask_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(DaskUnavailableError, match=r"pip install 'swim\[distributed\]'"):
        require_dask()
    with pytest.raises(DaskUnavailableError):
        Discovery(max_region_size=80, engine="dask").fit(three_towns(per_town=30))
