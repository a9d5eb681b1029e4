// catalog: the accelerators gpuplan knows, loaded from data/accelerators.toml and validated once.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "units/units.h"

namespace gpuplan::catalog {

enum class Precision { kBf16, kFp8 };
std::string_view ToString(Precision p);
Result<Precision> ParsePrecision(std::string_view text);

// A value the reference table lacks, filled for planning, with its reason.
struct Assumption {
  std::string field;
  double value = 0;
  std::string reason;
};

// One accelerator (per GPU for superchips and racks). Rates are dense peaks, per device.
struct Accelerator {
  std::string id;  // stable, lowercase: "h100-sxm5-80gb"
  std::string vendor;
  std::string name;
  int year = 0;
  std::string form_factor;
  std::string profile;  // the [profile.*] that supplied the defaults below

  double peak_bf16_flop_per_s = 0;  // BF16 (FP16 on parts without BF16, e.g. V100)
  double peak_fp8_flop_per_s = 0;   // 0: no FP8
  double peak_fp6_flop_per_s = 0;   // only where it sets TPP
  double peak_fp4_flop_per_s = 0;   // only where it sets TPP
  double peak_int8_op_per_s = 0;    // only where it sets TPP
  double peak_fp32_flop_per_s = 0;  // vector FP32; 0: unpublished
  double peak_fp64_matrix_flop_per_s = 0;
  double memory_bytes = 0;  // published GB x 1e9
  double memory_bandwidth_bytes_per_s = 0;
  double scaleup_bytes_per_s = 0;   // per direction, per accelerator (half the published figure)
  int scaleup_domain = 1;           // accelerators sharing that fabric
  double scaleout_bytes_per_s = 0;  // per direction, per accelerator
  int gpus_per_node = 8;
  double gemm_efficiency = 0.7;  // fraction of dense peak large training GEMMs sustain
  // The units a GEMM's output tiles are spread over, one tile each at a time (NVIDIA SMs, AMD
  // CUs, Gaudi MMEs, TPU MXUs, Trainium NeuronCores, Ascend AI cores): sets wave quantization.
  // 0: unknown (no wave quantization).
  int sm_count = 0;
  std::string sm_source;  // who published sm_count
  // Serving (inference engines of the vendor's software generation named in the profile): the
  // fraction of dense peak its GEMMs sustain, and of peak HBM bandwidth its decode kernels reach.
  double serve_gemm_efficiency = 0.7;
  double serve_hbm_efficiency = 0.8;
  double tdp_w = 0;
  double price_usd = 0;      // 0: no public estimate
  std::string price_source;  // who published price_usd, and when
  double tpp = 0;            // computed, never typed in
  std::string confidence;    // PRIMARY, SECONDARY-VERIFIED, SECONDARY, DOUBTFUL
  std::string source;
  std::vector<Assumption> assumed;

  // Dense peak for training math at `p`; falls back to BF16 where FP8 is absent.
  double PeakFlopPerS(Precision p) const;
  bool has_fp8() const { return peak_fp8_flop_per_s > 0; }
};

// Export-control Total Processing Performance (EAR ECCN 3A090): the max over precisions of
// dense TFLOP/s (or TOPS) times operand bit width.
double ComputeTpp(const Accelerator& a);

class Catalog {
 public:
  // Parses and validates a catalog TOML text; `path` only names it in error messages.
  static Result<Catalog> Parse(std::string_view toml_text, const std::string& path);
  static Result<Catalog> Load(const std::string& path);
  // data/accelerators.toml under the built-in data folder.
  static Result<Catalog> LoadDefault();

  // The accelerator with this id, or an error listing the valid ids and the nearest one.
  Result<const Accelerator*> Find(std::string_view id) const;
  const std::vector<Accelerator>& accelerators() const { return accelerators_; }
  std::vector<std::string> ids() const;

 private:
  std::vector<Accelerator> accelerators_;  // in file order
};

// ---- The cost policy: one place for how a price becomes the cost of a GPU-hour ----------------
// size train, size serve, buy and plan all price through it, and each prints the policy beside
// its costs (CostPolicyJson, CostPolicyLine). A scenario's [opex] overrides its fields.

// Over what a purchase is written off: the part's service life, or the scenario's horizon (all
// of the capital charged to the years being planned, as buy's total cost does).
enum class Amortization { kPartLife, kHorizon };
std::string_view ToString(Amortization a);  // "part-life" | "horizon"
Result<Amortization> ParseAmortization(std::string_view text);

struct CostPolicy {
  double pue = 1.2;                       // facility power / IT power: a modern AI hall
  double power_usd_per_kwh = 0.10;        // electricity, a round planning figure
  double maintenance_share_per_year = 0;  // staff, support contracts: share of capex per year
  // A GPU server costs about 1.3x its GPUs (CPUs, memory, NICs, share of network and storage):
  // the default `node_price` of a scenario's candidate is this x the GPU price x GPUs per node.
  double server_price_over_gpus = 1.3;
  // A server draws about 1.8x its GPUs' TDP: a DGX H100 draws 10.2 kW at most for 8 x 700 W
  // GPUs (NVIDIA DGX H100 user guide). The default `node_power_kw` of a candidate.
  double server_power_over_tdp = 1.8;
  Amortization amortization = Amortization::kPartLife;
  double part_life_years = 5;  // a common depreciation period for servers
  double horizon_years = 0;    // the scenario's horizon; used under Amortization::kHorizon

  // The years capital is written off over: part_life_years, or horizon_years under kHorizon.
  double AmortizationYears() const;
};
inline constexpr CostPolicy kDefaultCostPolicy{};
inline constexpr double kServerPriceOverGpus = kDefaultCostPolicy.server_price_over_gpus;

// The cost of one GPU-hour, by what it pays for (USD).
struct GpuHourCost {
  double capital_usd = 0;      // the GPU's share of its server, amortized
  double maintenance_usd = 0;  // maintenance_share_per_year of that capital, per hour
  double energy_usd = 0;       // the GPU's share of its server's power x PUE x price
  double total_usd() const { return capital_usd + maintenance_usd + energy_usd; }
};
// One GPU of a server whose price and power, divided by its GPUs, are these.
GpuHourCost CostPerGpuHour(const CostPolicy& policy, double capex_usd_per_gpu,
                           double power_w_per_gpu);
// A catalog part in a server the policy prices and powers; zero when the catalog has no price.
GpuHourCost CostPerGpuHour(const CostPolicy& policy, const Accelerator& a);

inline double DefaultNodePriceUsd(const Accelerator& a,
                                  const CostPolicy& policy = kDefaultCostPolicy) {
  return a.price_usd * a.gpus_per_node * policy.server_price_over_gpus;
}

// Where a part's list price comes from ("catalog: <its source>"), or that it has none.
std::string PriceSource(const Accelerator& a);

// {pue, power_usd_per_kwh, maintenance_share_per_year, server_price_over_gpus,
// server_power_over_tdp, amortization, amortization_years}: printed beside every cost.
nlohmann::ordered_json CostPolicyJson(const CostPolicy& policy);
// The same as one line, money in `currency` at `units_per_usd` (a scenario's; "USD", 1 else).
std::string CostPolicyLine(const CostPolicy& policy, std::string_view currency = "USD",
                           double units_per_usd = 1);

// The JSON of `gpuplan catalog show ID --json` (figures in the units the keys name) and of
// `catalog list --json` ({"accelerators": [...]}), for the CLI and the Python binding.
nlohmann::ordered_json AcceleratorJson(const Accelerator& accelerator);
nlohmann::ordered_json CatalogJson(const Catalog& catalog);

}  // namespace gpuplan::catalog
