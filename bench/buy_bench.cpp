// Speed of the procurement MILP at the size: 25 accelerator types over 12 quarters with
// every constraint family on (budget per year, supply, power, export cap, vendor and domestic
// shares, milestones, rental), solved by CBC to a relative gap of 0.1%.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>

#include "buy/buy.h"
#include "catalog/catalog.h"

namespace gpuplan::buy {
namespace {

constexpr int kNumTypes = 25;
constexpr int kNumQuarters = 12;
constexpr double kGap = 1e-3;
// Planning figures for the synthetic center (not facts): a server costs 1.3x its GPUs, draws
// 1.8x their TDP; parts without a public price cost USD 25 per dense BF16 TFLOP/s.
constexpr double kServerPriceOverGpus = 1.3;
constexpr double kServerPowerOverTdp = 1.8;
constexpr double kUsdPerTflopWithoutPrice = 25;

BuyProblem Synthetic(Objective objective) {
  const catalog::Catalog cat = catalog::Catalog::LoadDefault().value();
  const catalog::Accelerator& h100 = **cat.Find("h100-sxm5-80gb");
  BuyProblem p;
  p.objective = objective;
  for (int t = 0; t < kNumQuarters; ++t) {
    const int year = 2027 + t / 4;
    p.quarters.push_back({.label = fmt::format("{}Q{}", year, t % 4 + 1),
                          .year = year,
                          // 60 MW growing to 170 MW.
                          .facility_power_w = (60 + 10 * t) * 1e6});
  }
  Rng rng(25);
  int n = 0;
  for (const catalog::Accelerator& a : cat.accelerators()) {
    if (n == kNumTypes) break;
    if (a.tdp_w <= 0) continue;
    ++n;
    const double gpu_price =
        a.price_usd > 0 ? a.price_usd : kUsdPerTflopWithoutPrice * a.peak_bf16_flop_per_s / 1e12;
    p.candidates.push_back({.accelerator = a.id,
                            .vendor = a.vendor,
                            .is_domestic = a.vendor == "Huawei",
                            .is_export_controlled = a.vendor != "Huawei",
                            .gpus_per_node = a.gpus_per_node,
                            .node_price_usd = gpu_price * a.gpus_per_node * kServerPriceOverGpus,
                            .node_power_w = a.tdp_w * a.gpus_per_node * kServerPowerOverTdp,
                            .max_nodes_per_quarter = 50 + static_cast<int>(rng.UniformInt(250)),
                            .lead_time_quarters = static_cast<int>(rng.UniformInt(3)),
                            .first_order_quarter_idx = static_cast<int>(rng.UniformInt(4)),
                            .h100_eq_per_gpu = a.peak_bf16_flop_per_s / h100.peak_bf16_flop_per_s,
                            .memory_bytes_per_gpu = a.memory_bytes,
                            .tpp_per_gpu = a.tpp});
  }
  p.existing = {{.accelerator = "h100-sxm5-80gb",
                 .vendor = "NVIDIA",
                 .num_gpus = 4000,
                 .power_w_per_gpu = 1260,
                 .h100_eq_per_gpu = 1,
                 .tpp_per_gpu = h100.tpp}};
  p.budget = {.has_budget = true,
              .first_year = 2027,
              .capex_usd_per_year = {1.5e9, 1.5e9, 1.5e9},
              .is_carry_over = true};
  p.power_usd_per_kwh = 0.1;
  p.pue = 1.25;
  p.maintenance_share_per_year = 0.08;
  p.has_export_cap = true;
  p.export_cap_tpp = 7.9e8;
  p.max_vendor_share = 0.6;
  p.min_domestic_share = 0.05;
  p.share_from_quarter_idx = 8;
  p.rental = {.is_enabled = true,
              .accelerator = "h100-sxm5-80gb",
              .usd_per_gpu_hour = 2.0,
              .max_gpus_per_quarter = 5000,
              .h100_eq_per_gpu = 1,
              .first_quarter_idx = 0};
  p.milestones = {{.quarter_idx = 3, .required = 20000, .label = "first year"},
                  {.quarter_idx = 11, .required = 60000, .label = "complete"}};
  return p;
}

void BM_SolveBuy(benchmark::State& state) {
  const Objective objective = state.range(0) ? Objective::kMinCost : Objective::kMaxCapacity;
  const BuyProblem p = Synthetic(objective);
  const SolveOptions o{.time_limit_s = 60, .relative_gap = kGap, .explain = false};
  BuyResult last;
  for (auto _ : state) {
    auto r = SolveBuy(p, o);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    last = *r;
    benchmark::DoNotOptimize(last.objective_value);
  }
  const MilpModel m = BuildMilp(p);
  state.SetLabel(fmt::format("{} {} status={} gap={:.2e} integer_vars={} rows={}", kNumTypes,
                             ToString(objective), ToString(last.status), last.mip_gap,
                             std::count_if(m.columns.begin(), m.columns.end(),
                                           [](const MilpColumn& c) { return c.is_integer; }),
                             m.rows.size()));
  state.counters["gap"] = last.mip_gap;
  state.counters["optimal"] = last.status == BuyStatus::kOptimal ? 1 : 0;
}
BENCHMARK(BM_SolveBuy)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace gpuplan::buy

BENCHMARK_MAIN();
