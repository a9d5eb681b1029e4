#include "sweep/sweep.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

namespace gpuplan::sweep {
namespace {

using Json = nlohmann::ordered_json;

const catalog::Catalog& Cat() {
  static const catalog::Catalog cat = *catalog::Catalog::LoadDefault();
  return cat;
}

scenario::Scenario DefaultScenario() {
  auto s = scenario::LoadScenario(scenario::DefaultScenarioPath(), Cat());
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s ? *s : scenario::Scenario{};
}

// The default scenario's capital budget over its horizon (its yearly budgets), in its currency
// (what budget.total is written in).
double DefaultBudget() {
  const scenario::Scenario s = DefaultScenario();
  double usd = 0;
  for (const auto& y : s.budget.per_year) usd += y.capex_usd;
  return usd * s.units_per_usd;
}

// The node price of the default scenario's first candidate, in its currency, and its key.
std::pair<std::string, double> FirstNodePrice() {
  const scenario::Scenario s = DefaultScenario();
  return {"candidate." + s.candidates.at(0).accelerator + ".node_price",
          s.candidates.at(0).node_price_usd * s.units_per_usd};
}

SweepSpec Parse(const std::string& text) {
  auto spec = SpecFromJson(Json::parse(text));
  EXPECT_TRUE(spec.has_value()) << (spec ? "" : spec.error().message);
  return spec ? *spec : SweepSpec{};
}

TEST(SpecFromJson, RefusesMalformedSpecsWithTheKeyAtFault) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"grid": {"a": [1]}, "colour": 1})", "unknown key 'colour'"},
      {R"({"grid": {"a": [1]}, "sample": {"b": {"uniform": [0, 1]}}})", "exactly one of"},
      {R"({})", "exactly one of"},
      {R"({"grid": {"a": []}})", "grid.a must be a non-empty list"},
      {R"({"sample": {"a": {"uniform": [2, 1]}}, "samples": 3})", "lo < hi"},
      {R"({"sample": {"a": {"log_uniform": [0, 1]}}, "samples": 3})", "0 < lo < hi"},
      {R"({"sample": {"a": {"beta": [0, 1]}}, "samples": 3})", "unknown distribution 'beta'"},
      {R"({"sample": {"a": {"uniform": [0, 1]}}})", "'samples' must be"},
      {R"({"grid": {"a": [1]}, "stage": "sim"})", "'stage' must be"},
      {R"({"grid": {"a": [1]}, "seed": -1})", "'seed'"},
      {R"({"grid": {"a": [1,2,3,4,5,6,7,8,9,10], "b": [1,2,3,4,5,6,7,8,9,10],
                    "c": [1,2,3,4,5,6,7,8,9,10], "d": [1,2,3,4,5,6,7,8,9,10],
                    "e": [1,2,3,4,5,6,7,8,9,10,11]}})",
       "more than 100000"},
  };
  for (const auto& [text, expected] : cases) {
    auto spec = SpecFromJson(Json::parse(text));
    ASSERT_FALSE(spec.has_value()) << text;
    EXPECT_NE(spec.error().message.find(expected), std::string::npos)
        << text << " -> " << spec.error().message;
  }
}

TEST(SpecFromJson, RoundTripsThroughItsJson) {
  const SweepSpec spec = Parse(R"({"scenario": "x.toml", "set": {"k": 1.5},
      "sample": {"b": {"normal": [10, 2]}, "a": {"values": ["x", "y"]}},
      "samples": 7, "seed": 3, "stage": "plan", "tornado": false, "time_limit_s": 5})");
  EXPECT_EQ(spec.axes.size(), 2u);
  EXPECT_EQ(spec.axes[0].key, "b");  // the spec's order, not sorted
  EXPECT_EQ(spec.overrides, std::vector<std::string>{"k=1.5"});
  auto again = SpecFromJson(ToJson(spec));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(ToJson(*again), ToJson(spec));
}

