"""gpuplan from Python: size, buy, simulate and plan a national AI computing center.

    import gpuplan
    report = gpuplan.plan(gpuplan.load_scenario("data/scenarios/korea.toml"))

Every call runs the same C++ library as the command line, and every result's ``to_dict()`` is
the document the matching command prints with ``--json``. Bad input raises
:class:`InputError` with ``file``, ``line`` and ``field`` where the message names them.
Reference: docs/python.md.
"""

import io
import json
import os

from . import _gpuplan

__all__ = [
    "InputError", "GpuplanError", "Result", "TrainPlan", "ServePlan", "BuyResult", "SimResult",
    "PlanReport", "Catalog", "Scenario", "SweepResult", "catalog", "load_scenario", "size_train",
    "size_serve", "buy", "simulate", "plan", "sweep",
]


class GpuplanError(Exception):
    """A failure that is not the caller's input (I/O, an internal error)."""

    def __init__(self, message, kind="internal"):
        super().__init__(message)
        self.message = message
        self.kind = kind


class InputError(GpuplanError, ValueError):
    """Bad input: a scenario, a value or an option. ``file``, ``line`` and ``field`` are read
    from the library's message as the CLI's ``--json`` error object reads them
    ("s.toml:14: candidate 'b200': 'node_price' must be > 0" gives s.toml, 14, node_price) and
    are None when absent."""

    def __init__(self, message, kind="bad_input"):
        super().__init__(message, kind)
        self.file, self.line, self.field = _locate(message)


def _locate(message):
    """(file, line, field), as the CLI's --json error object names them."""
    return _gpuplan.locate_error(message)


def _native(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except _gpuplan.NativeError as e:
        kind, message = e.args if len(e.args) == 2 else ("internal", str(e))
        if kind == "bad_input":
            raise InputError(message) from None
        raise GpuplanError(message, kind) from None


class _Attrs:
    """Read-only attribute view of a JSON object: nested objects are views too."""

    def __init__(self, data):
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name):
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field '{name}' "
                                 f"(fields: {', '.join(self._data)})") from None

    def __getitem__(self, key):
        return _wrap(self._data[key])

    def __contains__(self, key):
        return key in self._data

    def __setattr__(self, name, value):
        raise AttributeError("results are read-only; to_dict() gives a copy to edit")

    def __dir__(self):
        return list(self._data) + [k for k in type(self).__dict__ if not k.startswith("_")]

    def to_dict(self):
        """The JSON document, as the command's --json prints it (a deep copy)."""
        return json.loads(json.dumps(self._data))

    def __repr__(self):
        keys = ", ".join(list(self._data)[:8])
        return f"<{type(self).__name__} {keys}{', ...' if len(self._data) > 8 else ''}>"


def _wrap(value):
    return _Attrs(value) if isinstance(value, dict) else value


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - pandas is a test dependency
        raise ImportError("to_pandas() needs pandas (Debian: python3-pandas)") from e
    return pandas


class Result(_Attrs):
    """A command's result. ``tables`` names what ``to_pandas(table)`` can return."""

    tables = ()

    def to_pandas(self, table=None):
        """One table as a pandas DataFrame; ``table`` is one of ``tables`` (default: the
        first)."""
        pd = _pandas()
        table = table or self.tables[0]
        if table not in self.tables:
            raise InputError(f"'{table}' is not a table of {type(self).__name__} "
                             f"(tables: {', '.join(self.tables)})")
        return pd.DataFrame(self._rows(table))

    def _rows(self, table):
        return self._data[table]


class TrainPlan(Result):
    """``gpuplan size train --json``: gpus, days, gpu_hours, mfu, parallelism, ..."""

    tables = ("summary",)

    def _rows(self, table):
        return [{k: v for k, v in self._data.items() if not isinstance(v, (dict, list))}]


class ServePlan(TrainPlan):
    """``gpuplan size serve --json``: gpus, replicas, ttft_ms, tpot_ms, tokens_per_s, ..."""


class Catalog(Result):
    """``gpuplan catalog list --json``: the accelerators."""

    tables = ("accelerators",)

    def _rows(self, table):
        return [{k: v for k, v in a.items() if k != "assumed"} for a in self._data[table]]

    def find(self, accelerator_id):
        for a in self._data["accelerators"]:
            if a["id"] == accelerator_id:
                return _Attrs(a)
        raise InputError(f"unknown accelerator '{accelerator_id}'")


class BuyResult(Result):
    """``gpuplan buy --json``: status, objective, costs, purchases, capacity by quarter."""

    tables = ("purchases", "capacity", "binding")


class SimResult(Result):
    """``gpuplan simulate --json``: waits, utilization, per tenant; jobs with ``jobs=True``."""

    tables = ("per_tenant", "jobs")

    def __init__(self, data, jobs_csv=""):
        super().__init__(data)
        object.__setattr__(self, "_jobs_csv", jobs_csv)

    def _rows(self, table):
        if table == "per_tenant":
            return [dict(tenant=name, **{k: v for k, v in t.items() if not isinstance(v, dict)})
                    for name, t in self._data["per_tenant"].items()]
        return None

    def to_pandas(self, table=None):
        if (table or self.tables[0]) == "jobs":
            if not self._jobs_csv:
                raise InputError("no job rows: call simulate(..., jobs=True)")
            return _pandas().read_csv(io.StringIO(self._jobs_csv))
        return super().to_pandas(table)


