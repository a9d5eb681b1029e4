"""The sweep on a real Dask cluster (two worker processes, one task per point) gives the local
run's document bit for bit."""

import json
import os

import distributed

import gpuplan
from conftest import KOREA

SPEC = {"scenario": str(KOREA), "stage": "buy", "tornado": False,
        "grid": {"budget.total": [1.5e12, 2.5e12], "candidate.b200.node_price": [4.41e8, 6.3e8]}}


def test_dask_local_cluster_equals_local_run():
    local = gpuplan.sweep(SPEC, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        # Worker processes, not this one: the points really ran elsewhere.
        pids = client.run(os.getpid)
        assert os.getpid() not in pids.values()
        with distributed.get_task_stream(client) as stream:
            remote = gpuplan.sweep(SPEC, client=client)
    ran_on = [t["worker"] for t in stream.data if t["key"].startswith("_sweep_point")]
    assert len(ran_on) == 4  # one task per point
    assert set(ran_on) <= set(workers)
    assert json.dumps(remote.to_dict()) == json.dumps(local.to_dict())
    assert len(remote.points) == 4
    assert all(p["status"] == "optimal" for p in remote.points)
