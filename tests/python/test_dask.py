"""The sweep on a real Dask cluster (two worker processes, one task per point) gives the local
run's document bit for bit."""

import json

import distributed

import gpuplan
from conftest import DATA_DIR


SPEC = {"stage": "buy", "grid": {"scenario": [
    str(DATA_DIR / "scenarios" / f"{n}.toml") for n in ("korea", "india", "tier2-capped")]}}


def test_dask_local_cluster_equals_local_run():
    local = gpuplan.sweep(SPEC, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        remote = gpuplan.sweep(SPEC, client=client)
    assert json.dumps(remote.to_dict()) == json.dumps(local.to_dict())
    assert len(remote.points) == 3
    assert all(p["status"] == "optimal" for p in remote.points)
