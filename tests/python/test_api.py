"""Every gpuplan function: its to_dict() equals the CLI's --json, attributes, tables, errors."""

import json

import pytest

import gpuplan
from conftest import DATA_DIR, KOREA, cli_json, run_cli, without_wall_s

SAMPLE_TRACE = DATA_DIR / "traces" / "sample.csv"


def test_catalog_equals_cli():
    cat = gpuplan.catalog()
    assert cat.to_dict() == cli_json("catalog", "list")
    h100 = cat.find("h100-sxm5-80gb")
    assert h100.dense_bf16_tflops == pytest.approx(989.5, rel=1e-3)
    table = cat.to_pandas()
    assert len(table) == len(cat.accelerators)
    assert "tpp_per_gpu" in table.columns
    with pytest.raises(gpuplan.InputError):
        cat.find("h100-typo")


def test_size_train_equals_cli():
    plan = gpuplan.size_train(model="llama3-70b", tokens="15T", accelerator="h100-sxm5-80gb",
                              gpus=2048)
    assert plan.to_dict() == cli_json("size", "train", "--model", "llama3-70b", "--tokens", "15T",
                                      "--accelerator", "h100-sxm5-80gb", "--gpus", "2048")
    assert plan.gpus == 2048
    assert plan.parallelism.tp * plan.parallelism.pp * plan.parallelism.dp == 2048
    assert 0 < plan.mfu < 1
    assert plan.to_pandas().loc[0, "gpu_hours"] == plan.gpu_hours


def test_size_train_from_params_and_deadline_equals_cli():
    plan = gpuplan.size_train(params="70B", tokens="2T", accelerator="mi300x", days=30)
    assert plan.to_dict() == cli_json("size", "train", "--params", "70B", "--tokens", "2T",
                                      "--accelerator", "mi300x", "--days", "30")
    assert plan.days <= 30
    assert plan.notes  # the inferred shape says so


def test_size_serve_equals_cli():
    plan = gpuplan.size_serve("llama3-70b", "h200-sxm-141gb", rps=20, precision="fp8")
    assert plan.to_dict() == cli_json("size", "serve", "--model", "llama3-70b", "--accelerator",
                                      "h200-sxm-141gb", "--rps", "20", "--precision", "fp8")
    assert plan.capacity_requests_per_s >= 20
    rate = gpuplan.size_serve("llama3-8b", "h100-sxm5-80gb", gpus=8, offline=True)
    assert rate.to_dict() == cli_json("size", "serve", "--model", "llama3-8b", "--accelerator",
                                      "h100-sxm5-80gb", "--gpus", "8", "--offline")


def test_buy_equals_cli():
    scenario = gpuplan.load_scenario(str(KOREA))
    assert scenario.name == "korea"
    assert scenario.first == "2026Q4"
    # The MILP alone (korea asks for the service-level loop, which simulates: test_plan's part).
    result = gpuplan.buy(scenario, objective="max-capacity", explain=False)
    assert result.to_dict() == cli_json("buy", "--scenario", KOREA, "--objective",
                                        "max-capacity", "--no-explain")
    assert result.status in ("optimal", "feasible")
    purchases = result.to_pandas("purchases")
    assert list(purchases.columns[:3]) == ["quarter", "delivered", "accelerator"]
    assert purchases["capex_usd"].sum() == pytest.approx(result.capex_usd, rel=1e-9)
    capacity = result.to_pandas("capacity")
    assert len(capacity) == len(result.capacity)
    # The default scenario is the same as no scenario.
    assert gpuplan.buy(objective="max-capacity", explain=False).to_dict() == result.to_dict()


def test_overrides_equal_cli_set():
    overrides = {"budget.total": 1.5e12, "candidate.b200.node_price": 5.0e8}
    scenario = gpuplan.load_scenario(KOREA, overrides=overrides)
    assert scenario.overrides == ["budget.total=1500000000000.0",
                                  "candidate.b200.node_price=500000000.0"]
    plain = gpuplan.load_scenario(KOREA)
    assert scenario.budget_total_usd < plain.budget_total_usd or plain.budget_total_usd == 0
    result = gpuplan.buy(scenario, objective="max-capacity", explain=False)
    cli = cli_json("buy", "--scenario", KOREA, "--objective", "max-capacity", "--no-explain",
                   "--set", "budget.total=1500000000000.0",
                   "--set", "candidate.b200.node_price=500000000.0")
    assert result.to_dict() == cli
    # overrides= on buy itself is the same scenario.
    again = gpuplan.buy(KOREA, objective="max-capacity", explain=False, overrides=overrides)
    assert again.to_dict() == cli
    # The budget binds: the capital spent stays within KRW 1.5e12 at the scenario's rate.
    assert result.capex_usd <= scenario.budget_total_usd * (1 + 1e-9)


