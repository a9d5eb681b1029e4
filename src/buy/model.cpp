// The procurement MILP.
//
// Sets
//   T  quarters t = 0..|T|-1 of the horizon; Y(t) the calendar year of quarter t
//   A  candidate accelerator types a;  E  existing fleet entries e;  V  vendors
//   K  milestones k;  W  workloads w;  P  pools (candidates, existing entries, rental) for demand
// Parameters
//   g_a GPUs/node   c_at USD/node ordered in t: c_a (1 - d_a)^(t/4), d_a its yearly price decline
//   p_a W/node (IT)   u_a nodes orderable per quarter
//   L_a lead time (quarters)   o_a first quarter a may be ordered   h_a H100-eq/GPU   tau_a TPP/GPU
//   G_e GPUs   s_e first quarter in service   p_e W/GPU   h_e H100-eq/GPU
//   B_y USD budget of year y   B_tot USD over the horizon   P_t facility W in t   PUE
//   e USD/kWh   m maintenance share of capex per year   H = 2191.5 h/quarter
//   rho USD/GPU-h rental   R max rented GPUs/quarter   h_r H100-eq/rented GPU   from quarter t_r
//   X export cap, TPP   sigma_v max vendor share   sigma_d min domestic share   from quarter t_s
//   M_k required capacity by quarter t_k (H100-eq, or GPUs with h := 1)
//   n_wp GPUs of pool p alone that run workload w by its deadline (0: it does not fit); from t_w
// Variables
//   x_at in Z>=0  nodes of a ordered in t, for o_a <= t <= |T|-1-L_a (later would arrive too late)
//   r_t >= 0      GPUs rented in t, for t >= t_r
//   z_wpt >= 0    GPUs of pool p assigned to workload w in t, for t >= t_w and n_wp > 0
// Derived (linear expressions, not variables)
//   N_at = sum_{t' <= t - L_a} x_at'                           nodes of a in service in t
//   O_t  = sum_a h_a g_a N_at + sum_{e: s_e <= t} h_e G_e      owned H100-equivalents
//   C_t  = O_t + h_r r_t                                       capacity
// Objective
//   max-capacity: max sum_t H C_t                              (H100-eq GPU-hours delivered)
//   min-cost:     min sum_t D_t [ sum_a c_at x_at + H PUE e / 1000 (sum_a p_a N_at + sum_e p_e G_e)
//                                 + (m / 4) sum_a sum_{t' <= t - L_a} c_at' x_at' + H rho r_t ]
//                 with D_t = (1 + i)^(-t/4) at the yearly discount rate i: the present value of
//                 spending (face value at i = 0). The residual value at the horizon's end is
//                 reported, not credited: hardware still held does not pay this plan's bills.
// Constraints
//   (1)  budget    sum_{t in Y(y)} (sum_a c_at x_at + H rho r_t [if rental is paid from budget])
//                  <= B_y for every year y; with carry-over the sums run over all years <= y
//   (1b) total     the same sum over the horizon <= B_tot
//   (2)  supply    x_at <= u_a                                  (column upper bound)
//   (3)  power     PUE (sum_a p_a N_at + sum_{e: s_e <= t} p_e G_e) <= P_t
//   (4)  export    sum_{a export-controlled} sum_t tau_a g_a x_at <= X
//   (5)  vendor    sum_{a of v} h_a g_a N_at + sum_{e of v} h_e G_e <= sigma_v O_t, t >= t_s
//   (6)  domestic  sum_{a domestic} h_a g_a N_at + sum_{e domestic} h_e G_e >= sigma_d O_t, t >=
//   t_s (7)  milestone C_t >= M_k for every t >= t_k (reached, then kept) (8)  demand    sum_p
//   z_wpt / n_wp >= 1 for t >= t_w (pool rates add: a mixed fleet runs it) (9)  pools     sum_w
//   z_wpt <= GPUs of p in service in t (g_a N_at, G_e, r_t) (10) rental    r_t <= R (column upper
//   bound) (11) floor     C_t + f_t >= F_t with slack f_t >= 0 priced at a penalty far above any
//                  capacity's cost: soft targets (demand, service levels) met where they can be
//   (12) order     m_a y_at <= x_at <= u_a y_at, y_at in {0,1}: an order is 0 or >= m_a nodes
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "buy/buy.h"
#include "buy/model_internal.h"