TEST(ExpandPoints, GridIsRowMajorThenTornado) {
  const SweepSpec spec = Parse(R"({"grid": {"a": [1, 2], "b": ["x", "y", "z"]}})");
  const std::vector<Point> p = ExpandPoints(spec);
  // 2 x 3 grid + base + low/high of 2 axes.
  ASSERT_EQ(p.size(), 6u + 1 + 4);
  EXPECT_EQ(p[1].values, (std::vector<std::string>{"1", "y"}));
  EXPECT_EQ(p[3].values, (std::vector<std::string>{"2", "x"}));
  EXPECT_EQ(p[6].role, "base");
  EXPECT_EQ(p[6].values, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(p[7].role, "low");
  EXPECT_EQ(p[7].values, (std::vector<std::string>{"1", ""}));
  EXPECT_EQ(p[10].role, "high");
  EXPECT_EQ(p[10].values, (std::vector<std::string>{"", "z"}));  // not numbers: the last value
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i].index, static_cast<int>(i));
}

TEST(ExpandPoints, SamplesDependOnSeedAndIndexOnly) {
  const SweepSpec five = Parse(R"({"sample": {"a": {"uniform": [1, 2]},
      "b": {"log_uniform": [1, 1000]}}, "samples": 5, "seed": 9, "tornado": false})");
  SweepSpec ten = five;
  ten.samples = 10;
  const auto p5 = ExpandPoints(five), p10 = ExpandPoints(ten);
  ASSERT_EQ(p5.size(), 5u);
  for (size_t i = 0; i < p5.size(); ++i) EXPECT_EQ(p5[i].values, p10[i].values);
  SweepSpec other_seed = five;
  other_seed.seed = 10;
  EXPECT_NE(ExpandPoints(other_seed)[0].values, p5[0].values);
  // Draws stay in their ranges: uniform in [1, 2), log-uniform in [1, 1000).
  for (const auto& p : p10) {
    const double a = std::stod(p.values[0]), b = std::stod(p.values[1]);
    EXPECT_GE(a, 1);
    EXPECT_LT(a, 2);
    EXPECT_GE(b, 1);
    EXPECT_LT(b, 1000);
  }
}

TEST(ExpandPoints, UniformSamplesHaveTheUniformMean) {
  // 4000 draws of U[0, 1): mean 0.5, standard error 1/sqrt(12 * 4000) = 0.0046; 5 sigma.
  const SweepSpec spec =
      Parse(R"({"sample": {"a": {"uniform": [0, 1]}}, "samples": 4000, "tornado": false})");
  double sum = 0;
  for (const auto& p : ExpandPoints(spec)) sum += std::stod(p.values[0]);
  EXPECT_NEAR(sum / 4000, 0.5, 5 * 0.0046);
}

// A 2 x 2 budget x price grid of the default scenario (the scenario parser's --set overrides),
// buy stage, with the tornado.
SweepSpec BudgetPriceGrid() {
  const double b = DefaultBudget();
  const auto [price_key, price] = FirstNodePrice();
  Json j;
  j["grid"]["budget.total"] = {0.8 * b, 1.2 * b};
  j["grid"][price_key] = {0.7 * price, 1.3 * price};
  auto spec = SpecFromJson(j);
  EXPECT_TRUE(spec.has_value());
  return *spec;
}

TEST(RunSweep, SameDocumentOnOneTwoAndFourWorkers) {
  const SweepSpec spec = BudgetPriceGrid();
  std::string first;
  // Threads, then forked worker processes (the CLI's).
  for (const auto& [workers, processes] :
       {std::pair{1, false}, std::pair{2, false}, std::pair{4, false}, std::pair{3, true}}) {
    auto doc = RunSweep(spec, Cat(), RunOptions{.workers = workers, .processes = processes});
    ASSERT_TRUE(doc.has_value()) << doc.error().message;
    ASSERT_EQ((*doc)["points"].size(), 4u);
    for (const Json& row : (*doc)["points"]) {
      EXPECT_EQ(row["status"], "optimal") << row.dump();
      // The fleet by quarter ends at the row's final figure.
      ASSERT_FALSE(row["by_quarter"].empty());
      EXPECT_EQ(row["by_quarter"].back()["h100_equivalents"], row["final_h100_equivalents"]);
    }
    // Every point priced in the scenario's currency: the document says which.
    EXPECT_EQ((*doc)["scenario"]["currency"], DefaultScenario().currency);
    if (first.empty()) {
      first = doc->dump();
    } else {
      EXPECT_EQ(doc->dump(), first) << workers << " workers, processes " << processes;
    }
  }
}

