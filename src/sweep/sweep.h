// sweep: one scenario planned many times with some of its keys changed (scenario overrides,
// "key.path=value"), on a grid or at seeded Monte Carlo samples; each point runs the purchase
// MILP alone (stage "buy") or the whole plan (stage "plan"). The result is one table, one row per
// point, and a tornado summary: each input alone at its low and high value, the others at the
// scenario's own, and how far each moves cost, capacity and waits. Points are independent and
// pure, so a sweep splits over threads, Dask tasks or Slurm array shards with the same rows.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "scenario/scenario.h"
#include "units/units.h"

namespace gpuplan::sweep {

enum class Stage { kBuy, kPlan };
std::string_view ToString(Stage stage);  // "buy", "plan"

enum class Distribution { kValues, kUniform, kLogUniform, kNormal };
std::string_view ToString(Distribution d);  // "values", "uniform", "log-uniform", "normal"

// One swept key. Grid: `values` in order. Monte Carlo: drawn from `distribution` (kValues: one
// of `values`, equally likely; uniform and log-uniform: in [low, high); normal: mean `low`,
// standard deviation `high`).
struct Axis {
  std::string key{};
  std::vector<std::string> values{};  // override value texts
  Distribution distribution = Distribution::kValues;
  double low = 0;
  double high = 0;
};

struct SweepSpec {
  std::string scenario_path{};           // empty: the built-in default
  std::vector<std::string> overrides{};  // "key=value", applied to every point before the axes
  std::vector<Axis> axes{};
  int samples = 0;  // 0: the grid of every axis's values; > 0: this many Monte Carlo points
  uint64_t seed = 1;
  Stage stage = Stage::kBuy;
  bool has_tornado = true;
  double time_limit_s = 30;  // per MILP; the default problems solve to optimality well within it
};

// The axis key that swaps the scenario file itself (variants written by hand, other centers);
// every other key is a scenario override.
inline constexpr char kScenarioAxis[] = "scenario";

// Limits that keep a typo from queueing a million solves.
inline constexpr int kMaxPoints = 100000;

// The spec from its JSON form (gpuplan.sweep's dict, `gpuplan sweep --spec`), validated: keys
// {scenario, set, grid: {key: [values]}, sample: {key: {uniform|log_uniform: [lo, hi] |
// normal: [mean, sd] | values: [...]}}, samples, seed, stage, tornado, time_limit_s}.
Result<SweepSpec> SpecFromJson(const nlohmann::ordered_json& j);
nlohmann::ordered_json ToJson(const SweepSpec& spec);  // SpecFromJson(ToJson(s)) == s

// One evaluation: its index in the sweep, its role ("grid", "sample", "base", "low", "high"),
// and the value each axis takes (empty: the scenario's own).
struct Point {
  int index = 0;
  std::string role{};
  std::string varied{};               // low/high: the axis key varied
  std::vector<std::string> values{};  // per axis, as override texts
};

// Every point: the grid or the samples first, then (with has_tornado) base, and low and high of
// each axis. Samples come from Rng(seed) forked per point index, so a point's draws do not
// depend on how many points or workers there are.
std::vector<Point> ExpandPoints(const SweepSpec& spec);

// The scenario of `path` with `overrides` applied (the scenario module's overrides API).
Result<scenario::Scenario> LoadScenarioWithOverrides(const std::string& path,
                                                     const catalog::Catalog& catalog,
                                                     const std::vector<std::string>& overrides);
// How points load their scenario: LoadScenarioWithOverrides, or a fake in tests.
using ScenarioLoader = std::function<Result<scenario::Scenario>(
    const std::string& path, const catalog::Catalog& catalog,
    const std::vector<std::string>& overrides)>;

// The scenario, and each axis value alone (the others at the scenario's own; a sampled axis at
// every value its samples draw and its tornado extremes), loads, or the error names the axis,
// the value and why: a typo in a key or a value is bad input, not a sweep whose points fail one
// by one and exit 0. Returns every file those scenarios read (Scenario::files_read), sorted, for
// the output checks.
Result<std::vector<std::string>> CheckAxes(
    const SweepSpec& spec, const catalog::Catalog& catalog,
    const ScenarioLoader& loader = LoadScenarioWithOverrides);

// One point's row: {index, role, varied, inputs{key: value}, status, metrics..., error,
// by_quarter[{quarter, QuarterSeriesNames...}]}. A point whose overrides or stage fail has its
// error in the row; the sweep goes on.
nlohmann::ordered_json EvaluatePoint(const SweepSpec& spec, const Point& point,
                                     const catalog::Catalog& catalog,
                                     const ScenarioLoader& loader = LoadScenarioWithOverrides);

// The metric columns of a stage, in table order.
std::vector<std::string> MetricNames(Stage stage);
// The per-quarter series of a row's by_quarter (fleet; waits and utilization in stage plan).
std::vector<std::string> QuarterSeriesNames(Stage stage);

// Rows (any order, each point exactly once) into the sweep document: {spec, scenario (currency
// and units_per_usd, when every point shares them), columns, points,
// summary (per metric: count, min, p5, p50, p95, max, mean), bands ({quarters, series: {name:
// {count, p5, p50, p95}}}: per quarter across the table's points), tornado}. Error when rows
// are missing, repeated or of another spec.
Result<nlohmann::ordered_json> Assemble(const SweepSpec& spec,
                                        std::vector<nlohmann::ordered_json> rows);

struct RunOptions {
  int workers = 0;  // threads or processes; 0: all cores
  // Workers as forked processes, not threads: the buy stage's MILP solves then run at once
  // (CBC's driver serializes them within a process). For a single-threaded caller only (the
  // CLI); the rows are the same either way.
  bool processes = false;
  // Evaluate only points with index % shard_count == shard_index (a Slurm array task).
  int shard_index = 0;
  int shard_count = 1;
  ScenarioLoader loader = LoadScenarioWithOverrides;
};

// Evaluates the points of this shard on `options.workers` workers; the rows, in index order.
std::vector<nlohmann::ordered_json> EvaluateShard(const SweepSpec& spec,
                                                  const catalog::Catalog& catalog,
                                                  const RunOptions& options);

// The whole sweep on this machine: EvaluateShard then Assemble. The document is the same for
// any number of workers.
Result<nlohmann::ordered_json> RunSweep(const SweepSpec& spec, const catalog::Catalog& catalog,
                                        const RunOptions& options);

// The table of the grid or sample points: index, one column per axis, status, the metrics,
// error. Numbers in shortest round-trip form.
std::string TableCsv(const nlohmann::ordered_json& document);
// The same points by quarter, one line per point and quarter: index, the axes, quarter, the
// stage's QuarterSeriesNames (a long table, as pandas and spreadsheets pivot it).
std::string QuarterTableCsv(const nlohmann::ordered_json& document);

}  // namespace gpuplan::sweep
