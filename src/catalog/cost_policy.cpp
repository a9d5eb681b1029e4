// The cost policy (catalog.h): one formula for the cost of a GPU-hour, and how it is printed.
#include <fmt/format.h>

#include "catalog/catalog.h"

namespace gpuplan::catalog {

namespace {
constexpr double kWPerKw = 1e3;
}  // namespace

std::string_view ToString(Amortization a) {
  return a == Amortization::kHorizon ? "horizon" : "part-life";
}

Result<Amortization> ParseAmortization(std::string_view text) {
  if (text == "part-life") return Amortization::kPartLife;
  if (text == "horizon") return Amortization::kHorizon;
  return Error{fmt::format("expected 'part-life' or 'horizon', got '{}'", text)};
}

double CostPolicy::AmortizationYears() const {
  return amortization == Amortization::kHorizon && horizon_years > 0 ? horizon_years
                                                                     : part_life_years;
}

GpuHourCost CostPerGpuHour(const CostPolicy& policy, double capex_usd_per_gpu,
                           double power_w_per_gpu) {
  GpuHourCost c;
  c.capital_usd = capex_usd_per_gpu / (policy.AmortizationYears() * kHoursPerYear);
  c.maintenance_usd = capex_usd_per_gpu * policy.maintenance_share_per_year / kHoursPerYear;
  c.energy_usd = power_w_per_gpu / kWPerKw * policy.pue * policy.power_usd_per_kwh;
  return c;
}

GpuHourCost CostPerGpuHour(const CostPolicy& policy, const Accelerator& a) {
  if (a.price_usd <= 0) return {};
  return CostPerGpuHour(policy, a.price_usd * policy.server_price_over_gpus,
                        a.tdp_w * policy.server_power_over_tdp);
}

std::string PriceSource(const Accelerator& a) {
  if (a.price_usd <= 0) return "none: the catalog has no public price";
  return "catalog: " + (a.price_source.empty() ? std::string("unsourced") : a.price_source);
}

nlohmann::ordered_json CostPolicyJson(const CostPolicy& p) {
  nlohmann::ordered_json j;
  j["pue"] = p.pue;
  j["power_usd_per_kwh"] = p.power_usd_per_kwh;
  j["maintenance_share_per_year"] = p.maintenance_share_per_year;
  j["server_price_over_gpus"] = p.server_price_over_gpus;
  j["server_power_over_tdp"] = p.server_power_over_tdp;
  j["amortization"] = std::string(ToString(p.amortization));
  j["amortization_years"] = p.AmortizationYears();
  return j;
}

std::string CostPolicyLine(const CostPolicy& p, std::string_view currency, double units_per_usd) {
  return fmt::format(
      "cost policy: capital over {:g} years ({}), maintenance {:g}%/year, server {:g}x its GPUs' "
      "price and {:g}x their TDP, PUE {:g}, power {:.3g} {}/kWh",
      p.AmortizationYears(),
      p.amortization == Amortization::kHorizon ? "the horizon" : "the part's life",
      100 * p.maintenance_share_per_year, p.server_price_over_gpus, p.server_power_over_tdp, p.pue,
      p.power_usd_per_kwh * units_per_usd, currency);
}

}  // namespace gpuplan::catalog