class PlanReport(Result):
    """``gpuplan plan --json`` (report.json, without the run's wall_s): sizing, buy, simulation,
    purchase options and warnings."""

    tables = ("purchases", "capacity", "waits_by_quarter", "policies", "spend")

    def _rows(self, table):
        buy_section = self._data.get("buy", {})
        sim = self._data.get("simulation", {})
        if table in ("purchases", "capacity", "spend"):
            rows = buy_section.get(table, [])
            if table == "capacity":
                rows = [{k: v for k, v in r.items() if not isinstance(v, dict)} for r in rows]
            return rows
        if table == "waits_by_quarter":
            return [{k: v for k, v in r.items() if not isinstance(v, (dict, list))}
                    for r in sim.get("by_quarter", [])]
        return [{k: v for k, v in r.items() if not isinstance(v, (dict, list))}
                for r in sim.get("policies", [])]


class Scenario:
    """A loaded, validated scenario (``load_scenario``); pass it to buy, simulate and plan."""

    def __init__(self, native):
        self._native = native

    def __getattr__(self, name):
        return getattr(self._native, name)

    def __repr__(self):
        return f"<Scenario {self._native.name} {self._native.first}..{self._native.last}>"


class SweepResult(Result):
    """``gpuplan sweep --json``: spec, columns, points (one per grid or sample point), summary
    percentiles and the tornado. ``quarters``: the points by quarter, one row per point and
    quarter, the columns of ``gpuplan sweep --quarters-csv``."""

    tables = ("points", "quarters", "tornado")

    def _rows(self, table):
        if table == "points":
            return [{c: (p["inputs"][c] if c in p["inputs"] else p.get(c))
                     for c in self._data["columns"]} for p in self._data["points"]]
        if table == "quarters":
            cols = self._data["columns"]
            axes = [c for c in cols[:cols.index("status")] if c != "index"]
            series = list(self._data["bands"]["series"])  # the stage's series, in CSV order
            return [dict(index=p["index"], **{a: p["inputs"].get(a) for a in axes},
                         quarter=q.get("quarter"), **{s: q.get(s) for s in series})
                    for p in self._data["points"] for q in p.get("by_quarter", [])]
        rows = []
        for metric, t in self._data.get("tornado", {}).get("metrics", {}).items():
            for bar in t["bars"]:
                rows.append(dict(metric=metric, base=t["base"], **bar))
        return rows

    def to_csv(self):
        """The table as ``gpuplan sweep --csv`` writes it."""
        return _gpuplan.sweep_csv(json.dumps(self._data))


def _scenario(scenario, overrides=None):
    if isinstance(scenario, Scenario):
        if overrides:
            return load_scenario(scenario.path, list(scenario.overrides) +
                                 _override_list(overrides))._native
        return scenario._native
    if scenario is None or isinstance(scenario, (str, os.PathLike)):
        return load_scenario(scenario, overrides)._native
    raise InputError("scenario must be a Scenario (load_scenario) or a path")


def _override_list(overrides):
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [f"{k}={_value_text(v)}" for k, v in overrides.items()]
    return list(overrides)


def _value_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if not isinstance(v, float) else repr(v)


def catalog(catalog_path=""):
    """The accelerator catalog (``gpuplan catalog list --json``)."""
    return Catalog(json.loads(_native(_gpuplan.catalog_json, catalog_path)))


def load_scenario(path=None, overrides=None, catalog_path=""):
    """Loads and validates a scenario TOML (default: the built-in Korea-like one).
    ``overrides`` maps keys to values, as ``--set key.path=value`` on the command line."""
    return Scenario(_native(_gpuplan.load_scenario, os.fspath(path) if path else "",
                            _override_list(overrides),
                            catalog_path))


def size_train(model=None, tokens=None, accelerator=None, gpus=None, days=None, params=None,
               active_params=None, seq=0, batch=0, batch_tokens=None, precision="bf16",
               goodput=None, interruptions_per_gpu_year=None, pue=None, usd_per_gpu_hour=0.0,
               catalog_path=""):
    """``gpuplan size train``: give ``model`` (preset id, .toml or config.json) or ``params``
    ("70B", with ``active_params`` for MoE), ``tokens`` ("15T"), ``accelerator``, and one of
    ``gpus`` or ``days`` (30 or "30d"). ``goodput`` overrides the share of wall time left by
    interruptions (``interruptions_per_gpu_year``, default Llama 3's rate), as the CLI's flags."""
    if tokens is None or accelerator is None:
        raise InputError("size_train needs tokens= and accelerator=")
    return TrainPlan(json.loads(_native(
        _gpuplan.size_train_json, model or "", "" if params is None else str(params),
        "" if active_params is None else str(active_params), str(tokens), accelerator,
        "" if gpus is None else str(gpus), "" if days is None else str(days), seq, batch,
        "" if batch_tokens is None else str(batch_tokens), precision,
        0.0 if goodput is None else goodput,
        -1.0 if interruptions_per_gpu_year is None else interruptions_per_gpu_year,
        _gpuplan.DEFAULT_PUE if pue is None else pue, usd_per_gpu_hour, catalog_path)))