// A worker process that dies mid-sweep loses nothing: the points it did not deliver are
// evaluated by the caller, and the rows equal a threaded run's.
TEST(RunSweep, AWorkerProcessThatDiesLosesNoPoint) {
  const SweepSpec spec =
      Parse(R"({"grid": {"x": ["1", "2", "3", "4", "5", "6"]}, "tornado": false})");
  const pid_t parent = getpid();
  // Fails fast (no MILP), and kills any worker process that is given the third point.
  std::set<std::string> in_parent;  // points the calling process evaluated itself
  ScenarioLoader loader =
      [parent, &in_parent](
          const std::string&, const catalog::Catalog&,
          const std::vector<std::string>& overrides) -> Result<scenario::Scenario> {
    if (getpid() == parent) in_parent.insert(overrides.back());
    if (getpid() != parent && overrides.back() == "x=3") _exit(9);
    return Error{"no scenario: " + overrides.back()};
  };
  const auto threaded = EvaluateShard(spec, Cat(), RunOptions{.workers = 1, .loader = loader});
  in_parent.clear();
  const auto forked =
      EvaluateShard(spec, Cat(), RunOptions{.workers = 2, .processes = true, .loader = loader});
  // The killed worker's point, and whatever else that worker had not delivered.
  EXPECT_TRUE(in_parent.count("x=3")) << in_parent.size();
  EXPECT_LT(in_parent.size(), 6u);
  ASSERT_EQ(forked.size(), 6u);
  for (size_t i = 0; i < forked.size(); ++i) {
    EXPECT_EQ(forked[i].dump(), threaded[i].dump()) << i;
    EXPECT_EQ(forked[i]["error"], "no scenario: x=" + std::to_string(i + 1));
  }
}

// A worker process that is sent SIGTERM dies alone: it inherited the parent's signal cleanup,
// which removed the parent's lock and temp files while the parent ran on (issue 12).
TEST(RunSweep, ASignalledWorkerLeavesTheParentsFiles) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("gpuplan-sweep-lock-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out.csv").string();
  {
    auto lock = OutputLock::Acquire(out);
    ASSERT_TRUE(lock) << lock.error().message;
    const pid_t parent = getpid();
    ScenarioLoader loader =
        [parent](const std::string&, const catalog::Catalog&,
                 const std::vector<std::string>& overrides) -> Result<scenario::Scenario> {
      if (getpid() != parent && overrides.back() == "x=2") raise(SIGTERM);
      return Error{"no scenario: " + overrides.back()};
    };
    const SweepSpec spec = Parse(R"({"grid": {"x": ["1", "2", "3", "4"]}, "tornado": false})");
    const auto rows =
        EvaluateShard(spec, Cat(), RunOptions{.workers = 2, .processes = true, .loader = loader});
    ASSERT_EQ(rows.size(), 4u);
    for (const Json& row : rows) EXPECT_FALSE(row.is_null());
    EXPECT_TRUE(std::filesystem::exists(dir / ".out.csv.lock"));
  }
  std::filesystem::remove_all(dir);
}

