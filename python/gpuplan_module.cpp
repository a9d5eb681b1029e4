// _gpuplan: the native half of the Python package `gpuplan` (python/gpuplan/__init__.py wraps
// it). Each call builds the same library inputs the CLI builds and returns the same JSON
// document as the command's --json, as text, so to_dict() equals the CLI's output by
// construction. Bad input raises NativeError(kind, message); the package turns it into
// gpuplan.InputError with file, line and field. Long calls release the GIL.
#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "buy/buy.h"
#include "catalog/catalog.h"
#include "cli/output.h"
#include "model/model.h"
#include "plan/plan.h"
#include "scenario/scenario.h"
#include "sim/sim.h"
#include "sizing/sizing.h"
#include "sweep/sweep.h"
#include "trace/trace.h"
#include "units/units.h"

namespace py = pybind11;

namespace gpuplan::python {

namespace {

constexpr double kMsPerS = 1e3;

// Raised for every Error; `kind` is units' ErrorKind as text.
struct NativeError {
  std::string kind;
  std::string message;
};

std::string KindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput:
      return "bad_input";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

// A document as the command prints it under --json: schema_version first.
std::string Doc(nlohmann::ordered_json j) { return cli::WithSchemaVersion(std::move(j)).dump(); }

[[noreturn]] void Throw(const Error& e) { throw NativeError{KindName(e.kind), e.message}; }

template <typename T>
T Take(Result<T> r) {
  if (!r) Throw(r.error());
  return std::move(*r);
}

catalog::Catalog LoadCatalog(const std::string& path) {
  return Take(path.empty() ? catalog::Catalog::LoadDefault() : catalog::Catalog::Load(path));
}

// A loaded scenario with the catalog it was checked against (the stages need both).
struct LoadedScenario {
  catalog::Catalog catalog;
  scenario::Scenario scenario;
  std::vector<std::string> overrides;
};

LoadedScenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides,
                            const std::string& catalog_path) {
  LoadedScenario out{.catalog = LoadCatalog(catalog_path), .scenario = {}, .overrides = overrides};
  const std::string p = path.empty() ? scenario::DefaultScenarioPath() : path;
  out.scenario = Take(scenario::LoadScenario(p, out.catalog, overrides));
  return out;
}

std::string CatalogJson(const std::string& catalog_path) {
  return Doc(catalog::CatalogJson(LoadCatalog(catalog_path)));
}

// As `gpuplan size train`: a preset or model file (`model`), or a shape completed from `params`.
std::string SizeTrainJson(const std::string& model, const std::string& params,
                          const std::string& active_params, const std::string& tokens,
                          const std::string& accelerator, const std::string& gpus,
                          const std::string& days, int seq, int batch,
                          const std::string& batch_tokens, const std::string& precision,
                          double goodput, double interruptions_per_gpu_year, double pue,
                          double usd_per_gpu_hour, const std::string& catalog_path) {
  sizing::TrainRequest req;
  if (model.empty() == params.empty()) {
    Throw(Error{"give model='ID|path.toml|config.json' or params='70B', not both"});
  }
  if (!model.empty()) {
    if (!active_params.empty()) Throw(Error{"active_params goes with params, not model"});
    req.model = Take(model::FindModel(model));
  } else {
    model::ShapeConstraints c;
    c.params = Take(ParseQuantity(params, "params"));
    if (!active_params.empty())
      c.active_params = Take(ParseQuantity(active_params, "active_params"));
    req.model = Take(model::CompleteShape(c));
    req.is_shape_inferred = true;
  }
  const catalog::Catalog cat = LoadCatalog(catalog_path);
  const catalog::Accelerator* gpu = Take(cat.Find(accelerator));
  req.tokens = Take(ParseQuantity(tokens, "tokens"));
  req.precision = Take(catalog::ParsePrecision(precision));
  if (gpus.empty() == days.empty()) Throw(Error{"give exactly one of gpus=N or days=D"});
  if (!gpus.empty()) {
    const double g = Take(ParseQuantity(gpus, "gpus"));
    if (!(g >= 1) || g > (1 << 20) || g != std::floor(g)) {
      Throw(Error{
          fmt::format("'gpus' must be a whole number between 1 and {}, got {}", 1 << 20, gpus)});
    }
    req.num_gpus = static_cast<int>(g);
  } else {
    // 30 means 30 days; "30d", "12h", "2w" are durations (as --days).
    const bool is_number = days.find_first_not_of("0123456789.eE+-") == std::string::npos;
    const double d = is_number ? Take(ParseQuantity(days, "days"))
                               : Take(ParseDurationS(days, "days")) / kSecondsPerDay;
    if (!(d > 0)) Throw(Error{fmt::format("'days' must be > 0, got {}", days)});
    req.deadline_s = d * kSecondsPerDay;
  }
  if (!batch_tokens.empty()) {
    const double bt = Take(ParseQuantity(batch_tokens, "batch_tokens"));
    if (!(bt >= 1)) Throw(Error{fmt::format("'batch_tokens' must be >= 1, got {}", batch_tokens)});
    req.global_batch_tokens = bt;
  }
  // Range checks of the rest live in sizing::Validate(TrainRequest).
  req.seq_len = seq;
  req.global_batch_seqs = batch;
  req.goodput = goodput;  // 0: modelled from interruptions
  if (interruptions_per_gpu_year >= 0) {
    req.interruptions_per_gpu_s = interruptions_per_gpu_year / kSecondsPerYear;
  }
  req.pue = pue;
  req.usd_per_gpu_hour = usd_per_gpu_hour;
  py::gil_scoped_release release;
  const sizing::TrainPlan plan = Take(sizing::SizeTraining(req, *gpu));
  if (plan.status != sizing::TrainStatus::kOk) Throw(Error{plan.status_message});
  nlohmann::ordered_json j = sizing::TrainPlanJson(plan);
  j["cost_policy"] = sizing::TrainCostPolicyJson(req, *gpu);
  return Doc(std::move(j));
}

// As `gpuplan size serve` for one accelerator.
std::string SizeServeJson(const std::string& model, const std::string& accelerator,
                          int prompt_tokens, int output_tokens, std::optional<double> rps,
                          std::optional<int> gpus, double ttft_ms, double tpot_ms,
                          std::optional<double> e2e_ms, double percentile, bool offline,
                          const std::string& precision, const std::string& kv_cache,
                          std::optional<double> price_per_gpu_hour, int tp, int max_batch) {
  sizing::ServeRequest r;
  r.model = Take(model::FindModel(model));
  for (const auto& [name, n] :
       {std::pair{"prompt_tokens", prompt_tokens}, std::pair{"output_tokens", output_tokens}}) {
    if (n <= 0) Throw(Error{fmt::format("'{}' must be a whole number > 0, got {}", name, n)});
  }
  r.prompt_tokens = prompt_tokens;
  r.output_tokens = output_tokens;
  if (rps.has_value() == gpus.has_value()) {
    Throw(
        Error{"give exactly one of rps (size for a request rate) or gpus (the rate they sustain)"});
  }
  if (rps) {
    if (!(*rps > 0)) Throw(Error{fmt::format("'rps' must be > 0, got {}", *rps)});
    r.requests_per_s = *rps;
  } else {
    if (*gpus <= 0) Throw(Error{fmt::format("'gpus' must be a whole number > 0, got {}", *gpus)});
    r.num_gpus = *gpus;
  }
  if (!offline) {
    if (!(ttft_ms > 0)) Throw(Error{fmt::format("'ttft_ms' must be > 0, got {}", ttft_ms)});
    if (!(tpot_ms > 0)) Throw(Error{fmt::format("'tpot_ms' must be > 0, got {}", tpot_ms)});
    r.ttft_target_s = ttft_ms / kMsPerS;
    r.tpot_target_s = tpot_ms / kMsPerS;
    if (e2e_ms) {
      if (!(*e2e_ms > 0)) Throw(Error{fmt::format("'e2e_ms' must be > 0, got {}", *e2e_ms)});
      r.e2e_target_s = *e2e_ms / kMsPerS;
    }
  }
  r.latency_quantile = percentile / 100;
  r.kv_cache = Take(sizing::ParseKvCachePrecision(kv_cache));
  r.max_batch = max_batch;
  r.precision = Take(sizing::ParseServePrecision(precision));
  if (price_per_gpu_hour) {
    if (!(*price_per_gpu_hour > 0)) {
      Throw(Error{fmt::format("'price_per_gpu_hour' must be > 0, got {}", *price_per_gpu_hour)});
    }
    r.price_usd_per_gpu_hour = *price_per_gpu_hour;
  }
  if (tp < 0) Throw(Error{fmt::format("'tp' must be > 0, got {}", tp)});
  r.tensor_parallel = tp;
  const catalog::Catalog cat = LoadCatalog("");
  const catalog::Accelerator* gpu = Take(cat.Find(accelerator));
  py::gil_scoped_release release;
  nlohmann::ordered_json j = sizing::ServePlanJson(Take(sizing::SizeServing(r, *gpu)), r);
  j["cost_policy"] = sizing::ServeCostPolicyJson(r, *gpu);
  return Doc(std::move(j));
}

std::optional<plan::Objective> GivenObjective(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return Take(plan::ParseObjective(text));
}

// As `gpuplan buy --scenario`; an empty objective is the scenario's [plan] objective. Under
// service-level the levels are checked by simulation (the plan pipeline's loop, one policy).
std::string BuyJson(const LoadedScenario& s, const std::string& objective_text, double time_limit_s,
                    double gap, bool explain) {
  const std::optional<plan::Objective> given = GivenObjective(objective_text);
  if (!(time_limit_s > 0))
    Throw(Error{fmt::format("'time_limit_s' must be > 0, got {}", time_limit_s)});
  if (!(gap >= 0 && gap < 1)) Throw(Error{fmt::format("'gap' must be in [0, 1), got {}", gap)});
  const plan::Objective objective = given.value_or(plan::FromScenario(s.scenario.objective));
  py::gil_scoped_release release;
  auto problem =
      Take(buy::BuildBuyProblem(s.scenario, s.catalog, plan::MakeSizingResolver(s.catalog)));
  if (objective == plan::Objective::kServiceLevel) {
    plan::PlanOptions options{.policies = {s.scenario.simulation.policy},
                              .objective = plan::Objective::kServiceLevel,
                              .compare_purchase_options = false,
                              .frontier_points = 0,
                              .buy_time_limit_s = time_limit_s,
                              .buy_relative_gap = gap};
    const plan::PlanResult planned = Take(plan::RunPlan(s.scenario, s.catalog, options));
    if (!planned.buy.result) Throw(Error{planned.buy.error, ErrorKind::kInternal});
    const auto doc = plan::ToJson(planned, s.scenario);
    auto j = buy::ResultJson(s.scenario, *planned.buy.problem, *planned.buy.result);
    j["cost_policy"] = plan::CostPolicyJson(s.scenario, plan::PartCosts(s.scenario, s.catalog));
    j["objective_kind"] = "service-level";
    j["service_levels"] = doc["service_levels"];
    j["iterations"] = doc["buy"].contains("iterations") ? doc["buy"]["iterations"]
                                                        : nlohmann::ordered_json::array();
    return Doc(std::move(j));
  }
  problem.objective = objective == plan::Objective::kMinCost ? buy::Objective::kMinCost
                                                             : buy::Objective::kMaxCapacity;
  const buy::SolveOptions options{
      .time_limit_s = time_limit_s, .relative_gap = gap, .explain = explain};
  const buy::BuyResult result = Take(buy::SolveBuy(problem, options));
  auto j = buy::ResultJson(s.scenario, problem, result);
  j["cost_policy"] = plan::CostPolicyJson(s.scenario, plan::PartCosts(s.scenario, s.catalog));
  return Doc(std::move(j));
}

// As `gpuplan plan --json` (report.json, without the wall_s the CLI adds).
std::string PlanJson(const LoadedScenario& s, const std::vector<std::string>& policies,
                     const std::string& objective, bool compare, int frontier,
                     double time_limit_s) {
  plan::PlanOptions options;
  options.policies = policies;
  options.objective = GivenObjective(objective);
  options.compare_purchase_options = compare;
  if (frontier < -1 || frontier > 20)
    Throw(Error{fmt::format("'frontier' must be in [0, 20], got {}", frontier)});
  options.frontier_points = frontier;
  if (!(time_limit_s > 0))
    Throw(Error{fmt::format("'time_limit_s' must be > 0, got {}", time_limit_s)});
  options.buy_time_limit_s = time_limit_s;
  py::gil_scoped_release release;
  return Doc(plan::ToJson(Take(plan::RunPlan(s.scenario, s.catalog, options)), s.scenario));
}

struct SimulateArgs {
  std::string cluster;
  const LoadedScenario* scenario = nullptr;
  std::string trace;
  std::string trace_format = "gpuplan";
  std::optional<std::string> policy, placement;
  std::optional<uint64_t> seed;
  std::optional<std::string> gpu_mtbf, node_repair, checkpoint, restart_overhead;
  std::optional<std::string> bf_window, decay_half_life, priority_calc_period;
  std::optional<double> estimate_factor;
  bool record_jobs = false;
};

// As `gpuplan simulate`: returns {json, jobs_csv}. With a scenario only the settings given
// override its [simulation] table, as on the command line.
std::pair<std::string, std::string> Simulate(const SimulateArgs& a) {
  const trace::TraceFormat format = Take(trace::ParseTraceFormat(a.trace_format));
  sim::SimConfig config;
  trace::Trace trace;
  const bool all = a.scenario == nullptr;
  if (a.scenario != nullptr) {
    if (!a.cluster.empty())
      Throw(Error{"a scenario brings its own cluster (its purchase plan); drop cluster"});
    plan::ScenarioSimulation run;
    {
      py::gil_scoped_release release;
      run = Take(plan::SimulationOfScenario(a.scenario->scenario, a.scenario->catalog));
    }
    config = run.config;
    trace = std::move(run.trace);
    if (!a.trace.empty()) {
      trace = Take(trace::ReadTrace(a.trace, format));
      config.tenants.clear();
    }
  } else {
    if (a.cluster.empty()) Throw(Error{"give cluster='h100-sxm5-80gb:128x8' (or scenario=...)"});
    if (a.trace.empty()) Throw(Error{"give trace='jobs.csv' (or scenario=...)"});
    const catalog::Catalog cat = LoadCatalog("");
    config.cluster = Take(sim::ParseClusterSpec(a.cluster, cat));
    trace = Take(trace::ReadTrace(a.trace, format));
  }
  // The CLI's defaults (gpuplan simulate --help).
  if (all || a.placement)
    config.placement = Take(sim::ParsePlacement(a.placement.value_or("pack")));
  if (all || a.policy) config.policy = a.policy.value_or("fifo");

  if (all || a.seed) config.seed = a.seed.value_or(1);
  struct Dur {
    const std::optional<std::string>& text;
    const char* name;
    const char* fallback;
    double& out;
  };
  for (const Dur& d :
       {Dur{a.gpu_mtbf, "gpu_mtbf", "0", config.failures.gpu_mtbf_s},
        Dur{a.node_repair, "node_repair", "4h", config.failures.node_repair_s},
        Dur{a.checkpoint, "checkpoint", "1h", config.failures.checkpoint_interval_s},
        Dur{a.restart_overhead, "restart_overhead", "5m", config.failures.restart_overhead_s},
        Dur{a.priority_calc_period, "priority_calc_period", "5m", config.priority_calc_period_s}}) {
    if (!all && !d.text) continue;
    const std::string text = d.text.value_or(d.fallback);
    const double v = Take(ParseDurationS(text, d.name));
    if (v < 0) Throw(Error{fmt::format("'{}' must be >= 0, got '{}'", d.name, text)});
    d.out = v;
  }
  if (all || a.estimate_factor) {
    const double f = a.estimate_factor.value_or(2);
    if (!(f >= 0) || !std::isfinite(f))
      Throw(Error{fmt::format("'estimate_factor' must be >= 0, got {}", f)});
    config.estimate_factor = f;
  }
  for (const Dur& d :
       {Dur{a.bf_window, "bf_window", "1d", config.bf_window_s},
        Dur{a.decay_half_life, "decay_half_life", "7d", config.fairshare_half_life_s}}) {
    if (!all && !d.text) continue;
    const std::string text = d.text.value_or(d.fallback);
    const double v = Take(ParseDurationS(text, d.name));
    if (!(v > 0)) Throw(Error{fmt::format("'{}' must be > 0, got '{}'", d.name, text)});
    d.out = v;
  }
  config.timeline_interval_s = 0;
  config.record_jobs = a.record_jobs;
  py::gil_scoped_release release;
  const sim::SimResult result = Take(sim::Simulate(trace, config));
  return {Doc(sim::ToJson(result)), a.record_jobs ? sim::JobsCsv(result) : std::string()};
}

// Sweeps: the spec is the JSON of gpuplan.sweep's dict (docs/python.md).
sweep::SweepSpec Spec(const std::string& spec_json) {
  const auto j = nlohmann::json::parse(spec_json, nullptr, false);
  if (j.is_discarded()) Throw(Error{"sweep spec: not valid JSON"});
  return Take(sweep::SpecFromJson(j));
}

}  // namespace

