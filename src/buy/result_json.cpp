// The JSON of `gpuplan buy --json` (DESIGN), shared by the CLI and the Python binding.
#include <nlohmann/json.hpp>

#include "buy/buy.h"

namespace gpuplan::buy {

namespace {

constexpr double kWPerMw = 1e6;

}  // namespace

void PresentValueJson(const BuyProblem& p, const BuyResult& r, nlohmann::ordered_json& j) {
  j["discount_rate"] = p.discount_rate;
  j["total_cost_pv_usd"] = r.total_cost_pv_usd;
  j["capex_pv_usd"] = r.capex_pv_usd;
  j["opex_pv_usd"] = r.energy_pv_usd + r.maintenance_pv_usd;
  j["rental_pv_usd"] = r.rental_pv_usd;
  j["residual_value_usd"] = r.residual_value_usd;
  j["residual_value_pv_usd"] = r.residual_value_pv_usd;
  j["net_cost_pv_usd"] = r.total_cost_pv_usd - r.residual_value_pv_usd;
}

nlohmann::ordered_json ResultJson(const scenario::Scenario& s, const BuyProblem& p,
                                  const BuyResult& r) {
  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["path"] = s.path;
  j["status"] = std::string(ToString(r.status));
  j["objective"] = r.objective_value;
  j["objective_kind"] = std::string(ToString(r.objective));
  j["objective_unit"] = r.objective == Objective::kMaxCapacity ? "h100_eq_gpu_hours" : "usd";
  j["capacity_unit"] = p.capacity_unit;
  j["proven_optimal"] = r.is_proven_optimal;
  j["gap"] = r.mip_gap;
  j["total_cost_usd"] = r.total_cost_usd;
  j["capex_usd"] = r.capex_usd;
  j["energy_usd"] = r.energy_usd;
  j["maintenance_usd"] = r.maintenance_usd;
  j["opex_usd"] = r.energy_usd + r.maintenance_usd;  // as report.json names it
  j["rental_usd"] = r.rental_usd;
  PresentValueJson(p, r, j);
  j["h100_eq_gpu_hours"] = r.h100_eq_gpu_hours;
  j["purchases"] = nlohmann::ordered_json::array();
  for (const auto& b : r.purchases) {
    j["purchases"].push_back({{"quarter", b.quarter},
                              {"delivered", b.delivered},
                              {"accelerator", b.accelerator},
                              {"nodes", b.nodes},
                              {"gpus", b.gpus},
                              {"node_price_usd", b.node_price_usd},
                              {"capex_usd", b.capex_usd}});
  }
  j["capacity"] = nlohmann::ordered_json::array();
  for (const auto& c : r.capacity) {
    j["capacity"].push_back({{"quarter", c.quarter},
                             {"h100_equivalents", c.h100_equivalents},
                             {"owned_h100_equivalents", c.owned_h100_equivalents},
                             {"gpus", c.num_gpus},
                             {"rented_gpus", c.rented_gpus},
                             {"power_mw", c.power_w / kWPerMw},
                             // As in report.json: what the export cap is compared with.
                             {"tpp", p.has_export_cap ? c.export_tpp_cumulative : c.tpp},
                             {"installed_tpp", c.tpp},
                             {"export_tpp_cumulative", c.export_tpp_cumulative},
                             {"spend_usd", c.spend_usd}});
  }
  j["binding"] = nlohmann::ordered_json::array();
  for (const auto& b : r.binding) {
    nlohmann::ordered_json e{{"constraint", b.constraint}, {"kind", b.kind}};
    e["relaxation"] = b.relaxation;
    e["objective_gain"] =
        b.is_evaluated ? nlohmann::ordered_json(b.objective_gain) : nlohmann::ordered_json(nullptr);
    j["binding"].push_back(e);
  }
  j["conflict"] = r.conflicting;  // names, as in report.json
  j["conflict_sentence"] = r.conflict_sentence;
  return j;
}

}  // namespace gpuplan::buy