namespace gpuplan::buy {

namespace {

using detail::Group;
using detail::GroupKind;

constexpr double kWPerKw = 1e3;
constexpr double kQuartersPerYear = 4;
// Share limits are relaxed by half the fraction, in points: 10% -> 5 points.
constexpr double kShareRelaxOverFraction = 0.5;
// A feasibility probe in the conflict search gets this share of the time limit, at most.
constexpr double kProbeTimeShare = 0.25;
constexpr double kProbeMaxS = 5;
// Upper bound on orders per quarter when the supply limit is dropped to probe a conflict.
constexpr double kUnboundedNodes = 1e6;
// Activity within this relative tolerance of a continuous bound counts as binding.
constexpr double kBindingRelTol = 1e-6;

struct Built {
  MilpModel model;
  std::vector<Group> groups;
  std::vector<std::vector<int>> x;  // [a][t]: column, or -1
  std::vector<int> r;               // [t]: column, or -1
};

// Adds `coef` x (nodes of a in service in t) to a row: every order early enough to be in service.
void AddInService(const Built& b, const BuyProblem& p, size_t a, int t, double coef,
                  std::vector<std::pair<int, double>>& terms) {
  const CandidateSpec& c = p.candidates[a];
  for (int s = 0; s + c.lead_time_quarters <= t; ++s) {
    const int col = b.x[a][static_cast<size_t>(s)];
    if (col >= 0 && coef != 0) terms.emplace_back(col, coef);
  }
}

double ExistingInService(const BuyProblem& p, int t, double (*per)(const ExistingSpec&),
                         bool (*include)(const ExistingSpec&, const std::string&),
                         const std::string& key) {
  double sum = 0;
  for (const ExistingSpec& e : p.existing) {
    if (t >= e.first_quarter_idx && include(e, key)) sum += e.num_gpus * per(e);
  }
  return sum;
}

double H100Eq(const ExistingSpec& e) { return e.h100_eq_per_gpu; }
double PowerW(const ExistingSpec& e) { return e.power_w_per_gpu; }
double One(const ExistingSpec&) { return 1; }
bool Any(const ExistingSpec&, const std::string&) { return true; }
bool OfVendor(const ExistingSpec& e, const std::string& v) { return e.vendor == v; }
bool Domestic(const ExistingSpec& e, const std::string&) { return e.is_domestic; }

Built Build(const BuyProblem& p) {
  Built b;
  MilpModel& m = b.model;
  const int nq = static_cast<int>(p.quarters.size());
  const size_t na = p.candidates.size();
  m.is_maximize = p.objective == Objective::kMaxCapacity;
  const bool is_max = m.is_maximize;

  // Variables x_at with their objective coefficients, and the supply bound (2).
  b.x.assign(na, std::vector<int>(static_cast<size_t>(nq), -1));
  for (size_t a = 0; a < na; ++a) {
    const CandidateSpec& c = p.candidates[a];
    Group supply{.kind = GroupKind::kSupply, .index = static_cast<int>(a)};
    for (int t = c.first_order_quarter_idx; t <= detail::LastOrderIdx(p, c); ++t) {
      const int quarters_in_service = nq - detail::DeliveredIdx(c, t);
      double cost = 0;
      if (is_max) {
        cost = kHoursPerQuarter * c.h100_eq_per_gpu * c.gpus_per_node * quarters_in_service;
      } else {
        const double price = NodePriceUsd(c, t);
        const double per_quarter =
            kHoursPerQuarter * p.pue * c.node_power_w / kWPerKw * p.power_usd_per_kwh +
            p.maintenance_share_per_year / kQuartersPerYear * price;
        cost = DiscountFactor(p, t) * price;
        for (int s = detail::DeliveredIdx(c, t); s < nq; ++s) {
          cost += DiscountFactor(p, s) * per_quarter;
        }
      }
      b.x[a][static_cast<size_t>(t)] = static_cast<int>(m.columns.size());
      supply.bounded_columns.push_back(static_cast<int>(m.columns.size()));
      m.columns.push_back(
          {.name = fmt::format("x[{},{}]", c.accelerator, p.quarters[static_cast<size_t>(t)].label),
           .lower = 0,
           .upper = static_cast<double>(c.max_nodes_per_quarter),
           .cost = cost,
           .is_integer = true});
    }
    b.groups.push_back(supply);
  }
  // (12) minimum orders: one binary per order column.
  for (size_t a = 0; a < na; ++a) {
    const CandidateSpec& c = p.candidates[a];
    if (c.min_nodes_per_order <= 1) continue;
    for (int t = 0; t < nq; ++t) {
      const int xc = b.x[a][static_cast<size_t>(t)];
      if (xc < 0) continue;
      const int yc = static_cast<int>(m.columns.size());
      m.columns.push_back(
          {.name = fmt::format("y[{},{}]", c.accelerator, p.quarters[static_cast<size_t>(t)].label),
           .lower = 0,
           .upper = 1,
           .is_integer = true});
      const std::string q = p.quarters[static_cast<size_t>(t)].label;
      m.rows.push_back({.name = fmt::format("(12) min order {} at {}", c.accelerator, q),
                        .terms = {{xc, 1.0}, {yc, -static_cast<double>(c.min_nodes_per_order)}},
                        .lower = 0});
      m.rows.push_back({.name = fmt::format("(12) order {} at {}", c.accelerator, q),
                        .terms = {{xc, 1.0}, {yc, -static_cast<double>(c.max_nodes_per_quarter)}},
                        .upper = 0});
    }
  }
  // Variables r_t and the rental bound (10).
  b.r.assign(static_cast<size_t>(nq), -1);
  if (p.rental.is_enabled) {
    Group rental{.kind = GroupKind::kRental};
    for (int t = p.rental.first_quarter_idx; t < nq; ++t) {
      const double cost = is_max
                              ? kHoursPerQuarter * p.rental.h100_eq_per_gpu
                              : DiscountFactor(p, t) * kHoursPerQuarter * p.rental.usd_per_gpu_hour;
      b.r[static_cast<size_t>(t)] = static_cast<int>(m.columns.size());
      rental.bounded_columns.push_back(static_cast<int>(m.columns.size()));
      m.columns.push_back({.name = fmt::format("r[{}]", p.quarters[static_cast<size_t>(t)].label),
                           .lower = 0,
                           .upper = static_cast<double>(p.rental.max_gpus_per_quarter),
                           .cost = cost});
    }
    b.groups.push_back(rental);
  }
  // The existing fleet's part of the objective is a constant.
  for (int t = 0; t < nq; ++t) {
    if (is_max) {
      m.objective_offset += kHoursPerQuarter * ExistingInService(p, t, H100Eq, Any, "");
    } else {
      m.objective_offset += DiscountFactor(p, t) * kHoursPerQuarter * p.pue *
                            ExistingInService(p, t, PowerW, Any, "") / kWPerKw *
                            p.power_usd_per_kwh;
    }
  }
  auto add_row = [&](Group& g, std::string name, std::vector<std::pair<int, double>> terms,
                     double lower, double upper) {
    g.rows.push_back(static_cast<int>(m.rows.size()));
    m.rows.push_back(
        {.name = std::move(name), .terms = std::move(terms), .lower = lower, .upper = upper});
  };
  // Spending in quarter t (capex, and rental when paid from the budget), for (1) and (1b).
  auto spend_terms = [&](int t, std::vector<std::pair<int, double>>& terms) {
    for (size_t a = 0; a < na; ++a) {
      const int col = b.x[a][static_cast<size_t>(t)];
      if (col >= 0) terms.emplace_back(col, NodePriceUsd(p.candidates[a], t));
    }
    const int rc = b.r[static_cast<size_t>(t)];
    if (rc >= 0 && p.rental.is_paid_from_budget) {
      terms.emplace_back(rc, kHoursPerQuarter * p.rental.usd_per_gpu_hour);
    }
  };
  // (1) budget per year, (1b) total.
  if (p.budget.has_budget) {
    double budget_cum = 0;
    for (size_t y = 0; y < p.budget.capex_usd_per_year.size(); ++y) {
      const int year = p.budget.first_year + static_cast<int>(y);
      budget_cum += p.budget.capex_usd_per_year[y];
      std::vector<std::pair<int, double>> terms;
      for (int t = 0; t < nq; ++t) {
        const int qy = p.quarters[static_cast<size_t>(t)].year;
        if (qy == year || (p.budget.is_carry_over && qy < year)) spend_terms(t, terms);
      }
      Group g{.kind = GroupKind::kBudget, .index = static_cast<int>(y)};
      add_row(g, fmt::format("(1) budget {}", year), std::move(terms), -kInf,
              p.budget.is_carry_over ? budget_cum : p.budget.capex_usd_per_year[y]);
      b.groups.push_back(g);
    }
    if (p.budget.total_usd > 0) {
      std::vector<std::pair<int, double>> terms;
      for (int t = 0; t < nq; ++t) spend_terms(t, terms);
      Group g{.kind = GroupKind::kBudgetTotal};
      add_row(g, "(1b) total budget", std::move(terms), -kInf, p.budget.total_usd);
      b.groups.push_back(g);
    }
  }
  // (3) facility power per quarter; the existing fleet's draw moves to the right-hand side.
  for (int t = 0; t < nq; ++t) {
    std::vector<std::pair<int, double>> terms;
    for (size_t a = 0; a < na; ++a)
      AddInService(b, p, a, t, p.pue * p.candidates[a].node_power_w, terms);
    Group g{.kind = GroupKind::kPower, .index = t};
    add_row(g, fmt::format("(3) power {}", p.quarters[static_cast<size_t>(t)].label),
            std::move(terms), -kInf,
            p.quarters[static_cast<size_t>(t)].facility_power_w -
                p.pue * ExistingInService(p, t, PowerW, Any, ""));
    b.groups.push_back(g);
  }
  // (4) export cap.
  if (p.has_export_cap) {
    std::vector<std::pair<int, double>> terms;
    for (size_t a = 0; a < na; ++a) {
      const CandidateSpec& c = p.candidates[a];
      if (!c.is_export_controlled) continue;
      for (int t = 0; t < nq; ++t) {
        const int col = b.x[a][static_cast<size_t>(t)];
        if (col >= 0) terms.emplace_back(col, c.tpp_per_gpu * c.gpus_per_node);
      }
    }
    Group g{.kind = GroupKind::kExportCap};
    add_row(g, "(4) export cap", std::move(terms), -kInf, p.export_cap_tpp);
    b.groups.push_back(g);
  }
  // (5) vendor shares and (6) domestic share, as sum_a (share_coef_a - sigma) h_a g_a N_at <=/>=
  // ...
  auto share_rows = [&](Group& g, const std::string& label, double sigma, bool is_max_share,
                        auto in_set, bool (*existing_in)(const ExistingSpec&, const std::string&),
                        const std::string& key) {
    for (int t = p.share_from_quarter_idx; t < nq; ++t) {
      std::vector<std::pair<int, double>> terms;
      for (size_t a = 0; a < na; ++a) {
        const CandidateSpec& c = p.candidates[a];
        const double mine = in_set(c) ? 1.0 : 0.0;
        AddInService(b, p, a, t, (mine - sigma) * c.h100_eq_per_gpu * c.gpus_per_node, terms);
      }
      const double existing_mine = ExistingInService(p, t, H100Eq, existing_in, key);
      const double existing_all = ExistingInService(p, t, H100Eq, Any, "");
      const double constant = existing_mine - sigma * existing_all;
      const std::string name =
          fmt::format("{} {}", label, p.quarters[static_cast<size_t>(t)].label);
      if (is_max_share) {
        add_row(g, name, std::move(terms), -kInf, -constant);
      } else {
        add_row(g, name, std::move(terms), -constant, kInf);
      }
    }
  };
  if (p.max_vendor_share < 1.0) {
    for (const std::string& v : detail::Vendors(p)) {
      Group g{.kind = GroupKind::kVendorShare, .vendor = v};
      share_rows(
          g, "(5) vendor " + v, p.max_vendor_share, true,
          [&v](const CandidateSpec& c) { return c.vendor == v; }, OfVendor, v);
      b.groups.push_back(g);
    }
  }
  if (p.min_domestic_share > 0) {
    Group g{.kind = GroupKind::kDomesticShare};
    share_rows(
        g, "(6) domestic", p.min_domestic_share, false,
        [](const CandidateSpec& c) { return c.is_domestic; }, Domestic, "");
    b.groups.push_back(g);
  }
  // (7) milestones, reached by t_k and kept after.
  for (size_t k = 0; k < p.milestones.size(); ++k) {
    const MilestoneSpec& ms = p.milestones[k];
    Group g{.kind = GroupKind::kMilestone, .index = static_cast<int>(k)};
    for (int t = ms.quarter_idx; t < nq; ++t) {
      std::vector<std::pair<int, double>> terms;
      for (size_t a = 0; a < na; ++a) {
        const CandidateSpec& c = p.candidates[a];
        AddInService(b, p, a, t, c.gpus_per_node * (ms.is_gpu_count ? 1.0 : c.h100_eq_per_gpu),
                     terms);
      }
      const int rc = b.r[static_cast<size_t>(t)];
      if (rc >= 0) terms.emplace_back(rc, ms.is_gpu_count ? 1.0 : p.rental.h100_eq_per_gpu);
      const double existing = ExistingInService(p, t, ms.is_gpu_count ? One : H100Eq, Any, "");
      add_row(g, fmt::format("(7) milestone {} at {}", k, p.quarters[static_cast<size_t>(t)].label),
              std::move(terms), ms.required - existing, kInf);
    }
    b.groups.push_back(g);
  }
  // (11) soft capacity floors. The penalty per H100-equivalent short in one quarter outweighs
  // the whole horizon's value (max-capacity) or cost (min-cost) of one H100-equivalent.
  if (!p.capacity_floor_h100_eq.empty()) {
    double unit_cost = 0;
    for (const CandidateSpec& c : p.candidates) {
      if (c.h100_eq_per_gpu > 0) {
        unit_cost = std::max(unit_cost, c.node_price_usd / (c.gpus_per_node * c.h100_eq_per_gpu));
      }
    }
    if (p.rental.is_enabled && p.rental.h100_eq_per_gpu > 0) {
      unit_cost = std::max(
          unit_cost, kHoursPerQuarter * nq * p.rental.usd_per_gpu_hour / p.rental.h100_eq_per_gpu);
    }
    const double penalty = is_max ? -10 * kHoursPerQuarter * nq : 10 * std::max(unit_cost, 1e5);
    for (int t = 0; t < nq && t < static_cast<int>(p.capacity_floor_h100_eq.size()); ++t) {
      const double floor = p.capacity_floor_h100_eq[static_cast<size_t>(t)];
      if (!(floor > 0)) continue;
      std::vector<std::pair<int, double>> terms;
      for (size_t a = 0; a < na; ++a) {
        const CandidateSpec& c = p.candidates[a];
        AddInService(b, p, a, t, c.gpus_per_node * c.h100_eq_per_gpu, terms);
      }
      const int rc = b.r[static_cast<size_t>(t)];
      if (rc >= 0) terms.emplace_back(rc, p.rental.h100_eq_per_gpu);
      const int slack = static_cast<int>(m.columns.size());
      m.columns.push_back({.name = fmt::format("f[{}]", p.quarters[static_cast<size_t>(t)].label),
                           .cost = penalty});
      terms.emplace_back(slack, 1.0);
      m.rows.push_back(
          {.name = fmt::format("(11) floor {}", p.quarters[static_cast<size_t>(t)].label),
           .terms = std::move(terms),
           .lower = floor - ExistingInService(p, t, H100Eq, Any, "")});
    }
  }
  // (8) demand and (9) pool capacity, with assignment columns z_wpt.
  if (!p.demands.empty()) {
    const size_t ne = p.existing.size();
    const size_t num_pools = na + ne + 1;
    // pool_terms[t][pool]: the z columns drawing on that pool.
    std::vector<std::vector<std::vector<std::pair<int, double>>>> pool_terms(
        static_cast<size_t>(nq), std::vector<std::vector<std::pair<int, double>>>(num_pools));
    for (size_t w = 0; w < p.demands.size(); ++w) {
      const DemandSpec& d = p.demands[w];
      Group g{.kind = GroupKind::kDemand, .index = static_cast<int>(w)};
      for (int t = d.first_quarter_idx; t < nq; ++t) {
        std::vector<std::pair<int, double>> terms;
        for (size_t pool = 0; pool < num_pools; ++pool) {
          double need = 0;
          if (pool < na) {
            need = pool < d.candidate_gpus.size() ? d.candidate_gpus[pool] : 0;
          } else if (pool < na + ne) {
            need = pool - na < d.existing_gpus.size() ? d.existing_gpus[pool - na] : 0;
            if (t < p.existing[pool - na].first_quarter_idx) need = 0;
          } else {
            need = b.r[static_cast<size_t>(t)] >= 0 ? d.rental_gpus : 0;
          }
          if (!(need > 0)) continue;
          const int col = static_cast<int>(m.columns.size());
          m.columns.push_back({.name = fmt::format("z[{},{},{}]", d.name, pool,
                                                   p.quarters[static_cast<size_t>(t)].label)});
          terms.emplace_back(col, 1.0 / need);
          pool_terms[static_cast<size_t>(t)][pool].emplace_back(col, 1.0);
        }
        add_row(
            g, fmt::format("(8) demand {} at {}", d.name, p.quarters[static_cast<size_t>(t)].label),
            std::move(terms), 1.0, kInf);
      }
      b.groups.push_back(g);
    }
    // (9) is structural (it only says what "in service" means), so it belongs to no group.
    Group structural{.kind = GroupKind::kDemand, .index = -1};
    for (int t = 0; t < nq; ++t) {
      for (size_t pool = 0; pool < num_pools; ++pool) {
        auto terms = pool_terms[static_cast<size_t>(t)][pool];
        if (terms.empty()) continue;
        double rhs = 0;
        if (pool < na) {
          AddInService(b, p, pool, t, -p.candidates[pool].gpus_per_node, terms);
        } else if (pool < na + ne) {
          rhs = p.existing[pool - na].num_gpus;
        } else {
          terms.emplace_back(b.r[static_cast<size_t>(t)], -1.0);
        }
        add_row(structural,
                fmt::format("(9) pool {} at {}", pool, p.quarters[static_cast<size_t>(t)].label),
                std::move(terms), -kInf, rhs);
      }
    }
  }
  return b;
}

void Drop(MilpModel& m, const Group& g) {
  for (int r : g.rows) {
    m.rows[static_cast<size_t>(r)].lower = -kInf;
    m.rows[static_cast<size_t>(r)].upper = kInf;
  }
  for (int c : g.bounded_columns) m.columns[static_cast<size_t>(c)].upper = kUnboundedNodes;
}

std::string Name(const BuyProblem& p, const Group& g) {
  return detail::GroupName(p, g.kind, g.index, g.vendor);
}

// The plan in a MILP solution.
BuyPlan Decode(const Built& b, const BuyProblem& p, const std::vector<double>& values) {
  BuyPlan plan;
  plan.nodes.assign(p.candidates.size(), std::vector<int>(p.quarters.size(), 0));
  for (size_t a = 0; a < b.x.size(); ++a) {
    for (size_t t = 0; t < b.x[a].size(); ++t) {
      const int col = b.x[a][t];
      if (col >= 0)
        plan.nodes[a][t] = static_cast<int>(std::lround(values[static_cast<size_t>(col)]));
    }
  }
  plan.rented_gpus.assign(p.quarters.size(), 0);
  for (size_t t = 0; t < b.r.size(); ++t) {
    if (b.r[t] >= 0) plan.rented_gpus[t] = std::max(0.0, values[static_cast<size_t>(b.r[t])]);
  }
  return plan;
}

// True when row `r` leaves no room for one more unit of its smallest integer step.
bool RowBinds(const MilpModel& m, const MilpRow& row, const std::vector<double>& values) {
  double activity = 0, step = kInf, scale = 1;
  for (const auto& [col, coef] : row.terms) {
    activity += coef * values[static_cast<size_t>(col)];
    scale = std::max(scale, std::fabs(coef));
    if (m.columns[static_cast<size_t>(col)].is_integer && coef != 0)
      step = std::min(step, std::fabs(coef));
  }
  const double tol = std::isfinite(step) ? step : kBindingRelTol * scale;
  if (std::isfinite(row.upper) && row.upper - activity < tol) return true;
  if (std::isfinite(row.lower) && activity - row.lower < tol && !row.terms.empty()) return true;
  return false;
}

bool GroupBinds(const Built& b, const Group& g, const std::vector<double>& values) {
  for (int r : g.rows) {
    if (RowBinds(b.model, b.model.rows[static_cast<size_t>(r)], values)) return true;
  }
  for (int c : g.bounded_columns) {
    const MilpColumn& col = b.model.columns[static_cast<size_t>(c)];
    if (values[static_cast<size_t>(c)] >=
            col.upper - (col.is_integer ? 0.5 : kBindingRelTol * std::max(1.0, col.upper)) &&
        col.upper > 0) {
      return true;
    }
  }
  return false;
}

// The problem with group `g` relaxed by `f`, and the words that say how.
std::pair<BuyProblem, std::string> Relax(const BuyProblem& p, const Group& g, double f) {
  BuyProblem q = p;
  const double pct = 100 * f;
  switch (g.kind) {
    case GroupKind::kBudget: {
      double& v = q.budget.capex_usd_per_year[static_cast<size_t>(g.index)];
      double base = v;
      for (double x : p.budget.capex_usd_per_year) base = std::max(base, v > 0 ? v : x);
      v += f * base;
      return {q, fmt::format("+{} in {}", detail::MoneyWords(p, f * base),
                             p.budget.first_year + g.index)};
    }
    case GroupKind::kBudgetTotal:
      q.budget.total_usd *= 1 + f;
      return {q, fmt::format("+{:.0f}% total budget", pct)};
    case GroupKind::kSupply: {
      int& u = q.candidates[static_cast<size_t>(g.index)].max_nodes_per_quarter;
      const int more = std::max(1, static_cast<int>(std::ceil(u * f)));
      u += more;
      return {q, fmt::format("+{} {} nodes per quarter", more,
                             p.candidates[static_cast<size_t>(g.index)].accelerator)};
    }
    case GroupKind::kPower:
      q.quarters[static_cast<size_t>(g.index)].facility_power_w *= 1 + f;
      return {q, fmt::format("+{:.0f}% facility power in {}", pct,
                             p.quarters[static_cast<size_t>(g.index)].label)};
    case GroupKind::kExportCap:
      q.export_cap_tpp *= 1 + f;
      return {q, fmt::format("+{:.0f}% export cap", pct)};
    case GroupKind::kVendorShare:
      q.max_vendor_share = std::min(1.0, q.max_vendor_share + kShareRelaxOverFraction * f);
      return {q, fmt::format("+{:.0f} points of vendor share", 100 * kShareRelaxOverFraction * f)};
    case GroupKind::kDomesticShare:
      q.min_domestic_share = std::max(0.0, q.min_domestic_share - kShareRelaxOverFraction * f);
      return {q,
              fmt::format("-{:.0f} points of domestic share", 100 * kShareRelaxOverFraction * f)};
    case GroupKind::kMilestone:
      q.milestones[static_cast<size_t>(g.index)].required *= 1 - f;
      return {q, fmt::format("-{:.0f}% of the milestone", pct)};
    case GroupKind::kDemand:
      q.demands.erase(q.demands.begin() + g.index);
      return {q, "drop the workload"};
    case GroupKind::kRental: {
      const int more = std::max(1, static_cast<int>(std::ceil(q.rental.max_gpus_per_quarter * f)));
      q.rental.max_gpus_per_quarter += more;
      return {q, fmt::format("+{} rented GPUs per quarter", more)};
    }
  }
  return {q, ""};
}

Result<void> Validate(const BuyProblem& p) {
  if (p.quarters.empty()) return Error{"buy problem: no quarters"};
  const int nq = static_cast<int>(p.quarters.size());
  for (const auto& c : p.candidates) {
    if (c.gpus_per_node <= 0 || c.node_price_usd < 0 || c.node_power_w < 0 ||
        c.max_nodes_per_quarter < 0 || c.lead_time_quarters < 0 || c.h100_eq_per_gpu < 0 ||
        c.first_order_quarter_idx < 0 || c.first_order_quarter_idx >= nq ||
        !(c.price_decline_per_year >= 0 && c.price_decline_per_year < 1) ||
        !(c.service_life_years > 0)) {
      return Error{fmt::format("buy problem: candidate '{}' has a negative or out-of-range figure",
                               c.accelerator)};
    }
  }
  for (const auto& ms : p.milestones) {
    if (ms.quarter_idx < 0 || ms.quarter_idx >= nq) {
      return Error{fmt::format("buy problem: milestone '{}' is outside the horizon", ms.label)};
    }
  }
  for (const auto& d : p.demands) {
    if (d.first_quarter_idx < 0 || d.first_quarter_idx >= nq ||
        d.candidate_gpus.size() != p.candidates.size() ||
        d.existing_gpus.size() != p.existing.size()) {
      return Error{fmt::format("buy problem: workload '{}' is malformed", d.name)};
    }
  }
  if (p.budget.has_budget) {
    for (const auto& q : p.quarters) {
      const int y = q.year - p.budget.first_year;
      if (y < 0 || y >= static_cast<int>(p.budget.capex_usd_per_year.size())) {
        return Error{fmt::format("buy problem: no budget for {}", q.year)};
      }
    }
    for (double v : p.budget.capex_usd_per_year) {
      if (v < 0) return Error{"buy problem: a budget is negative"};
    }
  }
  if (!(p.discount_rate >= 0) || !std::isfinite(p.discount_rate)) {
    return Error{"buy problem: the discount rate must be >= 0"};
  }
  if (p.max_vendor_share <= 0 || p.max_vendor_share > 1 || p.min_domestic_share < 0 ||
      p.min_domestic_share > 1 || p.share_from_quarter_idx < 0 || p.share_from_quarter_idx >= nq) {
    return Error{"buy problem: shares must lie in [0, 1] and start inside the horizon"};
  }
  return Ok{};
}

std::string JoinWords(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) s += i + 1 == names.size() ? " and " : ", ";
    s += names[i];
  }
  return s;
}

