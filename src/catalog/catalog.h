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

// A GPU server costs about 1.3x its GPUs (CPUs, memory, NICs, share of network and storage):
// the default `node_price` of a scenario's candidate is this x the GPU price x GPUs per node.
// Planning assumption, stated in docs/scenario.md and printed by `gpuplan catalog list`.
inline constexpr double kServerPriceOverGpus = 1.3;
inline double DefaultNodePriceUsd(const Accelerator& a) {
  return a.price_usd * a.gpus_per_node * kServerPriceOverGpus;
}

// The JSON of `gpuplan catalog show ID --json` (figures in the units the keys name) and of
// `catalog list --json` ({"accelerators": [...]}), for the CLI and the Python binding.
nlohmann::ordered_json AcceleratorJson(const Accelerator& accelerator);
nlohmann::ordered_json CatalogJson(const Catalog& catalog);

}  // namespace gpuplan::catalog
