// The cost policy a sizing answer was priced by, one document for every caller.
#include <fmt/format.h>

#include "sizing/sizing.h"

namespace gpuplan::sizing {

nlohmann::ordered_json TrainCostPolicyJson(const TrainRequest& r, const catalog::Accelerator& a) {
  catalog::CostPolicy policy = catalog::kDefaultCostPolicy;
  policy.pue = r.pue;
  nlohmann::ordered_json j = catalog::CostPolicyJson(policy);
  if (r.usd_per_gpu_hour > 0) {
    j["price_source"] = "--usd-per-gpu-hour";
  } else if (a.price_usd <= 0) {
    j["price_source"] = fmt::format("none: ${:.2f}/GPU-hour assumed", kFallbackUsdPerGpuHour);
  } else {
    j["price_source"] = catalog::PriceSource(a);
  }
  return j;
}

nlohmann::ordered_json ServeCostPolicyJson(const ServeRequest& r, const catalog::Accelerator& a) {
  nlohmann::ordered_json j = catalog::CostPolicyJson(catalog::kDefaultCostPolicy);
  j["price_source"] = r.price_usd_per_gpu_hour > 0 ? "--usd-per-gpu-hour" : catalog::PriceSource(a);
  return j;
}

}  // namespace gpuplan::sizing