// Workers die with the sweep: a killed `gpuplan sweep` left its workers running every point.
TEST(RunSweep, WorkersDieWithTheirParent) {
  // Orphans are re-parented to this process, so it can reap them and see that they ended.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t sweep = fork();
  ASSERT_GE(sweep, 0);
  if (sweep == 0) {
    close(fds[0]);
    const pid_t me = getpid();
    ScenarioLoader loader =
        [me, fd = fds[1]](const std::string&, const catalog::Catalog&,
                          const std::vector<std::string>& overrides) -> Result<scenario::Scenario> {
      if (getpid() != me) {  // a worker: says who it is, then works for a long time
        const pid_t self = getpid();
        if (write(fd, &self, sizeof self) != sizeof self) _exit(3);
        sleep(60);
      }
      return Error{"no scenario: " + overrides.back()};
    };
    const SweepSpec spec = Parse(R"({"grid": {"x": ["1", "2"]}, "tornado": false})");
    EvaluateShard(spec, Cat(), RunOptions{.workers = 2, .processes = true, .loader = loader});
    _exit(0);
  }
  close(fds[1]);
  std::vector<pid_t> workers;
  while (workers.size() < 2) {
    pollfd p{fds[0], POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 20000), 1) << "the workers did not start";
    pid_t w = 0;
    ASSERT_EQ(read(fds[0], &w, sizeof w), static_cast<ssize_t>(sizeof w));
    workers.push_back(w);
  }
  close(fds[0]);
  kill(sweep, SIGKILL);
  ASSERT_EQ(waitpid(sweep, nullptr, 0), sweep);
  for (const pid_t w : workers) {
    bool ended = false;
    for (int i = 0; i < 200 && !ended; ++i) {
      ended = waitpid(w, nullptr, WNOHANG) == w;
      if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(ended) << "worker " << w << " outlived the sweep by 10 s";
    if (!ended) {
      kill(w, SIGKILL);
      waitpid(w, nullptr, 0);
    }
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(RunSweep, ShardsMergedEqualTheWhole) {
  const SweepSpec spec = BudgetPriceGrid();
  auto whole = RunSweep(spec, Cat(), RunOptions{.workers = 2});
  ASSERT_TRUE(whole.has_value());
  std::vector<Json> rows;
  for (int i = 0; i < 3; ++i) {
    auto shard =
        EvaluateShard(spec, Cat(), RunOptions{.workers = 1, .shard_index = i, .shard_count = 3});
    rows.insert(rows.end(), shard.begin(), shard.end());
  }
  auto merged = Assemble(spec, rows);
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  EXPECT_EQ(merged->dump(), whole->dump());
  // A missing or a repeated point is refused.
  std::vector<Json> missing(rows.begin() + 1, rows.end());
  EXPECT_FALSE(Assemble(spec, missing).has_value());
  std::vector<Json> repeated = rows;
  repeated.back() = rows.front();
  EXPECT_FALSE(Assemble(spec, repeated).has_value());
}

TEST(RunSweep, TornadoFollowsTheOptimizer) {
  auto doc = RunSweep(BudgetPriceGrid(), Cat(), RunOptions{.workers = 2});
  ASSERT_TRUE(doc.has_value());
  const Json& capacity = (*doc)["tornado"]["metrics"]["h100_eq_gpu_hours"];
  ASSERT_EQ(capacity["bars"].size(), 2u);
  for (const Json& bar : capacity["bars"]) {
    ASSERT_TRUE(bar["at_low"].is_number()) << bar.dump();
    const double lo = bar["at_low"], hi = bar["at_high"];
    if (bar["key"] == "budget.total") {
      // More money can only add capacity (the feasible set grows); within the MIP gap.
      EXPECT_GE(hi, lo * (1 - 1e-3));
    } else {
      // Dearer nodes can only cost capacity.
      EXPECT_LE(hi, lo * (1 + 1e-3));
    }
  }
  // Bars are sorted by swing, largest first.
  const Json& bars = capacity["bars"];
  EXPECT_GE(bars[0]["swing"].get<double>(), bars[1]["swing"].get<double>());
  // The base point is the scenario's own budget and prices.
  EXPECT_TRUE((*doc)["tornado"]["base"]["inputs"]["budget.total"].is_null());
}

TEST(RunSweep, AFailingPointKeepsItsErrorAndTheRestRun) {
  Json j;
  j["grid"]["budget.total"] = {"-1", DefaultBudget()};
  j["tornado"] = false;
  auto spec = SpecFromJson(j);
  ASSERT_TRUE(spec.has_value());
  auto doc = RunSweep(*spec, Cat(), RunOptions{.workers = 2});
  ASSERT_TRUE(doc.has_value());
  const Json& points = (*doc)["points"];
  EXPECT_EQ(points[0]["status"], "error");
  // The scenario parser's own message, naming the override.
  EXPECT_EQ(points[0]["error"].get<std::string>().rfind("--set budget.total: ", 0), 0u)
      << points[0]["error"];
  EXPECT_TRUE(points[0]["total_cost_usd"].is_null());
  EXPECT_EQ(points[1]["status"], "optimal");
  EXPECT_EQ((*doc)["summary"]["total_cost_usd"]["count"], 1);
  // CSV: a header and one line per table point; the failed point's metrics are empty.
  const std::string csv = TableCsv(*doc);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "index,budget.total,status,total_cost_usd,capex_usd,h100_eq_gpu_hours,"
            "final_h100_equivalents,final_gpus,final_power_mw,error");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_NE(csv.find("0,-1,error,,,,,,,"), std::string::npos) << csv;
}

// A row as EvaluatePoint writes it, with the given cost and by-quarter GPUs (quarter, gpus).
Json FakeRow(const SweepSpec& spec, const Point& p, double cost,
             const std::vector<std::pair<std::string, double>>& gpus) {
  Json row = {{"index", p.index}, {"role", p.role}, {"varied", p.varied}};
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    row["inputs"][spec.axes[a].key] = p.values[a].empty() ? Json(nullptr) : Json(p.values[a]);
  }
  row["status"] = "optimal";
  for (const std::string& m : MetricNames(spec.stage)) row[m] = nullptr;
  row["total_cost_usd"] = cost;
  row["error"] = nullptr;
  row["by_quarter"] = Json::array();
  for (const auto& [quarter, n] : gpus) {
    row["by_quarter"].push_back(
        {{"quarter", quarter}, {"gpus", n}, {"h100_equivalents", nullptr}, {"power_mw", 1}});
  }
  return row;
}

