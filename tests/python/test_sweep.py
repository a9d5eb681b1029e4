"""Sweeps from Python and the CLI over the scenario parser's overrides (budget.total and a
candidate's node_price): each point is the buy of its overridden scenario, the same document on
any number of workers, CSV and JSON, shards merged equal the whole, seeded Monte Carlo draws,
bad specs refused."""

import json

import pytest

import gpuplan
from conftest import DATA_DIR, KOREA, cli_json, run_cli

# KRW, as korea.toml writes them: its KRW 2.5e12 budget and a cut of 40%; b200 nodes at its
# KRW 6.3e8 and 30% cheaper.
BUDGETS = [1.5e12, 2.5e12]
PRICES = [4.41e8, 6.3e8]
GRID = {"scenario": str(KOREA), "grid": {"budget.total": BUDGETS,
                                         "candidate.b200.node_price": PRICES}}
# Two points, no tornado: what the worker-count, CLI and shard checks run.
SMALL = {"scenario": str(KOREA), "grid": {"budget.total": BUDGETS}, "tornado": False}


@pytest.fixture(scope="module")
def grid_result():
    return gpuplan.sweep(GRID, workers=2)


def test_grid_points_are_the_buys_of_their_overrides(grid_result):
    points = grid_result.points
    key = lambda p: (float(p["inputs"]["budget.total"]),  # noqa: E731
                     float(p["inputs"]["candidate.b200.node_price"]))
    assert [key(p) for p in points] == [(b, p) for b in BUDGETS for p in PRICES]
    for p in (points[0], points[-1]):
        alone = gpuplan.buy(KOREA, objective="max-capacity", explain=False,
                            overrides={k: float(v) for k, v in p["inputs"].items()})
        assert p["status"] == alone.status
        assert p["total_cost_usd"] == alone.total_cost_usd
        assert p["h100_eq_gpu_hours"] == alone.h100_eq_gpu_hours
        assert p["final_gpus"] == alone.capacity[-1]["gpus"]
    by = {key(p): p for p in points}
    for price in PRICES:  # more money buys at least as much (within the MIP gap)
        lo, hi = (by[(b, price)]["h100_eq_gpu_hours"] for b in BUDGETS)
        assert hi >= lo * (1 - 1e-3)
    for budget in BUDGETS:  # cheaper nodes buy at least as much
        cheap, dear = (by[(budget, p)]["h100_eq_gpu_hours"] for p in PRICES)
        assert cheap >= dear * (1 - 1e-3)
    # The tornado's base is the scenario as written; a bar per key, largest swing first.
    assert grid_result.tornado.base.inputs.to_dict() == {"budget.total": None,
                                                          "candidate.b200.node_price": None}
    bars = grid_result.tornado.metrics.h100_eq_gpu_hours.bars
    assert {b["key"] for b in bars} == {"budget.total", "candidate.b200.node_price"}
    assert bars[0]["swing"] >= bars[1]["swing"]
    table = grid_result.to_pandas()
    assert list(table.columns[:4]) == ["index", "budget.total", "candidate.b200.node_price",
                                       "status"]
    assert len(table) == 4
    summary = grid_result.summary.total_cost_usd
    assert summary.min == min(p["total_cost_usd"] for p in points)
    assert summary.count == 4


def test_same_document_on_one_and_three_workers_and_from_the_cli(tmp_path):
    one = gpuplan.sweep(SMALL, workers=1)
    assert json.dumps(gpuplan.sweep(SMALL, workers=3).to_dict()) == json.dumps(one.to_dict())
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SMALL))
    csv = tmp_path / "sweep.csv"
    doc = cli_json("sweep", "--spec", spec, "--workers", "2", "--csv", csv)
    assert doc == one.to_dict()
    assert csv.read_text() == one.to_csv()
    assert csv.read_text().count("\n") == 1 + 2


def test_quarters_table_equals_the_cli_quarters_csv(tmp_path):
    import io

    import pandas as pd
    result = gpuplan.sweep(SMALL, workers=1)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SMALL))
    csv = tmp_path / "quarters.csv"
    run_cli("sweep", "--spec", spec, "--workers", "1", "--quarters-csv", csv)
    table = result.to_pandas("quarters")
    assert len(table) == sum(len(p["by_quarter"]) for p in result.points) > 0
    assert list(table.columns[:3]) == ["index", "budget.total", "quarter"]
    assert table["gpus"].iloc[-1] == result.points[-1]["by_quarter"][-1]["gpus"]
    # Through pandas' CSV both sides read alike (inputs are value text, gpus 8.0 in the doc).
    got = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    pd.testing.assert_frame_equal(got, pd.read_csv(csv), check_dtype=False)


def test_overrides_apply_to_every_point():
    result = gpuplan.sweep(dict(SMALL, grid={"budget.total": [1.5e12]}), workers=1,
                           overrides={"candidate.b200.node_price": 4.41e8})
    assert result.spec.set.to_dict() == {"candidate.b200.node_price": "441000000.0"}
    (point,) = result.points
    alone = gpuplan.buy(KOREA, objective="max-capacity", explain=False,
                        overrides={"budget.total": 1.5e12, "candidate.b200.node_price": 4.41e8})
    assert point["h100_eq_gpu_hours"] == alone.h100_eq_gpu_hours


def test_shards_merged_equal_the_whole(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SMALL))
    shards = []
    for i in range(2):
        out = tmp_path / f"shard-{i}.json"
        run_cli("sweep", "--spec", spec, "--shard", f"{i}/2", "--out", out, "--workers", "1")
        shards.append(out)
    merged = cli_json("sweep", "--merge", *shards)
    assert merged == gpuplan.sweep(SMALL, workers=2).to_dict()
    # A shard missing is refused, not merged into a partial table.
    run_cli("sweep", "--merge", shards[0], expect=2)


# Points whose scenario file does not exist fail at once: the draws are what is tested.
MISSING = [f"/no/such/{n}.toml" for n in "abcd"]


def test_monte_carlo_is_seeded_and_independent_of_workers():
    spec = {"sample": {"scenario": {"values": MISSING}}, "samples": 8, "seed": 5,
            "tornado": False}
    a = gpuplan.sweep(spec, workers=2)
    assert json.dumps(a.to_dict()) == json.dumps(gpuplan.sweep(spec, workers=1).to_dict())
    assert len(a.points) == 8
    assert {p["inputs"]["scenario"] for p in a.points} <= set(MISSING)
    assert all(p["status"] == "error" and p["inputs"]["scenario"] in p["error"]
               for p in a.points)
    draws = {tuple(p["inputs"]["scenario"] for p in gpuplan.sweep(dict(spec, seed=s)).points)
             for s in range(1, 5)}
    assert len(draws) > 1  # the seed drives the draws


def test_a_failing_point_keeps_its_error():
    result = gpuplan.sweep({"scenario": str(KOREA), "grid": {"budget.total": [-1, 1.5e12]},
                            "tornado": False})
    bad, good = result.points
    assert bad["status"] == "error" and bad["error"].startswith("--set budget.total: ")
    assert bad["total_cost_usd"] is None
    assert good["status"] == "optimal"


def test_bad_specs_raise_input_error():
    with pytest.raises(gpuplan.InputError, match="exactly one of 'grid'"):
        gpuplan.sweep({"stage": "buy"})
    with pytest.raises(gpuplan.InputError, match="unknown key 'grids'"):
        gpuplan.sweep({"grids": {"scenario": MISSING}})
    with pytest.raises(gpuplan.InputError, match="'samples'"):
        gpuplan.sweep({"sample": {"budget.total": {"uniform": [1, 2]}}})