def test_override_errors_name_the_key():
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.load_scenario(KOREA, overrides={"budget.total": -1})
    assert e.value.field == "budget.total"
    assert "--set budget.total: " in str(e.value)
    cli_err = run_cli("buy", "--scenario", KOREA, "--set", "budget.total=-1", expect=2,
                      stream="stderr")
    assert str(e.value) in cli_err
    with pytest.raises(gpuplan.InputError, match="no_such_key"):
        gpuplan.buy(KOREA, overrides={"budget.no_such_key": 1})
    with pytest.raises(gpuplan.InputError, match="give scenario"):
        gpuplan.simulate(trace=str(SAMPLE_TRACE), cluster="h100-sxm5-80gb:16x8",
                         overrides={"budget.total": 1})


def test_simulate_equals_cli_and_keeps_jobs():
    result = gpuplan.simulate(trace=str(SAMPLE_TRACE), cluster="h100-sxm5-80gb:16x8",
                              policy="easy", jobs=True)
    cli = cli_json("simulate", "--cluster", "h100-sxm5-80gb:16x8", "--trace", SAMPLE_TRACE,
                   "--policy", "easy")
    assert without_wall_s(result.to_dict()) == without_wall_s(cli)
    assert result.policy == "easy"
    jobs = result.to_pandas("jobs")
    assert len(jobs) == result.jobs
    tenants = result.to_pandas("per_tenant")
    assert set(tenants["tenant"]) == set(result.per_tenant.to_dict())


def test_simulate_scenario_equals_cli(small):
    result = gpuplan.simulate(scenario=small, policy="easy", bf_window="12h")
    cli = cli_json("simulate", "--scenario", small, "--policy", "easy", "--bf-window", "12h")
    assert without_wall_s(result.to_dict()) == without_wall_s(cli)
    assert result.policy == "easy"
    assert result.jobs > 0


def test_simulate_priority_calc_period_equals_cli(small):
    # Fair share's stored priorities: 0 recalculates every pass; each period gives its own
    # schedule here, so a setting that did not reach the simulator would differ from the CLI's.
    default = gpuplan.simulate(scenario=small, policy="fairshare").to_dict()
    for period in ("0s", "1h"):
        result = gpuplan.simulate(scenario=small, policy="fairshare", priority_calc_period=period)
        cli = cli_json("simulate", "--scenario", small, "--policy", "fairshare",
                       "--priority-calc-period", period)
        assert without_wall_s(result.to_dict()) == without_wall_s(cli)
        assert result.to_dict()["avg_wait_s"] != default["avg_wait_s"]
    with pytest.raises(gpuplan.InputError, match="priority_calc_period"):
        gpuplan.simulate(scenario=small, policy="fairshare", priority_calc_period="-1s")


def test_plan_equals_cli(small, tmp_path):
    report = gpuplan.plan(small, policies=["fifo", "easy"], overrides={"simulation.seed": 3})
    cli = cli_json("plan", small, "--policies", "fifo,easy", "--set", "simulation.seed=3",
                   "--out", tmp_path / "r")
    assert without_wall_s(report.to_dict()) == without_wall_s(cli)
    assert report.scenario.name == "small"
    assert report.simulation.policy in ("fifo", "easy")
    waits = report.to_pandas("waits_by_quarter")
    assert len(waits) == len(report.simulation.by_quarter)
    assert len(report.to_pandas("purchases")) == len(report.buy.purchases)
    assert list(report.to_pandas("policies")["policy"]) == ["fifo", "easy"]


def test_results_are_read_only_and_name_their_fields():
    plan = gpuplan.size_train(model="llama3-8b", tokens="1T", accelerator="h100-sxm5-80gb",
                              gpus=64)
    with pytest.raises(AttributeError):
        plan.gpus = 1
    with pytest.raises(AttributeError, match="fields: schema_version, model"):
        _ = plan.no_such_field
    copy = plan.to_dict()
    copy["gpus"] = 1
    assert plan.gpus == 64
    with pytest.raises(gpuplan.InputError, match="tables"):
        plan.to_pandas("purchases")