PYBIND11_MODULE(_gpuplan, m) {
  m.doc() = "gpuplan's native library; use the `gpuplan` package";
  static py::exception<NativeError> native_error(m, "NativeError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NativeError& e) {
      PyErr_SetObject(native_error.ptr(), py::make_tuple(e.kind, e.message).ptr());
    }
  });
  py::class_<LoadedScenario>(m, "NativeScenario")
      .def_property_readonly("name", [](const LoadedScenario& s) { return s.scenario.name; })
      .def_property_readonly("path", [](const LoadedScenario& s) { return s.scenario.path; })
      .def_property_readonly("description",
                             [](const LoadedScenario& s) { return s.scenario.description; })
      .def_property_readonly(
          "first", [](const LoadedScenario& s) { return scenario::ToString(s.scenario.first); })
      .def_property_readonly(
          "last", [](const LoadedScenario& s) { return scenario::ToString(s.scenario.last); })
      .def_property_readonly("currency",
                             [](const LoadedScenario& s) { return s.scenario.currency; })
      .def_property_readonly("budget_total_usd",
                             [](const LoadedScenario& s) { return s.scenario.budget.total_usd; })
      .def_property_readonly("candidates",
                             [](const LoadedScenario& s) {
                               std::vector<std::string> ids;
                               for (const auto& c : s.scenario.candidates)
                                 ids.push_back(c.accelerator);
                               return ids;
                             })
      .def_property_readonly("tenants",
                             [](const LoadedScenario& s) {
                               std::vector<std::string> names;
                               for (const auto& t : s.scenario.tenants) names.push_back(t.name);
                               return names;
                             })
      .def_property_readonly("overrides", [](const LoadedScenario& s) { return s.overrides; });
  m.attr("DEFAULT_PUE") = sizing::kDefaultPue;
  m.def("default_scenario_path", &scenario::DefaultScenarioPath);
  // (file, line, field) of an error message, as the CLI's --json error object has them.
  m.def("locate_error", [](const std::string& message) {
    const cli::ErrorLocation w = cli::LocateError(message);
    return py::make_tuple(w.file.empty() ? py::object(py::none()) : py::str(w.file),
                          w.line > 0 ? py::object(py::int_(w.line)) : py::object(py::none()),
                          w.field.empty() ? py::object(py::none()) : py::str(w.field));
  });
  m.def("load_scenario", &LoadScenario, py::arg("path"), py::arg("overrides"),
        py::arg("catalog_path") = "");
  m.def("catalog_json", &CatalogJson, py::arg("catalog_path") = "");
  m.def("size_train_json", &SizeTrainJson, py::arg("model"), py::arg("params"),
        py::arg("active_params"), py::arg("tokens"), py::arg("accelerator"), py::arg("gpus"),
        py::arg("days"), py::arg("seq"), py::arg("batch"), py::arg("batch_tokens"),
        py::arg("precision"), py::arg("goodput"), py::arg("interruptions_per_gpu_year"),
        py::arg("pue"), py::arg("usd_per_gpu_hour"), py::arg("catalog_path"));
  m.def("size_serve_json", &SizeServeJson, py::arg("model"), py::arg("accelerator"),
        py::arg("prompt_tokens"), py::arg("output_tokens"), py::arg("rps"), py::arg("gpus"),
        py::arg("ttft_ms"), py::arg("tpot_ms"), py::arg("e2e_ms"), py::arg("percentile"),
        py::arg("offline"), py::arg("precision"), py::arg("kv_cache"),
        py::arg("price_per_gpu_hour"), py::arg("tp"), py::arg("max_batch"));
  m.def("buy_json", &BuyJson, py::arg("scenario"), py::arg("objective"), py::arg("time_limit_s"),
        py::arg("gap"), py::arg("explain"));
  m.def("plan_json", &PlanJson, py::arg("scenario"), py::arg("policies"), py::arg("objective"),
        py::arg("compare"), py::arg("frontier"), py::arg("time_limit_s"));
  m.def(
      "simulate_json",
      [](const std::string& cluster, const LoadedScenario* scenario, const std::string& trace,
         const std::string& trace_format, std::optional<std::string> policy,
         std::optional<std::string> placement, std::optional<uint64_t> seed,
         std::optional<std::string> gpu_mtbf, std::optional<std::string> node_repair,
         std::optional<std::string> checkpoint, std::optional<std::string> restart_overhead,
         std::optional<std::string> bf_window, std::optional<std::string> decay_half_life,
         std::optional<std::string> priority_calc_period, std::optional<double> estimate_factor,
         bool record_jobs) {
        return Simulate(SimulateArgs{.cluster = cluster,
                                     .scenario = scenario,
                                     .trace = trace,
                                     .trace_format = trace_format,
                                     .policy = policy,
                                     .placement = placement,
                                     .seed = seed,
                                     .gpu_mtbf = gpu_mtbf,
                                     .node_repair = node_repair,
                                     .checkpoint = checkpoint,
                                     .restart_overhead = restart_overhead,
                                     .bf_window = bf_window,
                                     .decay_half_life = decay_half_life,
                                     .priority_calc_period = priority_calc_period,
                                     .estimate_factor = estimate_factor,
                                     .record_jobs = record_jobs});
      },
      py::arg("cluster"), py::arg("scenario"), py::arg("trace"), py::arg("trace_format"),
      py::arg("policy"), py::arg("placement"), py::arg("seed"), py::arg("gpu_mtbf"),
      py::arg("node_repair"), py::arg("checkpoint"), py::arg("restart_overhead"),
      py::arg("bf_window"), py::arg("decay_half_life"), py::arg("priority_calc_period"),
      py::arg("estimate_factor"), py::arg("record_jobs"));
  // Sweeps: the points of a spec, one point's row (a Dask task), rows into the sweep document,
  // and the whole local run on `workers` threads (0: all cores).
  m.def("sweep_points", [](const std::string& spec_json) {
    return static_cast<int>(sweep::ExpandPoints(Spec(spec_json)).size());
  });
  m.def("sweep_point", [](const std::string& spec_json, int index) {
    const sweep::SweepSpec spec = Spec(spec_json);
    const catalog::Catalog cat = LoadCatalog("");
    py::gil_scoped_release release;
    const auto points = sweep::ExpandPoints(spec);
    if (index < 0 || index >= static_cast<int>(points.size())) {
      Throw(Error{fmt::format("sweep point {} out of range (0..{})", index, points.size())});
    }
    return sweep::EvaluatePoint(spec, points[static_cast<size_t>(index)], cat).dump();
  });
  m.def("sweep_assemble", [](const std::string& spec_json, const std::vector<std::string>& rows) {
    const sweep::SweepSpec spec = Spec(spec_json);
    std::vector<nlohmann::ordered_json> parsed;
    for (const auto& r : rows) parsed.push_back(nlohmann::ordered_json::parse(r));
    return Doc(Take(sweep::Assemble(spec, std::move(parsed))));
  });
  m.def("sweep_csv", [](const std::string& doc_json) {
    return sweep::TableCsv(nlohmann::ordered_json::parse(doc_json));
  });
  m.def(
      "sweep_run",
      [](const std::string& spec_json, int workers) {
        const sweep::SweepSpec spec = Spec(spec_json);
        const catalog::Catalog cat = LoadCatalog("");
        py::gil_scoped_release release;
        return Doc(Take(sweep::RunSweep(spec, cat, sweep::RunOptions{.workers = workers})));
      },
      py::arg("spec_json"), py::arg("workers") = 0);
}

}  // namespace gpuplan::python
