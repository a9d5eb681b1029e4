"""Sweeps from Python and the CLI: the same table on any number of workers, CSV and JSON, shards
merged equal the whole, seeded Monte Carlo draws, bad specs refused. The axis here is the
scenario file itself (three centers); override keys go through the scenario module's --set
parser (tests/sweep/ covers them with a fake of it)."""

import json

import pytest

import gpuplan
from conftest import DATA_DIR, cli_json, run_cli

SCENARIOS = [str(DATA_DIR / "scenarios" / f"{n}.toml") for n in ("korea", "india", "tier2-capped")]
GRID = {"stage": "buy", "grid": {"scenario": SCENARIOS}}


@pytest.fixture(scope="module")
def grid_result():
    return gpuplan.sweep(GRID, workers=1)


def test_grid_rows_equal_each_buy(grid_result):
    points = grid_result.points
    assert [p["inputs"]["scenario"] for p in points] == SCENARIOS
    for p, path in zip(points, SCENARIOS):
        alone = gpuplan.buy(path, explain=False)
        assert p["status"] == alone.status
        assert p["total_cost_usd"] == alone.total_cost_usd
        assert p["h100_eq_gpu_hours"] == alone.h100_eq_gpu_hours
        assert p["final_gpus"] == alone.capacity[-1]["gpus"]
    # The tornado's base is the default scenario; low and high are the axis's first and last.
    base = grid_result.tornado.base
    assert base["total_cost_usd"] == points[0]["total_cost_usd"]  # korea is the default
    bar = grid_result.tornado.metrics.total_cost_usd.bars[0]
    assert (bar["low"], bar["high"]) == (SCENARIOS[0], SCENARIOS[-1])
    assert bar["swing"] == abs(points[2]["total_cost_usd"] - points[0]["total_cost_usd"])
    table = grid_result.to_pandas()
    assert list(table.columns[:3]) == ["index", "scenario", "status"]
    assert len(table) == 3
    summary = grid_result.summary.total_cost_usd
    assert summary.min == min(p["total_cost_usd"] for p in points)
    assert summary.count == 3


def test_same_document_on_one_two_and_three_workers(grid_result):
    for workers in (2, 3):
        assert json.dumps(gpuplan.sweep(GRID, workers=workers).to_dict()) == \
            json.dumps(grid_result.to_dict())


def test_cli_gives_the_same_document_and_csv(grid_result, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(GRID))
    csv = tmp_path / "sweep.csv"
    doc = cli_json("sweep", "--spec", spec, "--workers", "2", "--csv", csv)
    assert doc == grid_result.to_dict()
    assert csv.read_text() == grid_result.to_csv()
    assert csv.read_text().count("\n") == 1 + 3
    flags = cli_json("sweep", "--grid", "scenario=" + ",".join(SCENARIOS), "--workers", "2")
    assert flags == doc


def test_shards_merged_equal_the_whole(grid_result, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(GRID))
    shards = []
    for i in range(4):
        out = tmp_path / f"shard-{i}.json"
        run_cli("sweep", "--spec", spec, "--shard", f"{i}/4", "--out", out, "--workers", "1")
        shards.append(out)
    assert cli_json("sweep", "--merge", *shards) == grid_result.to_dict()
    # A shard missing is refused, not merged into a partial table.
    run_cli("sweep", "--merge", *shards[:3], expect=2)


def test_monte_carlo_is_seeded_and_independent_of_workers():
    spec = {"sample": {"scenario": {"values": SCENARIOS}}, "samples": 6, "seed": 5,
            "tornado": False}
    a = gpuplan.sweep(spec, workers=2)
    assert json.dumps(a.to_dict()) == json.dumps(gpuplan.sweep(spec, workers=1).to_dict())
    assert len(a.points) == 6
    assert {p["inputs"]["scenario"] for p in a.points} <= set(SCENARIOS)
    seeds = [[p["inputs"]["scenario"] for p in gpuplan.sweep(dict(spec, seed=s)).points]
             for s in range(1, 5)]
    assert len({tuple(s) for s in seeds}) > 1  # the seed drives the draws


def test_a_failing_point_keeps_its_error():
    result = gpuplan.sweep({"grid": {"scenario": [SCENARIOS[0], "/no/such.toml"]},
                            "tornado": False})
    good, bad = result.points
    assert good["status"] == "optimal"
    assert bad["status"] == "error" and "/no/such.toml" in bad["error"]
    assert bad["total_cost_usd"] is None


def test_bad_specs_raise_input_error():
    with pytest.raises(gpuplan.InputError, match="exactly one of 'grid'"):
        gpuplan.sweep({"stage": "buy"})
    with pytest.raises(gpuplan.InputError, match="unknown key 'grids'"):
        gpuplan.sweep({"grids": {"scenario": SCENARIOS}})
    with pytest.raises(gpuplan.InputError, match="'samples'"):
        gpuplan.sweep({"sample": {"budget.total": {"uniform": [1, 2]}}})