def test_scenario_errors_carry_file_line_and_field(tmp_path):
    # korea.toml names its extra catalog beside it: copy both.
    for f in KOREA.parent.glob("korea*.toml"):
        (tmp_path / f.name).write_text(f.read_text())
    bad = tmp_path / "korea.toml"
    lines = bad.read_text().splitlines()
    line = next(i for i, l in enumerate(lines, 1) if l.startswith("node_price"))
    lines[line - 1] = "node_price = -5"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.load_scenario(str(bad))
    assert e.value.file == str(bad)
    assert e.value.line == line
    assert e.value.field == "node_price"
    assert "must be > 0, got -5" in str(e.value)
    assert isinstance(e.value, ValueError)
    # The CLI refuses it with exit 2, the same message and the same file, line and field.
    cli_err = run_cli("buy", "--scenario", bad, "--json", expect=2)
    cli = json.loads(cli_err)
    assert cli["error"] == str(e.value)
    assert (cli["file"], cli["line"], cli["field"]) == (e.value.file, e.value.line, e.value.field)
    # And an override's error names its key, as --set does.
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.load_scenario(KOREA, overrides={"candidate.b200.node_price": -5})
    cli = json.loads(run_cli("buy", "--scenario", KOREA, "--set", "candidate.b200.node_price=-5",
                             "--json", expect=2))
    assert cli["error"] == str(e.value)
    assert e.value.field == cli["field"] == "candidate.b200.node_price"
    assert e.value.file is None and e.value.line is None


def test_bad_arguments_raise_input_error():
    with pytest.raises(gpuplan.InputError, match="h100-typo"):
        gpuplan.size_train(model="llama3-70b", tokens="15T", accelerator="h100-typo", gpus=8)
    with pytest.raises(gpuplan.InputError, match="exactly one of gpus"):
        gpuplan.size_train(model="llama3-70b", tokens="15T", accelerator="h100-sxm5-80gb")
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.size_train(model="llama3-70b", tokens="lots", accelerator="h100-sxm5-80gb", gpus=8)
    assert e.value.field == "tokens"
    with pytest.raises(gpuplan.InputError, match="exactly one of rps"):
        gpuplan.size_serve("llama3-70b", "h100-sxm5-80gb")
    with pytest.raises(gpuplan.InputError, match="objective"):
        gpuplan.buy(objective="cheapest")
    with pytest.raises(gpuplan.InputError, match="bf_window"):
        gpuplan.simulate(trace=str(SAMPLE_TRACE), cluster="h100-sxm5-80gb:16x8", bf_window="0s")
    with pytest.raises(gpuplan.InputError):
        gpuplan.simulate(trace=str(SAMPLE_TRACE), cluster="h100-sxm5-80gb:16x8", policy="nope")
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.load_scenario("/no/such/scenario.toml")
    assert e.value.file == "/no/such/scenario.toml"


def test_falling_prices_and_present_values_equal_cli(small):
    overrides = {"budget.discount_rate": 0.08, "candidate.b200.price_decline_per_year": 0.3}
    result = gpuplan.buy(small, objective="max-capacity", explain=False, overrides=overrides)
    cli = cli_json("buy", "--scenario", small, "--objective", "max-capacity", "--no-explain",
                   "--set", "budget.discount_rate=0.08",
                   "--set", "candidate.b200.price_decline_per_year=0.3")
    assert result.to_dict() == cli
    assert result.discount_rate == 0.08
    assert 0 < result.total_cost_pv_usd < result.total_cost_usd
    assert result.net_cost_pv_usd == pytest.approx(
        result.total_cost_pv_usd - result.residual_value_pv_usd)
    purchases = result.to_pandas("purchases")
    b200 = purchases[purchases["accelerator"] == "b200"]
    # A later order of b200 pays less per node (30% a year, compounded per quarter).
    if len(b200) > 1:
        assert b200["node_price_usd"].is_monotonic_decreasing
    assert (purchases["capex_usd"] == purchases["nodes"] * purchases["node_price_usd"]).all()
    with pytest.raises(gpuplan.InputError) as e:
        gpuplan.load_scenario(small, overrides={"candidate.b200.price_decline_per_year": 30})
    assert e.value.field == "candidate.b200.price_decline_per_year"
    assert "<= 0.95, got 30" in str(e.value)
