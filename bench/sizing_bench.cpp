// Speed of the training parallelism search (the target: whole search < 0.2 s on one core)
// and, with --validation, the table of predictions vs ../shared/reference/training_runs.csv.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "sizing/sizing.h"

namespace gpuplan::sizing {
namespace {

const catalog::Catalog& Catalog() {
  static const catalog::Catalog* c = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  return *c;
}

void RunSearch(benchmark::State& state, const char* model, const char* acc, int gpus,
               catalog::Precision precision) {
  TrainRequest req;
  req.model = *model::LoadPreset(model);
  req.tokens = 15e12;
  req.num_gpus = gpus;
  req.precision = precision;
  const catalog::Accelerator& gpu = **Catalog().Find(acc);
  int evaluated = 0;
  for (auto _ : state) {
    auto plan = SizeTraining(req, gpu);
    if (!plan) {
      state.SkipWithError(plan.error().message.c_str());
      return;
    }
    evaluated = plan->configs_evaluated;
    benchmark::DoNotOptimize(plan->duration_s);
  }
  state.counters["configs"] = evaluated;
  state.counters["configs_per_s"] =
      benchmark::Counter(double(evaluated) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_SearchLlama3_405bOn16384H100(benchmark::State& state) {
  RunSearch(state, "llama3-405b", "h100-sxm5-80gb", 16384, catalog::Precision::kBf16);
}
BENCHMARK(BM_SearchLlama3_405bOn16384H100)->Unit(benchmark::kMillisecond);

void BM_SearchDeepSeekV3On2048H800(benchmark::State& state) {
  RunSearch(state, "deepseek-v3", "h800-sxm5-80gb", 2048, catalog::Precision::kFp8);
}
BENCHMARK(BM_SearchDeepSeekV3On2048H800)->Unit(benchmark::kMillisecond);

int PrintValidation() {
  auto rows = ValidateTrainingRuns(DefaultSharedDir() + "/reference/training_runs.csv", Catalog());
  if (!rows) {
    fmt::print(stderr, "error: {}\n", rows.error().message);
    return 2;
  }
  fmt::print("{:<52} {:<18} {:>11} {:>11} {:>6}  {}\n", "row", "metric", "predicted", "published",
             "ratio", "layout");
  std::vector<double> ratios;
  int within = 0;
  for (const auto& r : *rows) {
    fmt::print("{:<52} {:<18} {:>11.4g} {:>11.4g} {:>6.3f}  {}{}\n", r.id, r.metric, r.predicted,
               r.published, r.ratio, r.config,
               r.assumption.empty() ? "" : "  [assumed " + r.assumption + "]");
    ratios.push_back(r.ratio);
    within += std::abs(r.ratio - 1) <= 0.2;
  }
  std::sort(ratios.begin(), ratios.end());
  const size_t n = ratios.size();
  const double median = n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  fmt::print("rows {}, within +-20%: {}, median ratio {:.3f}\n", n, within, median);
  return 0;
}

}  // namespace
}  // namespace gpuplan::sizing

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--validation") == 0) return gpuplan::sizing::PrintValidation();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