def size_serve(model, accelerator, rps=None, gpus=None, prompt_tokens=1000, output_tokens=200,
               ttft_ms=500.0, tpot_ms=50.0, e2e_ms=None, percentile=99.0, offline=False,
               precision="bf16", kv_cache="auto", price_per_gpu_hour=None, tp=0, max_batch=0):
    """``gpuplan size serve`` on one accelerator: replicas for ``rps`` requests/s, or the rate
    ``gpus`` of them sustain, within TTFT, TPOT (and ``e2e_ms``) targets at ``percentile``
    (or ``offline``)."""
    return ServePlan(json.loads(_native(
        _gpuplan.size_serve_json, model, accelerator, prompt_tokens, output_tokens,
        None if rps is None else float(rps), gpus, float(ttft_ms), float(tpot_ms),
        None if e2e_ms is None else float(e2e_ms), float(percentile), offline, precision,
        kv_cache, price_per_gpu_hour, tp, max_batch)))


def buy(scenario=None, objective=None, time_limit_s=30.0, gap=1e-4, explain=True,
        overrides=None):
    """``gpuplan buy``: the purchase plan (MILP) of a scenario; ``objective`` None is the
    scenario's [plan] objective ("max-capacity", "min-cost" or "service-level")."""
    return BuyResult(json.loads(_native(_gpuplan.buy_json, _scenario(scenario, overrides),
                                        objective or "", time_limit_s, gap, explain)))


def simulate(trace=None, cluster=None, scenario=None, trace_format="gpuplan", policy=None,
             placement=None, seed=None, gpu_mtbf=None, node_repair=None, checkpoint=None,
             restart_overhead=None, bf_window=None, decay_half_life=None,
             priority_calc_period=None, estimate_factor=None, jobs=False, overrides=None):
    """``gpuplan simulate``: replay ``trace`` on ``cluster`` ("h100-sxm5-80gb:128x8"), or a
    scenario's planned fleet and jobs. Settings left None keep the CLI's defaults (or, with a
    scenario, its [simulation] table). ``jobs=True`` keeps one row per job for to_pandas."""
    if scenario is None and overrides:
        raise InputError("overrides change a scenario: give scenario=...")
    native = None if scenario is None else _scenario(scenario, overrides)
    doc, jobs_csv = _native(_gpuplan.simulate_json, cluster or "", native, trace or "",
                            trace_format, policy, placement, seed, gpu_mtbf, node_repair,
                            checkpoint, restart_overhead, bf_window, decay_half_life,
                            priority_calc_period,
                            None if estimate_factor is None else float(estimate_factor), jobs)
    return SimResult(json.loads(doc), jobs_csv)


def plan(scenario=None, policies=(), objective=None, compare=True, frontier=-1,
         time_limit_s=30.0, overrides=None):
    """``gpuplan plan``: size, buy and simulate a scenario; the report document. ``objective``
    None is the scenario's; ``frontier`` budgets on the cost/wait frontier (-1: 5 under
    service-level, else none)."""
    return PlanReport(json.loads(_native(_gpuplan.plan_json, _scenario(scenario, overrides),
                                         list(policies), objective or "", compare, frontier,
                                         time_limit_s)))


def _spec_json(spec, overrides=None):
    if isinstance(spec, (str, os.PathLike)):
        with open(spec, encoding="utf-8") as f:
            spec = json.load(f)
    if overrides:
        if not isinstance(spec, dict):
            raise InputError("sweep spec must be a dict or a JSON file")
        spec = dict(spec, set={**spec.get("set", {}), **{k: _value_text(v) for k, v in
                                                          dict(overrides).items()}})
    return json.dumps(spec)


def _sweep_point(spec_json, index):
    return _native(_gpuplan.sweep_point, spec_json, index)


def sweep(spec, client=None, workers=0, overrides=None):
    """Plans a scenario over a grid or Monte Carlo samples of its keys (``gpuplan sweep``).
    ``spec`` is a dict (or a JSON file): {"scenario": path, "grid": {key: [values]}} or
    {"sample": {key: {"uniform": [lo, hi]}}, "samples": N, "seed": S}, and optionally "set",
    "stage" ("buy" or "plan"), "tornado", "time_limit_s". Runs on ``workers`` local threads
    (0: all cores), or with a Dask ``client`` one task per point; the result is the same.
    ``overrides`` (key: value) apply to every point, after the spec's "set"."""
    spec_json = _spec_json(spec, overrides)
    if client is None:
        return SweepResult(json.loads(_native(_gpuplan.sweep_run, spec_json, workers)))
    count = _native(_gpuplan.sweep_points, spec_json)
    futures = client.map(_sweep_point, [spec_json] * count, list(range(count)), pure=False)
    rows = client.gather(futures)
    return SweepResult(json.loads(_native(_gpuplan.sweep_assemble, spec_json, rows)))