// Bands by hand: per quarter over the 4 grid points only (the tornado's base/low/high rows carry
// 1e9 GPUs, which must not show), nearest-rank percentiles, quarters in time order even when the
// first row lists them otherwise, and a quarter only one point has.
TEST(Assemble, BandsArePerQuarterPercentilesOfTheTablePoints) {
  const SweepSpec spec = Parse(R"({"grid": {"a": [1, 2], "b": [10, 20]}})");
  const std::vector<Point> points = ExpandPoints(spec);
  ASSERT_EQ(points.size(), 4u + 1 + 4);
  const double q1_gpus[] = {40, 10, 30, 20};
  std::vector<Json> rows;
  for (const Point& p : points) {
    if (p.role != "grid") {
      rows.push_back(FakeRow(spec, p, 0, {{"2027Q1", 1e9}}));
      continue;
    }
    std::vector<std::pair<std::string, double>> gpus = {{"2027Q1", q1_gpus[p.index]},
                                                        {"2026Q4", 100.0 + p.index}};
    if (p.index == 3) gpus.push_back({"2027Q2", 5});
    rows.push_back(FakeRow(spec, p, 0, gpus));
  }
  auto doc = Assemble(spec, rows);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const Json& bands = (*doc)["bands"];
  EXPECT_EQ(bands["quarters"], Json({"2026Q4", "2027Q1", "2027Q2"}));
  const Json& gpus = bands["series"]["gpus"];
  EXPECT_EQ(gpus["count"], Json({4, 4, 1}));
  // 2026Q4: 100..103; 2027Q1: 10, 20, 30, 40 sorted; rank ceil(p n): p5 -> 1st, p50 -> 2nd,
  // p95 -> 4th.
  EXPECT_EQ(gpus["p5"], Json({100.0, 10.0, 5.0}));
  EXPECT_EQ(gpus["p50"], Json({101.0, 20.0, 5.0}));
  EXPECT_EQ(gpus["p95"], Json({103.0, 40.0, 5.0}));
  // A series no point knows is null in every quarter, with count 0.
  EXPECT_EQ(bands["series"]["h100_equivalents"]["count"], Json({0, 0, 0}));
  EXPECT_EQ(bands["series"]["h100_equivalents"]["p50"], Json({nullptr, nullptr, nullptr}));
  // Stage buy has no wait series.
  EXPECT_FALSE(bands["series"].contains("p95_wait_s"));
  // The long table: one line per point and quarter.
  const std::string csv = QuarterTableCsv(*doc);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "index,a,b,quarter,gpus,h100_equivalents,power_mw");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 + 2 + 2 + 3);
  EXPECT_NE(csv.find("\n1,1,20,2027Q1,10,,1\n"), std::string::npos) << csv;
}

