#include "catalog/catalog.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace gpuplan::catalog {

namespace {

constexpr double kTera = 1e12;
constexpr double kGiga = 1e9;

std::string Where(const std::string& path, const toml::node& node) {
  return fmt::format("{}:{}", path, node.source().begin.line);
}

// Reads an optional non-negative number (int or float) from `table[key]`.
Result<std::optional<double>> GetNumber(const toml::table& table, std::string_view key,
                                        const std::string& path, const std::string& context) {
  const toml::node* n = table.get(key);
  if (!n) return std::optional<double>{};
  std::optional<double> v = n->value<double>();
  if (!v) {
    return Error{fmt::format("{}: {}: '{}' must be a number", Where(path, *n), context, key)};
  }
  if (!(*v >= 0) || *v > 1e9) {
    return Error{fmt::format("{}: {}: '{}' must be between 0 and 1e9, got {}", Where(path, *n),
                             context, key, *v)};
  }
  return v;
}

Result<std::string> GetString(const toml::table& table, std::string_view key,
                              const std::string& path, const std::string& context, bool required) {
  const toml::node* n = table.get(key);
  if (!n) {
    if (required) {
      return Error{
          fmt::format("{}:{}: {}: missing '{}'", path, table.source().begin.line, context, key)};
    }
    return std::string();
  }
  std::optional<std::string> v = n->value<std::string>();
  if (!v) return Error{fmt::format("{}: {}: '{}' must be a string", Where(path, *n), context, key)};
  return *v;
}

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
  toml::table root;
  GPUPLAN_TRY(CheckTomlText(toml_text, path));  // toml++ 3.3.0 has UB on some inputs
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    return Error{
        fmt::format("{}:{}: malformed TOML: {}", path, e.source().begin.line, e.description())};
  }
  std::map<std::string, Profile, std::less<>> profiles;
  if (const toml::table* ptable = root["profile"].as_table()) {
    for (const auto& [name, node] : *ptable) {
      const toml::table* t = node.as_table();
      const std::string ctx = fmt::format("profile '{}'", name.str());
      if (!t) return Error{fmt::format("{}: {} must be a table", Where(path, node), ctx)};
      Profile p;
      auto so = GetNumber(*t, "scaleout_gbps", path, ctx);
      GPUPLAN_TRY(so);
      auto gpn = GetNumber(*t, "gpus_per_node", path, ctx);
      GPUPLAN_TRY(gpn);
      auto eff = GetNumber(*t, "gemm_efficiency", path, ctx);
      GPUPLAN_TRY(eff);
      if (!*so || !*gpn || !*eff) {
        return Error{fmt::format("{}: {} needs scaleout_gbps, gpus_per_node and gemm_efficiency",
                                 Where(path, node), ctx)};
      }
      p.scaleout_gbps = **so;
      p.gpus_per_node = static_cast<int>(**gpn);
      p.gemm_efficiency = **eff;
      auto serve_gemm = GetNumber(*t, "serve_gemm_efficiency", path, ctx);
      GPUPLAN_TRY(serve_gemm);
      auto serve_hbm = GetNumber(*t, "serve_hbm_efficiency", path, ctx);
      GPUPLAN_TRY(serve_hbm);
      p.serve_gemm_efficiency = serve_gemm->value_or(0);
      p.serve_hbm_efficiency = serve_hbm->value_or(0);
      profiles[std::string(name.str())] = p;
    }
  }
  const toml::array* arr = root["accelerator"].as_array();
  if (!arr || arr->empty()) {
    return Error{fmt::format("{}: no [[accelerator]] entries", path)};
  }
  Catalog catalog;
  std::set<std::string> seen;
  for (const toml::node& node : *arr) {
    const toml::table* t = node.as_table();
    if (!t) return Error{fmt::format("{}: [[accelerator]] must be a table", Where(path, node))};
    auto id = GetString(*t, "id", path, "accelerator", true);
    GPUPLAN_TRY(id);
    const std::string ctx = fmt::format("accelerator '{}'", *id);
    for (const auto& [key, value] : *t) {
      if (!kAcceleratorKeys.contains(key.str())) {
        std::vector<std::string> keys(kAcceleratorKeys.begin(), kAcceleratorKeys.end());
        const std::string near = NearestName(key.str(), keys);
        return Error{fmt::format("{}: {}: unknown key '{}'{}", Where(path, value), ctx, key.str(),
                                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near))};
      }
    }
    if (id->empty() || *id != fmt::format("{}", *id) ||
        std::any_of(id->begin(), id->end(), [](char c) { return std::isupper(c) || c == ' '; })) {
      return Error{fmt::format("{}: accelerator id '{}' must be lowercase without spaces",
                               Where(path, *t->get("id")), *id)};
    }
    if (!seen.insert(*id).second) {
      return Error{fmt::format("{}: duplicate accelerator id '{}'", Where(path, node), *id)};
    }
    Accelerator a;
    a.id = *id;
    auto vendor = GetString(*t, "vendor", path, ctx, true);
    GPUPLAN_TRY(vendor);
    a.vendor = *vendor;
    auto name = GetString(*t, "name", path, ctx, false);
    GPUPLAN_TRY(name);
    a.name = name->empty() ? a.id : *name;
    auto ff = GetString(*t, "form_factor", path, ctx, false);
    GPUPLAN_TRY(ff);
    a.form_factor = *ff;
    auto conf = GetString(*t, "confidence", path, ctx, false);
    GPUPLAN_TRY(conf);
    a.confidence = *conf;
    auto src = GetString(*t, "source", path, ctx, true);
    GPUPLAN_TRY(src);
    a.source = *src;
    auto price_src = GetString(*t, "price_source", path, ctx, false);
    GPUPLAN_TRY(price_src);
    a.price_source = *price_src;
    a.year = static_cast<int>(t->get("year") ? t->get("year")->value_or<int64_t>(0) : 0);
    auto prof = GetString(*t, "profile", path, ctx, true);
    GPUPLAN_TRY(prof);
    auto pit = profiles.find(*prof);
    if (pit == profiles.end()) {
      std::vector<std::string> names;
      for (const auto& [n, p] : profiles) names.push_back(n);
      return Error{fmt::format("{}: {}: {}", Where(path, *t->get("profile")), ctx,
                               UnknownNameMessage("profile", *prof, names))};
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
      auto v = GetNumber(*t, f.key, path, ctx);
      GPUPLAN_TRY(v);
      if (!*v) {
        if (f.required) {
          return Error{
              fmt::format("{}: {}: missing '{}' (needed for sizing; put a documented "
                          "value in 'assumed' if no source has it)",
                          Where(path, node), ctx, f.key)};
        }
        continue;
      }
      if (f.required && **v <= 0) {
        return Error{fmt::format("{}: {}: '{}' must be > 0, got {}", Where(path, *t->get(f.key)),
                                 ctx, f.key, **v)};
      }
      *f.dest = **v * f.scale;
    }
    if (a.peak_bf16_flop_per_s == 0) a.peak_bf16_flop_per_s = fp16;
    if (a.peak_bf16_flop_per_s <= 0) {
      return Error{fmt::format("{}: {}: needs 'dense_bf16_tflops' (or 'dense_fp16_tflops')",
                               Where(path, node), ctx)};
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
        return Error{fmt::format("{}: {}: {} must be in (0, 1], got {}", Where(path, node), ctx,
                                 key, value)};
      }
    }
    if (a.gpus_per_node < 1 || a.gpus_per_node > 1024 || a.scaleup_domain < 1) {
      return Error{fmt::format("{}: {}: gpus_per_node and scaleup_domain must be >= 1",
                               Where(path, node), ctx)};
    }
    if (const toml::array* as = t->get_as<toml::array>("assumed")) {
      for (const toml::node& an : *as) {
        const toml::table* at = an.as_table();
        if (!at)
          return Error{
              fmt::format("{}: {}: 'assumed' entries must be tables", Where(path, an), ctx)};
        Assumption assumption;
        auto field = GetString(*at, "field", path, ctx + " assumed", true);
        GPUPLAN_TRY(field);
        auto reason = GetString(*at, "reason", path, ctx + " assumed", true);
        GPUPLAN_TRY(reason);
        assumption.field = *field;
        assumption.reason = *reason;
        assumption.value = at->get("value") ? at->get("value")->value_or(0.0) : 0.0;
        a.assumed.push_back(std::move(assumption));
      }
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
  j["tdp_w"] = a.tdp_w;
  j["price_usd"] = a.price_usd > 0 ? nlohmann::ordered_json(a.price_usd) : nullptr;
  j["price_source"] = a.price_usd > 0 ? nlohmann::ordered_json(a.price_source) : nullptr;
  j["default_node_price_usd"] =
      a.price_usd > 0 ? nlohmann::ordered_json(DefaultNodePriceUsd(a)) : nullptr;
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
  j["accelerators"] = nlohmann::ordered_json::array();
  for (const auto& a : catalog.accelerators()) j["accelerators"].push_back(AcceleratorJson(a));
  return j;
}

}  // namespace gpuplan::catalog
