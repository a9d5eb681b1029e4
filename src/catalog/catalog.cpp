#include "catalog/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "config/config.h"

namespace gpuplan::catalog {

namespace {

constexpr double kTera = 1e12;
constexpr double kGiga = 1e9;

using config::Table;

// The largest number a catalog row may hold (1e9 TFLOP/s, GB or W is a typo, not a chip).
constexpr double kMaxValue = 1e9;
constexpr int kMaxSmCount = 100000;

struct Profile {
  double scaleout_gbps = 0;
  int gpus_per_node = 8;
  double gemm_efficiency = 0.7;
  double serve_gemm_efficiency = 0;  // 0: = gemm_efficiency
  double serve_hbm_efficiency = 0;   // 0: kDefaultServeHbmEfficiency
};

// Streaming kernels reach ~90% of peak HBM bandwidth (Azure measured 7.35 of 8 TB/s on GB200,
// Microsoft Tech Community, 2025); paged attention and skinny decode GEMMs less.
constexpr double kDefaultServeHbmEfficiency = 0.8;

const std::set<std::string_view> kAcceleratorKeys = {"id",
                                                     "vendor",
                                                     "name",
                                                     "year",
                                                     "form_factor",
                                                     "profile",
                                                     "dense_bf16_tflops",
                                                     "dense_fp16_tflops",
                                                     "dense_fp8_tflops",
                                                     "dense_fp6_tflops",
                                                     "dense_fp4_tflops",
                                                     "dense_int8_tops",
                                                     "fp64_matrix_tflops",
                                                     "fp32_tflops",
                                                     "memory_gb",
                                                     "memory_tbps",
                                                     "scaleup_link_gbps",
                                                     "scaleup_domain",
                                                     "scaleout_gbps",
                                                     "gpus_per_node",
                                                     "gemm_efficiency",
                                                     "sm_count",
                                                     "sm_source",
                                                     "serve_gemm_efficiency",
                                                     "serve_hbm_efficiency",
                                                     "tdp_w",
                                                     "price_usd",
                                                     "price_source",
                                                     "assumed",
                                                     "confidence",
                                                     "source"};

}  // namespace

std::string_view ToString(Precision p) { return p == Precision::kFp8 ? "fp8" : "bf16"; }

Result<Precision> ParsePrecision(std::string_view text) {
  if (text == "bf16" || text == "fp16") return Precision::kBf16;
  if (text == "fp8") return Precision::kFp8;
  return Error{fmt::format("--precision: expected bf16 or fp8, got '{}'", text)};
}

double Accelerator::PeakFlopPerS(Precision p) const {
  if (p == Precision::kFp8 && peak_fp8_flop_per_s > 0) return peak_fp8_flop_per_s;
  return peak_bf16_flop_per_s;
}

double ComputeTpp(const Accelerator& a) {
  // Rates are stored in FLOP/s; TPP uses TFLOP/s (or TOPS) x bit width.
  const double candidates[] = {
      a.peak_bf16_flop_per_s / kTera * 16,       a.peak_fp8_flop_per_s / kTera * 8,
      a.peak_fp6_flop_per_s / kTera * 6,         a.peak_fp4_flop_per_s / kTera * 4,
      a.peak_int8_op_per_s / kTera * 8,          a.peak_fp32_flop_per_s / kTera * 32,
      a.peak_fp64_matrix_flop_per_s / kTera * 64};
  return *std::max_element(std::begin(candidates), std::end(candidates));
}

Result<Catalog> Catalog::Parse(std::string_view toml_text, const std::string& path) {
  auto doc = config::Document::Parse(toml_text, path);
  GPUPLAN_TRY(doc);
  const Table root = doc->Root();
  std::map<std::string, Profile, std::less<>> profiles;
  auto ptable = root.Subtable("profile");
  GPUPLAN_TRY(ptable);
  if (*ptable) {
    for (const std::string& name : (*ptable)->Keys()) {
      auto sub = (*ptable)->Subtable(name, fmt::format("profile '{}'", name));
      GPUPLAN_TRY(sub);
      const Table& t = **sub;
      GPUPLAN_TRY(
          t.CheckKeys({"scaleout_gbps", "gpus_per_node", "gemm_efficiency", "serve_gemm_efficiency",
                       "serve_hbm_efficiency", "reason", "serve_reason"}));
      Profile p;
      GPUPLAN_ASSIGN_OR_RETURN(p.scaleout_gbps,
                               t.Number("scaleout_gbps", std::nullopt, 0, kMaxValue));
      GPUPLAN_ASSIGN_OR_RETURN(p.gpus_per_node, t.Int("gpus_per_node", std::nullopt, 1, 1024));
      GPUPLAN_ASSIGN_OR_RETURN(p.gemm_efficiency,
                               t.Number("gemm_efficiency", std::nullopt, 0, 1, true));
      GPUPLAN_ASSIGN_OR_RETURN(p.serve_gemm_efficiency,
                               t.Number("serve_gemm_efficiency", 0.0, 0, 1));
      GPUPLAN_ASSIGN_OR_RETURN(p.serve_hbm_efficiency, t.Number("serve_hbm_efficiency", 0.0, 0, 1));
      profiles[name] = p;
    }
  }
  auto rows = root.TableArray("accelerator");
  GPUPLAN_TRY(rows);
  if (rows->empty()) return Error{fmt::format("{}: no [[accelerator]] entries", path)};
  const std::vector<std::string> keys(kAcceleratorKeys.begin(), kAcceleratorKeys.end());
  Catalog catalog;
  std::set<std::string> seen;
  for (const Table& row : *rows) {
    auto id = row.String("id", std::nullopt);
    GPUPLAN_TRY(id);
    const Table t = row.WithContext(fmt::format("accelerator '{}'", *id));
    GPUPLAN_TRY(t.CheckKeys(keys));
    if (id->empty() ||
        std::any_of(id->begin(), id->end(), [](char c) { return std::isupper(c) || c == ' '; })) {
      return Error{fmt::format("{}: accelerator id '{}' must be lowercase without spaces",
                               t.Where("id"), *id)};
    }
    if (!seen.insert(*id).second) {
      return Error{fmt::format("{}: duplicate accelerator id '{}'", t.Where(), *id)};
    }
    Accelerator a;
    a.id = *id;
    GPUPLAN_ASSIGN_OR_RETURN(a.vendor, t.String("vendor", std::nullopt));
    GPUPLAN_ASSIGN_OR_RETURN(a.name, t.String("name", a.id));
    GPUPLAN_ASSIGN_OR_RETURN(a.form_factor, t.String("form_factor", ""));
    GPUPLAN_ASSIGN_OR_RETURN(a.confidence, t.String("confidence", ""));
    GPUPLAN_ASSIGN_OR_RETURN(a.source, t.String("source", std::nullopt));
    GPUPLAN_ASSIGN_OR_RETURN(a.price_source, t.String("price_source", ""));
    GPUPLAN_ASSIGN_OR_RETURN(a.year, t.Int("year", 0, 0, 2100));
    auto prof = t.String("profile", std::nullopt);
    GPUPLAN_TRY(prof);
    auto pit = profiles.find(*prof);
    if (pit == profiles.end()) {
      std::vector<std::string> names;
      for (const auto& [n, p] : profiles) names.push_back(n);
      return t.Fail("profile", UnknownNameMessage("profile", *prof, names));
    }
    a.profile = *prof;

    // Numbers: (key, destination, scale, required).
    struct Field {
      std::string_view key;
      double* dest;
      double scale;
      bool required;
    };
    double fp16 = 0, domain = 0, gpn = 0, scaleup_bidir = 0, scaleout = 0, eff = 0;
    double serve_gemm = 0, serve_hbm = 0;
    const Field fields[] = {
        {"dense_bf16_tflops", &a.peak_bf16_flop_per_s, kTera, false},
        {"dense_fp16_tflops", &fp16, kTera, false},
        {"dense_fp8_tflops", &a.peak_fp8_flop_per_s, kTera, false},
        {"dense_fp6_tflops", &a.peak_fp6_flop_per_s, kTera, false},
        {"dense_fp4_tflops", &a.peak_fp4_flop_per_s, kTera, false},
        {"dense_int8_tops", &a.peak_int8_op_per_s, kTera, false},
        {"fp64_matrix_tflops", &a.peak_fp64_matrix_flop_per_s, kTera, false},
        {"fp32_tflops", &a.peak_fp32_flop_per_s, kTera, false},
        {"memory_gb", &a.memory_bytes, kGiga, true},
        {"memory_tbps", &a.memory_bandwidth_bytes_per_s, kTera, true},
        {"scaleup_link_gbps", &scaleup_bidir, kGiga, true},
        {"scaleup_domain", &domain, 1, true},
        {"scaleout_gbps", &scaleout, kGiga, false},
        {"gpus_per_node", &gpn, 1, false},
        {"gemm_efficiency", &eff, 1, false},
        {"serve_gemm_efficiency", &serve_gemm, 1, false},
        {"serve_hbm_efficiency", &serve_hbm, 1, false},
        {"tdp_w", &a.tdp_w, 1, true},
        {"price_usd", &a.price_usd, 1, false},
    };
    for (const Field& f : fields) {
      if (!t.Has(f.key)) {
        if (!f.required) continue;
        return t.Fail("", fmt::format("missing '{}' (needed for sizing; put a documented value in "
                                      "'assumed' if no source has it)",
                                      f.key));
      }
      auto v = t.Number(f.key, std::nullopt, 0, kMaxValue, f.required);
      GPUPLAN_TRY(v);
      *f.dest = *v * f.scale;
    }
    if (a.peak_bf16_flop_per_s == 0) a.peak_bf16_flop_per_s = fp16;
    if (a.peak_bf16_flop_per_s <= 0) {
      return t.Fail("", "needs 'dense_bf16_tflops' (or 'dense_fp16_tflops')");
    }
    a.scaleup_bytes_per_s = scaleup_bidir / 2;
    a.scaleup_domain = static_cast<int>(domain);
    a.scaleout_bytes_per_s = scaleout > 0 ? scaleout : pit->second.scaleout_gbps * kGiga;
    a.gpus_per_node = gpn > 0 ? static_cast<int>(gpn) : pit->second.gpus_per_node;
    a.gemm_efficiency = eff > 0 ? eff : pit->second.gemm_efficiency;
    const Profile& prof_values = pit->second;
    a.serve_gemm_efficiency = serve_gemm > 0 ? serve_gemm
                              : prof_values.serve_gemm_efficiency > 0
                                  ? prof_values.serve_gemm_efficiency
                                  : a.gemm_efficiency;
    a.serve_hbm_efficiency = serve_hbm > 0 ? serve_hbm
                             : prof_values.serve_hbm_efficiency > 0
                                 ? prof_values.serve_hbm_efficiency
                                 : kDefaultServeHbmEfficiency;
    for (const auto& [key, value] :
         {std::pair<std::string_view, double>{"gemm_efficiency", a.gemm_efficiency},
          {"serve_gemm_efficiency", a.serve_gemm_efficiency},
          {"serve_hbm_efficiency", a.serve_hbm_efficiency}}) {
      if (value <= 0 || value > 1) {
        return t.Fail("", fmt::format("{} must be in (0, 1], got {}", key, value));
      }
    }
    if (a.gpus_per_node < 1 || a.gpus_per_node > 1024 || a.scaleup_domain < 1) {
      return t.Fail("", "gpus_per_node and scaleup_domain must be >= 1");
    }
    auto assumed = t.TableArray("assumed");
    if (!assumed) return t.Fail("assumed", "'assumed' entries must be tables");
    for (const Table& entry : *assumed) {
      const Table at = entry.WithContext(t.ctx() + " assumed");
      Assumption assumption;
      GPUPLAN_ASSIGN_OR_RETURN(assumption.field, at.String("field", std::nullopt));
      GPUPLAN_ASSIGN_OR_RETURN(assumption.reason, at.String("reason", std::nullopt));
      auto value = at.OptionalNumber("value");
      GPUPLAN_TRY(value);
      assumption.value = value->value_or(0.0);
      a.assumed.push_back(std::move(assumption));
    }
    // Wave quantization divides by it; the largest part has a few hundred units.
    GPUPLAN_ASSIGN_OR_RETURN(a.sm_count, t.Int("sm_count", 0, 1, kMaxSmCount));
    GPUPLAN_ASSIGN_OR_RETURN(a.sm_source, t.String("sm_source", ""));
    if (a.sm_count > 0 && a.sm_source.empty()) {
      return t.Fail("sm_count", "'sm_count' needs 'sm_source' (who published it)");
    }
    a.tpp = ComputeTpp(a);
    catalog.accelerators_.push_back(std::move(a));
  }
  return catalog;
}

Result<Catalog> Catalog::Load(const std::string& path) {
  auto text = ReadFile(path, 64ull << 20);
  GPUPLAN_TRY(text);
  return Parse(*text, path);
}

Result<Catalog> Catalog::LoadDefault() { return Load(DefaultDataDir() + "/accelerators.toml"); }

Result<const Accelerator*> Catalog::Find(std::string_view id) const {
  for (const Accelerator& a : accelerators_) {
    if (a.id == id) return &a;
  }
  return Error{UnknownNameMessage("accelerator", id, ids())};
}

std::vector<std::string> Catalog::ids() const {
  std::vector<std::string> out;
  out.reserve(accelerators_.size());
  for (const Accelerator& a : accelerators_) out.push_back(a.id);
  return out;
}

nlohmann::ordered_json AcceleratorJson(const Accelerator& a) {
  nlohmann::ordered_json j;
  j["id"] = a.id;
  j["vendor"] = a.vendor;
  j["name"] = a.name;
  j["year"] = a.year;
  j["form_factor"] = a.form_factor;
  j["dense_bf16_tflops"] = a.peak_bf16_flop_per_s / 1e12;
  j["dense_fp8_tflops"] = a.peak_fp8_flop_per_s / 1e12;
  j["memory_gb"] = a.memory_bytes / 1e9;
  j["memory_tbps"] = a.memory_bandwidth_bytes_per_s / 1e12;
  j["scaleup_gbps_per_direction"] = a.scaleup_bytes_per_s / 1e9;
  j["scaleup_domain"] = a.scaleup_domain;
  j["scaleout_gbps_per_direction"] = a.scaleout_bytes_per_s / 1e9;
  j["gpus_per_node"] = a.gpus_per_node;
  j["gemm_efficiency"] = a.gemm_efficiency;
  j["sm_count"] = a.sm_count > 0 ? nlohmann::ordered_json(a.sm_count) : nullptr;
  j["sm_source"] = a.sm_count > 0 ? nlohmann::ordered_json(a.sm_source) : nullptr;
  j["tdp_w"] = a.tdp_w;
  j["price_usd"] = a.price_usd > 0 ? nlohmann::ordered_json(a.price_usd) : nullptr;
  j["price_source"] = a.price_usd > 0 ? nlohmann::ordered_json(a.price_source) : nullptr;
  j["default_node_price_usd"] =
      a.price_usd > 0 ? nlohmann::ordered_json(DefaultNodePriceUsd(a)) : nullptr;
  j["usd_per_gpu_hour"] =
      a.price_usd > 0 ? nlohmann::ordered_json(CostPerGpuHour(kDefaultCostPolicy, a).total_usd())
                      : nullptr;
  j["tpp_per_gpu"] = a.tpp;  // per accelerator; buy's and report.json's tpp are fleet totals
  j["profile"] = a.profile;
  j["confidence"] = a.confidence;
  j["source"] = a.source;
  nlohmann::ordered_json assumed = nlohmann::ordered_json::array();
  for (const auto& as : a.assumed) {
    assumed.push_back({{"field", as.field}, {"value", as.value}, {"reason", as.reason}});
  }
  j["assumed"] = assumed;
  return j;
}

nlohmann::ordered_json CatalogJson(const Catalog& catalog) {
  nlohmann::ordered_json j;
  j["cost_policy"] = CostPolicyJson(kDefaultCostPolicy);  // what usd_per_gpu_hour assumes
  j["accelerators"] = nlohmann::ordered_json::array();
  for (const auto& a : catalog.accelerators()) j["accelerators"].push_back(AcceleratorJson(a));
  return j;
}

}  // namespace gpuplan::catalog