// Deletion filter over constraint groups: the result is a set that conflicts and from which no
// group can be dropped without the conflict disappearing (an irreducible infeasible subset).
std::vector<std::string> SmallestConflict(const Built& b, const BuyProblem& p,
                                          const SolveOptions& o, MilpBackend& backend) {
  MilpModel probe = b.model;
  for (MilpColumn& c : probe.columns) c.cost = 0;  // feasibility only
  probe.objective_offset = 0;
  const double limit = std::min(kProbeMaxS, kProbeTimeShare * o.time_limit_s);
  auto is_infeasible = [&](const MilpModel& m) {
    auto s = backend.Solve(m, limit, 1.0);
    return s && s->status == MilpStatus::kInfeasible;
  };
  // Test the least telling groups first, so milestones, caps and budgets remain to be named.
  static constexpr GroupKind kOrder[] = {GroupKind::kSupply,        GroupKind::kRental,
                                         GroupKind::kPower,         GroupKind::kVendorShare,
                                         GroupKind::kDomesticShare, GroupKind::kBudgetTotal,
                                         GroupKind::kBudget,        GroupKind::kDemand,
                                         GroupKind::kExportCap,     GroupKind::kMilestone};
  std::vector<const Group*> kept;
  for (GroupKind kind : kOrder) {
    for (const Group& g : b.groups) {
      if (g.kind != kind || (g.kind == GroupKind::kDemand && g.index < 0)) continue;
      MilpModel trial = probe;
      Drop(trial, g);
      if (is_infeasible(trial)) {
        probe = std::move(trial);
      } else {
        kept.push_back(&g);
      }
    }
  }
  std::vector<std::string> names;
  for (const Group* g : kept) names.push_back(Name(p, *g));
  return names;
}

}  // namespace

