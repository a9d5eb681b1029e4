"""The sweep on a real Dask cluster (two worker processes, one task per point) gives the local
run's document bit for bit."""

import json

import distributed

import gpuplan
from conftest import KOREA

SPEC = {"scenario": str(KOREA), "stage": "buy", "tornado": False,
        "grid": {"budget.total": [1.5e12, 2.5e12], "candidate.b200.node_price": [4.41e8]}}


def test_dask_local_cluster_equals_local_run():
    local = gpuplan.sweep(SPEC, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        remote = gpuplan.sweep(SPEC, client=client)
    assert json.dumps(remote.to_dict()) == json.dumps(local.to_dict())
    assert len(remote.points) == 2
    assert all(p["status"] == "optimal" for p in remote.points)