// Tornado by hand: each axis's low and high point against the base, bars by swing, largest
// first; an axis whose high point failed has no swing and goes last.
TEST(Assemble, TornadoBarsAreTheLowAndHighPointsBySwing) {
  const SweepSpec spec = Parse(R"({"grid": {"a": [1, 3, 2], "b": [10, 20], "c": [0, 1]}})");
  std::vector<Json> rows;
  for (const Point& p : ExpandPoints(spec)) {
    double cost = 7;  // grid points and the base
    if (p.role == "low") cost = p.varied == "a" ? 100 : p.varied == "b" ? 300 : 5;
    if (p.role == "high") cost = p.varied == "a" ? 150 : p.varied == "b" ? 100 : 6;
    Json row = FakeRow(spec, p, cost, {});
    if (p.role == "high" && p.varied == "c") {
      row["status"] = "error";
      row["total_cost_usd"] = nullptr;
    }
    rows.push_back(std::move(row));
  }
  auto doc = Assemble(spec, rows);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  const Json& cost = (*doc)["tornado"]["metrics"]["total_cost_usd"];
  EXPECT_EQ(cost["base"], 7.0);
  const Json& bars = cost["bars"];
  ASSERT_EQ(bars.size(), 3u);
  EXPECT_EQ(bars[0]["key"], "b");
  EXPECT_EQ(bars[0]["swing"], 200.0);
  EXPECT_EQ(bars[0]["at_low"], 300.0);
  EXPECT_EQ(bars[0]["at_high"], 100.0);
  EXPECT_EQ(bars[1]["key"], "a");
  EXPECT_EQ(bars[1]["swing"], 50.0);
  // Low and high of a numeric axis are its smallest and largest values, not its first and last.
  EXPECT_EQ(bars[1]["low"], "1");
  EXPECT_EQ(bars[1]["high"], "3");
  EXPECT_EQ(bars[2]["key"], "c");
  EXPECT_TRUE(bars[2]["swing"].is_null());
  EXPECT_EQ(bars[2]["at_low"], 5.0);
}

// A real plan-stage point of the one-year small scenario: its by_quarter has every quarter of
// the horizon, the fleet's last quarter is the row's final figure, and the simulated waits.
TEST(EvaluatePoint, PlanStageRowHasTheFleetAndWaitsByQuarter) {
  Json j;
  j["scenario"] = std::string(GPUPLAN_SMALL_SCENARIO);
  j["grid"]["budget.total"] = {6e7};
  j["stage"] = "plan";
  j["tornado"] = false;
  auto spec = SpecFromJson(j);
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  const Json row = EvaluatePoint(*spec, ExpandPoints(*spec).at(0), Cat());
  ASSERT_NE(row["status"], "error") << row.dump();
  const Json& by_quarter = row["by_quarter"];
  ASSERT_EQ(by_quarter.size(), 4u) << by_quarter.dump();  // 2026Q4..2027Q3
  EXPECT_EQ(by_quarter[0]["quarter"], "2026Q4");
  EXPECT_EQ(by_quarter[3]["quarter"], "2027Q3");
  EXPECT_EQ(by_quarter[3]["h100_equivalents"], row["final_h100_equivalents"]);
  EXPECT_EQ(by_quarter[3]["gpus"], row["final_gpus"]);
  for (const Json& q : by_quarter) {
    for (const std::string& series : QuarterSeriesNames(Stage::kPlan)) {
      EXPECT_TRUE(q[series].is_number()) << series << " in " << q.dump();
    }
  }
  // The fleet only grows (nothing is retired within a year), so waits are known each quarter.
  EXPECT_LE(by_quarter[0]["gpus"].get<double>(), by_quarter[3]["gpus"].get<double>());
}

}  // namespace
}  // namespace gpuplan::sweep
