// Small buy problems whose optimum is known by hand or by enumeration.
#pragma once

#include "buy/buy.h"
#include "units/units.h"

namespace gpuplan::buy::testing {

// max 5x + 4y s.t. 6x + 4y <= 24, x + 2y <= 6, x, y in {0..10}. By hand: the LP optimum is
// (3, 1.5) = 21; among integer points (4, 0) = 20 is best ((3, 1) = 19, (2, 2) = 18).
inline MilpModel Knapsack() {
  MilpModel m;
  m.is_maximize = true;
  m.columns = {{.name = "x", .lower = 0, .upper = 10, .cost = 5, .is_integer = true},
               {.name = "y", .lower = 0, .upper = 10, .cost = 4, .is_integer = true}};
  m.rows = {{.name = "r1", .terms = {{0, 6.0}, {1, 4.0}}, .lower = -kInf, .upper = 24},
            {.name = "r2", .terms = {{0, 1.0}, {1, 2.0}}, .lower = -kInf, .upper = 6}};
  return m;
}

// Two quarters, one candidate "a" (1 GPU per node, 1 H100-eq per GPU, USD 100 and 1,000 W per
// node, at most 5 nodes per quarter, no lead time), budget USD 300 per year, 100 kW of power,
// PUE 1. Ordering in 2026Q1 gives 2 quarters of capacity, in 2026Q2 one.
inline BuyProblem OneCandidate() {
  BuyProblem p;
  p.quarters = {{.label = "2026Q1", .year = 2026, .facility_power_w = 1e5},
                {.label = "2026Q2", .year = 2026, .facility_power_w = 1e5}};
  p.candidates = {{.accelerator = "a",
                   .vendor = "V1",
                   .gpus_per_node = 1,
                   .node_price_usd = 100,
                   .node_power_w = 1000,
                   .max_nodes_per_quarter = 5,
                   .lead_time_quarters = 0,
                   .h100_eq_per_gpu = 1,
                   .tpp_per_gpu = 10}};
  p.budget = {.has_budget = true, .first_year = 2026, .capex_usd_per_year = {300}};
  return p;
}

// A random small problem: 2 or 3 candidates over 3 quarters with every constraint family, so
// small (at most 2 nodes per quarter) that brute force over all plans takes milliseconds.
inline BuyProblem RandomSmall(Rng& rng, Objective objective) {
  BuyProblem p;
  p.objective = objective;
  const int nq = 3;
  for (int t = 0; t < nq; ++t) {
    p.quarters.push_back({.label = "2027Q" + std::to_string(t + 1),
                          .year = 2027,
                          .facility_power_w = rng.Uniform(20e3, 80e3)});
  }
  const int na = 2 + static_cast<int>(rng.UniformInt(2));
  const char* vendors[] = {"V1", "V2", "V1"};
  for (int a = 0; a < na; ++a) {
    p.candidates.push_back({.accelerator = "acc" + std::to_string(a),
                            .vendor = vendors[a],
                            .is_domestic = a == 1,
                            .is_export_controlled = a != 1,
                            .gpus_per_node = 1 + static_cast<int>(rng.UniformInt(4)),
                            .node_price_usd = rng.Uniform(50, 150),
                            .node_power_w = rng.Uniform(4e3, 12e3),
                            .max_nodes_per_quarter = 1 + static_cast<int>(rng.UniformInt(2)),
                            .lead_time_quarters = static_cast<int>(rng.UniformInt(2)),
                            .first_order_quarter_idx = 0,
                            .h100_eq_per_gpu = rng.Uniform(0.5, 2.5),
                            .tpp_per_gpu = rng.Uniform(5, 20)});
  }
  p.existing = {{.accelerator = "old",
                 .vendor = "V2",
                 .num_gpus = 2,
                 .power_w_per_gpu = 500,
                 .h100_eq_per_gpu = 0.3,
                 .tpp_per_gpu = 3}};
  p.budget = {
      .has_budget = true, .first_year = 2027, .capex_usd_per_year = {rng.Uniform(150, 500)}};
  p.power_usd_per_kwh = 0.1;
  p.pue = 1.2;
  p.maintenance_share_per_year = 0.08;
  p.has_export_cap = true;
  p.export_cap_tpp = rng.Uniform(40, 150);
  p.max_vendor_share = rng.Uniform(0.6, 0.95);
  p.min_domestic_share = rng.Uniform(0.0, 0.2);
  p.share_from_quarter_idx = nq - 1;
  p.milestones = {{.quarter_idx = nq - 1, .required = rng.Uniform(2, 8), .label = "m"}};
  return p;
}

}  // namespace gpuplan::buy::testing
