// gpuplan size serve: accelerators needed to serve a model at a request rate (or the rate N of them
// sustain), with latency, cost and energy per token.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "model/model.h"
#include "sizing/sizing.h"

namespace gpuplan::cli {

namespace {

struct SizeServeFlags {
  std::string model;
  std::string accelerator;
  std::string prompt_tokens = "1000";
  std::string output_tokens = "200";
  std::string rps;
  std::string gpus;
  double ttft_ms = 500;
  double tpot_ms = 50;
  bool is_offline = false;
  std::string precision = "bf16";
  std::optional<double> price_per_gpu_hour;
  int tp = 0;
  bool json = false;
};

constexpr double kMsPerS = 1e3;
constexpr double kBytesPerGib = 1024.0 * 1024 * 1024;

// A positive whole count with an optional suffix ("2K"); `flag` names it in errors.
Result<int> ParseCount(const std::string& text, std::string_view flag) {
  auto value = ParseQuantity(text, flag);
  if (!value) return value.error();
  if (!(*value > 0) || *value > 1e9 || std::floor(*value) != *value) {
    return Error{fmt::format("'{}' must be a whole number > 0, got '{}'", flag, text)};
  }
  return static_cast<int>(*value);
}

Result<sizing::ServeRequest> BuildRequest(const SizeServeFlags& f) {
  sizing::ServeRequest r;
  auto shape = model::FindModel(f.model);
  if (!shape) return shape.error();
  r.model = *shape;
  auto prompt = ParseCount(f.prompt_tokens, "--prompt-tokens");
  if (!prompt) return prompt.error();
  r.prompt_tokens = *prompt;
  auto output = ParseCount(f.output_tokens, "--output-tokens");
  if (!output) return output.error();
  r.output_tokens = *output;
  if (f.rps.empty() == f.gpus.empty()) {
    return Error{
        "give exactly one of --rps (size for a request rate) or --gpus (the rate they "
        "sustain)"};
  }
  if (!f.rps.empty()) {
    auto rps = ParseQuantity(f.rps, "--rps");
    if (!rps) return rps.error();
    if (!(*rps > 0)) return Error{fmt::format("'--rps' must be > 0, got '{}'", f.rps)};
    r.requests_per_s = *rps;
  } else {
    auto gpus = ParseCount(f.gpus, "--gpus");
    if (!gpus) return gpus.error();
    r.num_gpus = *gpus;
  }
  if (!f.is_offline) {
    if (!(f.ttft_ms > 0)) return Error{fmt::format("'--ttft-ms' must be > 0, got {}", f.ttft_ms)};
    if (!(f.tpot_ms > 0)) return Error{fmt::format("'--tpot-ms' must be > 0, got {}", f.tpot_ms)};
    r.ttft_target_s = f.ttft_ms / kMsPerS;
    r.tpot_target_s = f.tpot_ms / kMsPerS;
  }
  auto precision = sizing::ParseServePrecision(f.precision);
  if (!precision) return precision.error();
  r.precision = *precision;
  if (f.price_per_gpu_hour) {
    if (!(*f.price_per_gpu_hour > 0)) {
      return Error{
          fmt::format("'--price-per-gpu-hour' must be > 0, got {}", *f.price_per_gpu_hour)};
    }
    r.price_usd_per_gpu_hour = *f.price_per_gpu_hour;
  }
  if (f.tp < 0) return Error{fmt::format("'--tp' must be > 0, got {}", f.tp)};
  r.tensor_parallel = f.tp;
  return r;
}

nlohmann::ordered_json OrNull(double value, bool is_known) {
  return is_known ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json PlanJson(const sizing::ServePlan& p, const sizing::ServeRequest& r) {
  nlohmann::ordered_json j;
  j["model"] = p.model;
  j["accelerator"] = p.accelerator;
  j["precision"] = sizing::ToString(p.precision);
  j["prompt_tokens"] = p.prompt_tokens;
  j["output_tokens"] = p.output_tokens;
  j["ttft_target_ms"] = OrNull(r.ttft_target_s * kMsPerS, std::isfinite(r.ttft_target_s));
  j["tpot_target_ms"] = OrNull(r.tpot_target_s * kMsPerS, std::isfinite(r.tpot_target_s));
  j["requests_per_s"] = p.requests_per_s;
  j["capacity_requests_per_s"] = p.capacity_requests_per_s;
  j["gpus"] = p.gpus;
  j["replicas"] = p.replicas;
  j["tp"] = p.point.tp;
  j["batch"] = p.point.batch;
  j["max_batch"] = p.max_batch;
  j["ttft_ms"] = p.point.ttft_s * kMsPerS;
  j["tpot_ms"] = p.point.tpot_s * kMsPerS;
  j["prefill_ms"] = p.point.prefill_s * kMsPerS;
  j["decode_step_ms"] = p.point.decode_step_s * kMsPerS;
  j["decode_bound"] = p.point.is_decode_compute_bound ? "compute" : "memory";
  j["tokens_per_s"] = p.output_tokens_per_s;
  j["tokens_per_s_per_gpu"] = p.output_tokens_per_s_per_gpu;
  j["weights_gib_per_gpu"] = p.weight_bytes_per_gpu / kBytesPerGib;
  j["kv_cache_gib_per_gpu"] = p.kv_cache_bytes_per_gpu / kBytesPerGib;
  j["kv_bytes_per_token"] = p.kv_bytes_per_token;
  const bool has_price = p.price_usd_per_gpu_hour > 0;
  j["price_usd_per_gpu_hour"] = OrNull(p.price_usd_per_gpu_hour, has_price);
  j["usd_per_million_output_tokens"] = OrNull(p.usd_per_million_output_tokens, has_price);
  j["energy_kwh_per_million_output_tokens"] = p.energy_kwh_per_million_output_tokens;
  j["notes"] = p.notes;
  return j;
}

void PrintPlan(const sizing::ServePlan& p, std::ostream& out) {
  out << fmt::format("{} on {} ({}), {} prompt + {} output tokens per request\n", p.model,
                     p.accelerator, sizing::ToString(p.precision), p.prompt_tokens,
                     p.output_tokens);
  out << fmt::format("  accelerators        {} = {} replica{} x tp {}\n", p.gpus, p.replicas,
                     p.replicas == 1 ? "" : "s", p.point.tp);
  out << fmt::format("  requests/s          {:.3g} (capacity {:.3g} within the targets)\n",
                     p.requests_per_s, p.capacity_requests_per_s);
  out << fmt::format("  batch per replica   {} (KV cache holds {})\n", p.point.batch, p.max_batch);
  out << fmt::format("  TTFT / TPOT         {:.0f} ms / {:.1f} ms\n", p.point.ttft_s * kMsPerS,
                     p.point.tpot_s * kMsPerS);
  out << fmt::format(
      "  output tokens/s     {:.0f} in all, {:.0f} per accelerator (decode {}-bound)\n",
      p.output_tokens_per_s, p.output_tokens_per_s_per_gpu,
      p.point.is_decode_compute_bound ? "compute" : "memory");
  out << fmt::format("  memory per GPU      {:.1f} GiB weights, {:.1f} GiB KV cache\n",
                     p.weight_bytes_per_gpu / kBytesPerGib,
                     p.kv_cache_bytes_per_gpu / kBytesPerGib);
  if (p.price_usd_per_gpu_hour > 0) {
    out << fmt::format(
        "  cost                ${:.3f} per million output tokens (${:.2f}/GPU-hour)\n",
        p.usd_per_million_output_tokens, p.price_usd_per_gpu_hour);
  }
  out << fmt::format("  energy              {:.2f} kWh per million output tokens\n",
                     p.energy_kwh_per_million_output_tokens);
  for (const auto& note : p.notes) out << "  note: " << note << "\n";
}

int RunSizeServe(const SizeServeFlags& flags, std::ostream& out, std::ostream& err) {
  auto request = BuildRequest(flags);
  if (!request) return ReportBadInput(request.error(), err);
  auto cat = catalog::Catalog::LoadDefault();
  if (!cat) return ReportBadInput(cat.error(), err);
  auto gpu = cat->Find(flags.accelerator);
  if (!gpu) return ReportBadInput(gpu.error(), err);
  auto plan = sizing::SizeServing(*request, **gpu);
  if (!plan) return ReportBadInput(plan.error(), err);
  if (flags.json) {
    out << PlanJson(*plan, *request).dump(2) << "\n";
  } else {
    PrintPlan(*plan, out);
  }
  return kExitOk;
}

}  // namespace

void AddSizeServeCommand(CLI::App& size, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<SizeServeFlags>();
  CLI::App* cmd = size.add_subcommand(
      "serve",
      "accelerators to serve a model at a request rate, or the rate N of them sustain\n\n"
      "Prefill is compute-bound, decode reads the weights and KV cache each step; continuous\n"
      "batching runs the largest batch that meets the TTFT and TPOT targets.\n\n"
      "Examples:\n"
      "  gpuplan size serve --model llama3-70b --accelerator h100-sxm5-80gb --rps 50\n"
      "  gpuplan size serve --model llama3-70b --accelerator h200-sxm-141gb --precision fp8 \\\n"
      "      --prompt-tokens 2000 --output-tokens 500 --gpus 16 --ttft-ms 1000 --tpot-ms 40\n"
      "  gpuplan size serve --model llama3-8b --accelerator l40s --rps 100 --precision int4 "
      "--json\n"
      "  gpuplan size serve --model mymodel.toml --accelerator mi300x --gpus 8 --offline");
  cmd->add_option("--model", flags->model, "preset (see data/models) or a model .toml path")
      ->required();
  cmd->add_option("--accelerator", flags->accelerator, "catalog id, e.g. h100-sxm5-80gb")
      ->required();
  cmd->add_option("--prompt-tokens", flags->prompt_tokens, "mean prompt length (default 1000)");
  cmd->add_option("--output-tokens", flags->output_tokens, "mean output length (default 200)");
  CLI::Option* rps = cmd->add_option("--rps", flags->rps, "requests per second to serve");
  CLI::Option* gpus =
      cmd->add_option("--gpus", flags->gpus, "accelerators available: report the rate they serve");
  rps->excludes(gpus);
  CLI::Option* ttft =
      cmd->add_option("--ttft-ms", flags->ttft_ms, "mean time-to-first-token target (default 500)");
  CLI::Option* tpot = cmd->add_option("--tpot-ms", flags->tpot_ms,
                                      "mean time-per-output-token target (default 50)");
  CLI::Option* offline = cmd->add_flag("--offline", flags->is_offline,
                                       "no latency targets: maximum throughput (MLPerf Offline)");
  offline->excludes(ttft)->excludes(tpot);
  cmd->add_option("--precision", flags->precision, "weights: bf16 (default), fp8, int8, int4");
  cmd->add_option("--price-per-gpu-hour", flags->price_per_gpu_hour,
                  "USD per accelerator-hour (default: amortized catalog price)");
  cmd->add_option("--tp", flags->tp, "fix the tensor-parallel degree (default: searched)");
  cmd->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  cmd->callback([flags, &exit_code, &out, &err] { exit_code = RunSizeServe(*flags, out, err); });
}

}  // namespace gpuplan::cli