std::string_view ToString(Objective o) {
  return o == Objective::kMinCost ? "min-cost" : "max-capacity";
}

Result<Objective> ParseObjective(std::string_view text) {
  if (text == "max-capacity") return Objective::kMaxCapacity;
  if (text == "min-cost") return Objective::kMinCost;
  return Error{fmt::format("--objective: expected max-capacity or min-cost, got '{}'", text)};
}

std::string_view ToString(BuyStatus s) {
  switch (s) {
    case BuyStatus::kOptimal:
      return "optimal";
    case BuyStatus::kFeasible:
      return "feasible";
    case BuyStatus::kInfeasible:
      return "infeasible";
    case BuyStatus::kNoSolution:
      break;
  }
  return "no_solution";
}

MilpModel BuildMilp(const BuyProblem& problem) { return Build(problem).model; }

Result<BuyResult> SolveBuy(const BuyProblem& problem, const SolveOptions& options) {
  auto backend = MakeCbcBackend();
  return SolveBuy(problem, options, *backend);
}

Result<BuyResult> SolveBuy(const BuyProblem& p, const SolveOptions& o, MilpBackend& backend) {
  GPUPLAN_TRY(Validate(p));
  const Built b = Build(p);
  auto sol = backend.Solve(b.model, o.time_limit_s, o.relative_gap);
  GPUPLAN_TRY(sol);
  BuyResult res;
  res.objective = p.objective;
  switch (sol->status) {
    case MilpStatus::kOptimal:
      res.status = BuyStatus::kOptimal;
      break;
    case MilpStatus::kFeasible:
      res.status = BuyStatus::kFeasible;
      break;
    case MilpStatus::kInfeasible:
      res.status = BuyStatus::kInfeasible;
      break;
    case MilpStatus::kNoSolution:
      res.status = BuyStatus::kNoSolution;
      break;
  }
  if (res.status == BuyStatus::kInfeasible) {
    if (o.explain) {
      res.conflicting = SmallestConflict(b, p, o, backend);
      if (res.conflicting.size() == 1) {
        res.conflict_sentence = res.conflicting[0] +
                                " cannot hold, even with every other constraint dropped (lead "
                                "times, order windows and the existing fleet leave no way)";
      } else if (!res.conflicting.empty()) {
        res.conflict_sentence =
            JoinWords(res.conflicting) +
            (res.conflicting.size() == 2 ? " cannot both hold" : " cannot all hold");
      } else {
        res.conflict_sentence = "no conflicting set was isolated within the time limit";
      }
    }
    return res;
  }
  if (res.status == BuyStatus::kNoSolution) return res;

  const BuyPlan plan = Decode(b, p, sol->values);
  const detail::Timeline tl = detail::ComputeTimeline(p, plan);
  res.is_proven_optimal = res.status == BuyStatus::kOptimal;
  res.objective_value =
      p.objective == Objective::kMaxCapacity ? tl.h100_eq_gpu_hours : tl.total_cost_pv_usd();
  const double denom = std::max(1e-9, std::fabs(sol->objective));
  // CBC stops once the gap is within relative_gap and calls that optimal: the gap it left is
  // still reported, so a reader sees how close "optimal" is.
  res.mip_gap = std::fabs(sol->objective - sol->best_bound) / denom;
  for (size_t t = 0; t < p.quarters.size(); ++t) {
    for (size_t a = 0; a < p.candidates.size(); ++a) {
      const int n = plan.nodes[a][t];
      if (n <= 0) continue;
      const CandidateSpec& c = p.candidates[a];
      const size_t delivered = t + static_cast<size_t>(c.lead_time_quarters);
      res.purchases.push_back({.quarter = p.quarters[t].label,
                               .delivered = p.quarters[delivered].label,
                               .accelerator = c.accelerator,
                               .nodes = n,
                               .gpus = n * c.gpus_per_node,
                               .node_price_usd = NodePriceUsd(c, static_cast<int>(t)),
                               .capex_usd = n * NodePriceUsd(c, static_cast<int>(t))});
    }
    res.capacity.push_back({.quarter = p.quarters[t].label,
                            .h100_equivalents = tl.capacity_h100_eq[t],
                            .owned_h100_equivalents = tl.owned_h100_eq[t],
                            .num_gpus = tl.owned_gpus[t] + tl.rented_gpus[t],
                            .rented_gpus = tl.rented_gpus[t],
                            .power_w = tl.it_power_w[t] * p.pue,
                            .tpp = tl.installed_tpp[t],
                            .export_tpp_cumulative = tl.export_tpp_cumulative[t],
                            .spend_usd = tl.spend_usd[t]});
    if (t < p.capacity_floor_h100_eq.size() && p.capacity_floor_h100_eq[t] > 0) {
      QuarterCapacity& c = res.capacity.back();
      c.floor_h100_eq = p.capacity_floor_h100_eq[t];
      c.shortfall_h100_eq = std::max(0.0, c.floor_h100_eq - c.h100_equivalents);
    }
  }
  res.capex_usd = tl.capex_total_usd;
  res.energy_usd = tl.energy_usd;
  res.maintenance_usd = tl.maintenance_usd;
  res.rental_usd = tl.rental_usd;
  res.total_cost_usd = tl.total_cost_usd();
  res.h100_eq_gpu_hours = tl.h100_eq_gpu_hours;
  res.capex_pv_usd = tl.capex_pv_usd;
  res.energy_pv_usd = tl.energy_pv_usd;
  res.maintenance_pv_usd = tl.maintenance_pv_usd;
  res.rental_pv_usd = tl.rental_pv_usd;
  res.total_cost_pv_usd = tl.total_cost_pv_usd();
  res.residual_value_usd = tl.residual_value_usd;
  res.residual_value_pv_usd = tl.residual_value_pv_usd;

  int evaluated = 0;
  for (const Group& g : b.groups) {
    if ((g.kind == GroupKind::kDemand && g.index < 0) || !GroupBinds(b, g, sol->values)) continue;
    Binding bind{.constraint = Name(p, g), .kind = detail::KindName(g.kind)};
    if (o.explain && evaluated < o.max_relaxations) {
      ++evaluated;
      auto [relaxed, words] = Relax(p, g, o.relax_fraction);
      bind.relaxation = words;
      SolveOptions inner = o;
      inner.explain = false;
      auto again = SolveBuy(relaxed, inner, backend);
      if (again &&
          (again->status == BuyStatus::kOptimal || again->status == BuyStatus::kFeasible)) {
        bind.is_evaluated = true;
        bind.objective_gain = p.objective == Objective::kMaxCapacity
                                  ? again->objective_value - res.objective_value
                                  : res.objective_value - again->objective_value;
      }
    }
    res.binding.push_back(bind);
  }
  return res;
}

}  // namespace gpuplan::buy
