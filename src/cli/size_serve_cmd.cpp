// gpuplan size serve: accelerators needed to serve a model at a request rate (or the rate N of them
// sustain), with latency, cost and energy per token.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <vector>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "model/model.h"
#include "sizing/sizing.h"

namespace gpuplan::cli {

namespace {

struct SizeServeFlags {
  std::string model;
  std::string params, active_params;
  std::string accelerator;
  std::string prompt_tokens = "1000";
  std::string output_tokens = "200";
  double prompt_std = 0, output_std = 0;
  std::string lengths_csv;
  std::string rps;
  std::string gpus;
  std::string daily_users;
  double requests_per_user = 1;
  double peak_factor = 2;
  double ttft_ms = 500;
  double tpot_ms = 50;
  std::optional<double> e2e_ms;
  double percentile = 99;
  bool is_offline = false;
  std::string precision = "bf16";
  std::string kv_cache = "auto";
  std::string kv_admission = "current";
  std::string attention_precision;
  std::string attention_out_precision;
  std::optional<double> price_per_gpu_hour;
  int tp = 0;
  int pp = 0;
  int ep = 0;
  std::string attention_dp = "auto";
  double ep_imbalance = 0;
  int max_batch = 0;
  int max_tokens = 0;
  bool json = false;
  bool csv = false;
};

constexpr double kMsPerS = 1e3;
constexpr double kBytesPerGib = 1024.0 * 1024 * 1024;
constexpr double kTokensPerMillion = 1e6;

// A positive whole count with an optional suffix ("2K"); `flag` names it in errors.
Result<int> ParseCount(const std::string& text, std::string_view flag) {
  auto value = ParseQuantity(text, flag);
  if (!value) return value.error();
  if (!(*value > 0) || *value > 1e9 || std::floor(*value) != *value) {
    return Error{fmt::format("'{}' must be a whole number > 0, got '{}'", flag, text)};
  }
  return static_cast<int>(*value);
}

Result<model::ModelShape> ResolveModel(const SizeServeFlags& f) {
  if (f.model.empty() == f.params.empty()) {
    return Error{"give exactly one of --model ID|path.toml or --params (e.g. --params 70B)"};
  }
  if (!f.model.empty()) return model::FindModel(f.model);
  auto params = ParseQuantity(f.params, "--params");
  GPUPLAN_TRY(params);
  double active = 0;
  if (!f.active_params.empty()) {
    auto a = ParseQuantity(f.active_params, "--active-params");
    GPUPLAN_TRY(a);
    active = *a;
  }
  return model::InferShape(*params, active);
}

// Mean and spread of the prompt and output lengths in a CSV with columns prompt_tokens and
// output_tokens (a header line, then one request per line).
struct Lengths {
  double prompt_mean = 0, prompt_std = 0, output_mean = 0, output_std = 0;
};
Result<Lengths> ReadLengthsCsv(const std::string& path) {
  auto text = ReadFile(path, 256ull << 20);
  GPUPLAN_TRY(text);
  std::istringstream in(*text);
  std::string line;
  if (!std::getline(in, line)) return Error{fmt::format("{}: empty file", path)};
  std::vector<std::string> header;
  {
    std::istringstream h(line);
    for (std::string cell; std::getline(h, cell, ',');) {
      while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
      header.push_back(cell);
    }
  }
  const auto col = [&](std::string_view name) {
    return static_cast<int>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const int pc = col("prompt_tokens"), oc = col("output_tokens");
  if (pc >= static_cast<int>(header.size()) || oc >= static_cast<int>(header.size())) {
    return Error{fmt::format("{}:1: needs columns 'prompt_tokens' and 'output_tokens'", path)};
  }
  double n = 0, ps = 0, pss = 0, os = 0, oss = 0;
  for (int line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    double values[2] = {0, 0};
    const int cols[2] = {pc, oc};
    for (int k = 0; k < 2; ++k) {
      const char* name = k == 0 ? "prompt_tokens" : "output_tokens";
      if (cols[k] >= static_cast<int>(cells.size())) {
        return Error{fmt::format("{}:{}: missing '{}'", path, line_no, name)};
      }
      char* end = nullptr;
      values[k] = std::strtod(cells[cols[k]].c_str(), &end);
      if (end == cells[cols[k]].c_str() || !(values[k] >= 1) || values[k] > 1e7) {
        return Error{fmt::format("{}:{}: '{}' must be a number between 1 and 1e7, got '{}'", path,
                                 line_no, name, cells[cols[k]])};
      }
    }
    ++n;
    ps += values[0];
    pss += values[0] * values[0];
    os += values[1];
    oss += values[1] * values[1];
  }
  if (n == 0) return Error{fmt::format("{}: no requests", path)};
  Lengths l;
  l.prompt_mean = ps / n;
  l.output_mean = os / n;
  l.prompt_std = std::sqrt(std::max(0.0, pss / n - l.prompt_mean * l.prompt_mean));
  l.output_std = std::sqrt(std::max(0.0, oss / n - l.output_mean * l.output_mean));
  return l;
}

Result<sizing::ServeRequest> BuildRequest(const SizeServeFlags& f) {
  sizing::ServeRequest r;
  auto shape = ResolveModel(f);
  if (!shape) return shape.error();
  r.model = *shape;
  if (!f.lengths_csv.empty()) {
    auto lengths = ReadLengthsCsv(f.lengths_csv);
    GPUPLAN_TRY(lengths);
    r.prompt_tokens = static_cast<int>(std::lround(lengths->prompt_mean));
    r.output_tokens = static_cast<int>(std::lround(lengths->output_mean));
    r.prompt_tokens_std = lengths->prompt_std;
    r.output_tokens_std = lengths->output_std;
  } else {
    auto prompt = ParseCount(f.prompt_tokens, "--prompt-tokens");
    if (!prompt) return prompt.error();
    r.prompt_tokens = *prompt;
    auto output = ParseCount(f.output_tokens, "--output-tokens");
    if (!output) return output.error();
    r.output_tokens = *output;
    r.prompt_tokens_std = f.prompt_std;
    r.output_tokens_std = f.output_std;
  }
  const int modes = !f.rps.empty() + !f.gpus.empty() + !f.daily_users.empty();
  if (modes != 1) {
    return Error{
        "give exactly one of --rps (size for a request rate), --daily-users (the same, from "
        "users) or --gpus (the rate they sustain)"};
  }
  if (!f.daily_users.empty()) {
    auto users = ParseQuantity(f.daily_users, "--daily-users");
    GPUPLAN_TRY(users);
    auto rps = sizing::RequestsPerSFromUsers(*users, f.requests_per_user, f.peak_factor);
    GPUPLAN_TRY(rps);
    r.requests_per_s = *rps;
  } else if (!f.rps.empty()) {
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
    GPUPLAN_TRY(CheckRange(f.ttft_ms, 1e-3, 1e7, "'--ttft-ms'"));
    GPUPLAN_TRY(CheckRange(f.tpot_ms, 1e-3, 1e7, "'--tpot-ms'"));
    r.ttft_target_s = f.ttft_ms / kMsPerS;
    r.tpot_target_s = f.tpot_ms / kMsPerS;
    if (f.e2e_ms) {
      if (!(*f.e2e_ms > 0)) return Error{fmt::format("'--e2e-ms' must be > 0, got {}", *f.e2e_ms)};
      r.e2e_target_s = *f.e2e_ms / kMsPerS;
    }
  }
  r.latency_quantile = f.percentile / 100;
  auto kv = sizing::ParseKvCachePrecision(f.kv_cache);
  GPUPLAN_TRY(kv);
  r.kv_cache = *kv;
  auto admission = sizing::ParseKvAdmission(f.kv_admission);
  GPUPLAN_TRY(admission);
  r.kv_admission = *admission;
  r.max_batch = f.max_batch;
  auto precision = sizing::ParseServePrecision(f.precision);
  if (!precision) return precision.error();
  r.precision = *precision;
  for (const auto& [text, field] :
       {std::pair<const std::string&, std::optional<sizing::ServePrecision>&>{
            f.attention_precision, r.attention_precision},
        {f.attention_out_precision, r.attention_output_precision}}) {
    if (text.empty()) continue;
    auto p = sizing::ParseServePrecision(text);
    if (!p) return p.error();
    field = *p;
  }
  if (f.price_per_gpu_hour) {
    if (!(*f.price_per_gpu_hour > 0)) {
      return Error{fmt::format("'--usd-per-gpu-hour' must be > 0, got {}", *f.price_per_gpu_hour)};
    }
    r.price_usd_per_gpu_hour = *f.price_per_gpu_hour;
  }
  if (f.tp < 0) return Error{fmt::format("'--tp' must be > 0, got {}", f.tp)};
  r.tensor_parallel = f.tp;
  if (f.pp < 0) return Error{fmt::format("'--pp' must be > 0, got {}", f.pp)};
  r.pipeline_parallel = f.pp;
  if (f.ep < 0) return Error{fmt::format("'--ep' must be > 0, got {}", f.ep)};
  r.expert_parallel = f.ep;
  if (f.attention_dp == "auto") {
    r.attention_dp = sizing::AttentionDp::kAuto;
  } else if (f.attention_dp == "on") {
    r.attention_dp = sizing::AttentionDp::kOn;
  } else if (f.attention_dp == "off") {
    r.attention_dp = sizing::AttentionDp::kOff;
  } else {
    return Error{fmt::format("'--attention-dp' must be auto, on or off, got '{}'", f.attention_dp)};
  }
  if (f.ep_imbalance != 0 && !(f.ep_imbalance >= 1 && f.ep_imbalance <= 64)) {
    return Error{fmt::format("'--ep-imbalance' must be between 1 and 64 (max over mean), got {}",
                             f.ep_imbalance)};
  }
  r.expert_imbalance = f.ep_imbalance;
  if (f.max_batch < 0) return Error{fmt::format("'--max-batch' must be > 0, got {}", f.max_batch)};
  if (f.max_tokens < 0) {
    return Error{fmt::format("'--max-tokens-per-step' must be > 0, got {}", f.max_tokens)};
  }
  r.max_tokens_per_step = f.max_tokens;
  return r;
}

void PrintPlan(const sizing::ServePlan& p, std::ostream& out) {
  out << fmt::format("{} on {} ({}), {} prompt + {} output tokens per request\n", p.model,
                     p.accelerator, sizing::ToString(p.precision), p.prompt_tokens,
                     p.output_tokens);
  std::string layout = fmt::format("tp {}", p.point.tp);
  if (p.point.pp > 1) layout += fmt::format(" x pp {}", p.point.pp);
  if (p.point.ep > 1) layout += fmt::format(", ep {}", p.point.ep);
  if (p.point.is_attention_dp) layout += ", attention data-parallel";
  out << fmt::format("  accelerators        {} = {} replica{} x {}{}\n", p.gpus, p.replicas,
                     p.replicas == 1 ? "" : "s", layout,
                     p.nodes_per_replica > 1
                         ? fmt::format(" ({} servers per replica)", p.nodes_per_replica)
                         : std::string());
  out << fmt::format("  requests/s          {:.3g} (capacity {:.3g} within the targets)\n",
                     p.requests_per_s, p.capacity_requests_per_s);
  out << fmt::format("  batch per replica   {} (KV cache holds {})\n", p.point.batch, p.max_batch);
  out << fmt::format("  TTFT / TPOT / E2E   {:.0f} ms / {:.1f} ms / {:.1f} s at p{:g}\n",
                     p.point.ttft_s * kMsPerS, p.point.tpot_s * kMsPerS, p.point.e2e_s,
                     p.latency_quantile * 100);
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

// The accelerators asked for: one id, a comma list, or "all" (the whole catalog).
Result<std::vector<const catalog::Accelerator*>> ResolveAccelerators(const catalog::Catalog& cat,
                                                                     const std::string& text) {
  std::vector<const catalog::Accelerator*> out;
  if (text == "all") {
    for (const auto& a : cat.accelerators()) out.push_back(&a);
    return out;
  }
  std::istringstream in(text);
  for (std::string id; std::getline(in, id, ',');) {
    auto a = cat.Find(id);
    GPUPLAN_TRY(a);
    out.push_back(*a);
  }
  if (out.empty()) return Error{"'--accelerator' needs a catalog id, a comma list or 'all'"};
  return out;
}

struct Row {
  std::string accelerator;
  std::optional<sizing::ServePlan> plan;
  std::string error;
};

const char* const kTableColumns[] = {"accelerator",
                                     "gpus",
                                     "replicas",
                                     "tp",
                                     "pp",
                                     "ep",
                                     "batch",
                                     "requests_per_s",
                                     "tokens_per_s_per_gpu",
                                     "ttft_ms",
                                     "tpot_ms",
                                     "limit",
                                     "usd_per_million_output_tokens",
                                     "output_tokens_per_usd",
                                     "output_tokens_per_mwh",
                                     "status",
                                     "why"};

std::vector<std::string> RowCells(const Row& row) {
  if (!row.plan || row.plan->status != sizing::ServeStatus::kOk) {
    // What it would need where it does not fit; the reason in words either way.
    std::vector<std::string> cells(std::size(kTableColumns), "");
    cells.front() = row.accelerator;
    cells[cells.size() - 2] = row.plan ? std::string(sizing::ToString(row.plan->status)) : "error";
    cells.back() = row.plan ? row.plan->status_message : row.error;
    return cells;
  }
  const sizing::ServePlan& p = *row.plan;
  const bool has_price = p.price_usd_per_gpu_hour > 0;
  return {
      row.accelerator,
      std::to_string(p.gpus),
      std::to_string(p.replicas),
      std::to_string(p.point.tp),
      std::to_string(p.point.pp),
      std::to_string(p.point.ep),
      std::to_string(p.point.batch),
      fmt::format("{:.4g}", p.requests_per_s),
      fmt::format("{:.0f}", p.output_tokens_per_s_per_gpu),
      fmt::format("{:.0f}", p.point.ttft_s * kMsPerS),
      fmt::format("{:.1f}", p.point.tpot_s * kMsPerS),
      p.point.limit,
      has_price ? fmt::format("{:.3f}", p.usd_per_million_output_tokens) : "",
      has_price ? fmt::format("{:.0f}", kTokensPerMillion / p.usd_per_million_output_tokens) : "",
      fmt::format("{:.4g}", kTokensPerMillion / p.energy_kwh_per_million_output_tokens * 1e3),
      "ok",
      ""};
}

void PrintTable(const std::vector<Row>& rows, bool csv, std::ostream& out) {
  std::vector<Column> columns;
  for (const char* name : kTableColumns) columns.push_back({name, name, true});
  Table table(std::move(columns));
  for (const Row& row : rows) {
    const std::vector<std::string> cells = RowCells(row);
    table.AddRow(std::vector<Cell>(cells.begin(), cells.end()));
  }
  table.Write(csv, out);
}

int RunSizeServe(const SizeServeFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.json && flags.csv) return ReportBadInput(Error{"give --json or --csv, not both"}, err);
  auto request = BuildRequest(flags);
  if (!request) return ReportBadInput(request.error(), err);
  auto cat = catalog::Catalog::LoadDefault();
  if (!cat) return ReportBadInput(cat.error(), err);
  auto gpus = ResolveAccelerators(*cat, flags.accelerator);
  if (!gpus) return ReportBadInput(gpus.error(), err);
  if (gpus->size() == 1 && !flags.csv) {
    // A model that does not fit, or targets no layout meets, exits 2 with why (as size train).
    auto plan = sizing::SizeServing(*request, *gpus->front());
    if (!plan) return ReportBadInput(plan.error(), err);
    if (flags.json) {
      nlohmann::ordered_json j = sizing::ServePlanJson(*plan, *request);
      j["cost_policy"] = sizing::ServeCostPolicyJson(*request, *gpus->front());
      out << j.dump(2) << "\n";
    } else {
      PrintPlan(*plan, out);
      out << "  " << catalog::CostPolicyLine(catalog::kDefaultCostPolicy) << "\n";
    }
    return kExitOk;
  }
  // A comparison: every accelerator sized alike, best cost per token first; those that cannot
  // serve the model say why.
  std::vector<Row> rows;
  for (const catalog::Accelerator* gpu : *gpus) {
    Row row{.accelerator = gpu->id, .plan = std::nullopt, .error = ""};
    auto plan = sizing::PlanServing(*request, *gpu);
    if (plan) {
      row.plan = std::move(*plan);
    } else {
      row.error = plan.error().message;
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    const auto key = [](const Row& r) {
      if (!r.plan) return 3e300;
      if (r.plan->status != sizing::ServeStatus::kOk) return 2e300;
      const double usd = r.plan->usd_per_million_output_tokens;
      return usd > 0 ? usd : 1e300;
    };
    return key(a) < key(b);
  });
  if (flags.json) {
    nlohmann::ordered_json j;
    j["cost_policy"] = catalog::CostPolicyJson(catalog::kDefaultCostPolicy);
    j["comparison"] = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      nlohmann::ordered_json e;
      if (row.plan) {
        e = sizing::ServePlanJson(*row.plan, *request);
        e["price_source"] =
            sizing::ServeCostPolicyJson(*request, **cat->Find(row.accelerator))["price_source"];
      } else {
        e["accelerator"] = row.accelerator;
        e["status"] = "error";
        e["error"] = row.error;
      }
      j["comparison"].push_back(std::move(e));
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  PrintTable(rows, flags.csv, out);
  if (!flags.csv) out << catalog::CostPolicyLine(catalog::kDefaultCostPolicy) << "\n";
  return kExitOk;
}

}  // namespace

void AddSizeServeCommand(CLI::App& size, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<SizeServeFlags>();
  CLI::App* cmd = size.add_subcommand(
      "serve",
      "accelerators to serve a model at a request rate, or the rate N of them sustain\n\n"
      "Continuous batching with chunked prefill under Poisson arrivals: each iteration reads the\n"
      "weights once and pays per batched token; the capacity is the highest rate whose TTFT,\n"
      "TPOT (and E2E) targets hold at the percentile (p99 as MLPerf), never above offline.\n"
      "A replica is tp x pp accelerators: pipeline stages cut memory, not decode latency; MoE\n"
      "experts split over --ep groups pay an all-to-all per layer under attention DP and the\n"
      "busiest rank's load, their grouped GEMMs whole tiles and their tokens' activation\n"
      "traffic; links past the NVLink domain or the server are PCIe or scale-out. The search\n"
      "tries TP within a server with every --ep dividing tp and the expert count; where no such\n"
      "layout holds the model, TP across servers and the fewest pipeline stages that do.\n"
      "A model that fits no layout is reported with the memory it needs.\n\n"
      "Examples:\n"
      "  gpuplan size serve --model llama3-70b --accelerator h100-sxm5-80gb --rps 50\n"
      "  gpuplan size serve --model llama3-70b --accelerator h200-sxm-141gb --precision fp8 \\\n"
      "      --prompt-tokens 2000 --output-tokens 500 --gpus 16 --ttft-ms 1000 --tpot-ms 40\n"
      "  gpuplan size serve --model llama3-8b --accelerator l40s --rps 100 --precision int4 "
      "--json\n"
      "  gpuplan size serve --model mymodel.toml --accelerator mi300x --gpus 8 --offline\n"
      "  gpuplan size serve --params 70B --accelerator all --precision fp8 --rps 20 --csv\n"
      "  gpuplan size serve --model mixtral-8x7b --accelerator b200,mi355x --precision fp4 \\\n"
      "      --daily-users 2M --requests-per-user 5 --ttft-ms 450 --tpot-ms 40\n"
      "  gpuplan size serve --model deepseek-v3 --accelerator h200-sxm-141gb --precision fp8 \\\n"
      "      --gpus 16 --tp 8 --ep 8 --attention-dp on --ttft-ms 2000 --tpot-ms 80\n"
      "  gpuplan size serve --model llama3-405b --accelerator a100-sxm4-80gb --tp 8 --pp 2 --rps "
      "2");
  CLI::Option* model_opt =
      cmd->add_option("--model", flags->model, "preset (see data/models) or a model .toml path");
  CLI::Option* params = cmd->add_option(
      "--params", flags->params, "instead of --model: total parameters (e.g. 70B), shape inferred");
  cmd->add_option("--active-params", flags->active_params,
                  "with --params: active parameters of a MoE model")
      ->needs(params);
  model_opt->excludes(params);
  cmd->add_option("--accelerator", flags->accelerator,
                  "catalog id, a comma list, or 'all' (one comparison table)")
      ->required();
  cmd->add_option("--prompt-tokens", flags->prompt_tokens, "mean prompt length")
      ->capture_default_str();
  cmd->add_option("--output-tokens", flags->output_tokens, "mean output length")
      ->capture_default_str();
  cmd->add_option("--prompt-std", flags->prompt_std, "spread (std) of prompt lengths")
      ->capture_default_str();
  cmd->add_option("--output-std", flags->output_std, "spread (std) of output lengths")
      ->capture_default_str();
  cmd->add_option("--lengths-csv", flags->lengths_csv,
                  "CSV of requests (columns prompt_tokens, output_tokens): mean and spread");
  CLI::Option* rps = cmd->add_option("--rps", flags->rps, "requests per second to serve");
  CLI::Option* gpus =
      cmd->add_option("--gpus", flags->gpus, "accelerators available: report the rate they serve");
  CLI::Option* users = cmd->add_option(
      "--daily-users", flags->daily_users,
      "size for daily active users: users x --requests-per-user / 86400 x --peak-factor");
  cmd->add_option("--requests-per-user", flags->requests_per_user, "requests per user per day")
      ->capture_default_str();
  cmd->add_option("--peak-factor", flags->peak_factor, "peak-hour rate over the daily mean")
      ->capture_default_str();
  rps->excludes(gpus)->excludes(users);
  gpus->excludes(users);
  CLI::Option* ttft =
      cmd->add_option("--ttft-ms", flags->ttft_ms, "time-to-first-token target at the percentile")
          ->capture_default_str();
  CLI::Option* tpot =
      cmd->add_option("--tpot-ms", flags->tpot_ms, "time-per-output-token target at the percentile")
          ->capture_default_str();
  CLI::Option* e2e =
      cmd->add_option("--e2e-ms", flags->e2e_ms, "whole-request latency target (default none)");
  cmd->add_option("--percentile", flags->percentile,
                  "share of requests that meet the targets, in % (99 as MLPerf)")
      ->capture_default_str();
  CLI::Option* offline = cmd->add_flag("--offline", flags->is_offline,
                                       "no latency targets: maximum throughput (MLPerf Offline)");
  offline->excludes(ttft)->excludes(tpot)->excludes(e2e);
  cmd->add_option("--precision", flags->precision,
                  "weights: bf16 (default), fp8, int8, int4, fp4 (NVFP4/MXFP4)");
  cmd->add_option("--kv-cache", flags->kv_cache,
                  "KV-cache format: auto (fp8 with fp8/fp4 weights), bf16, fp8");
  cmd->add_option("--kv-admission", flags->kv_admission,
                  "when a sequence gets KV-cache room: current (by what it holds, as vLLM and "
                  "SGLang), reserve (its whole output up front: TensorRT-LLM's default "
                  "GUARANTEED_NO_EVICT)")
      ->capture_default_str();
  cmd->add_option("--attention-precision", flags->attention_precision,
                  "attention's Q/K/V projections where the checkpoint keeps them apart (unset: "
                  "--precision; NVIDIA's NVFP4 DeepSeek-R1: bf16)");
  cmd->add_option("--attention-out-precision", flags->attention_out_precision,
                  "attention's output projection (unset: --attention-precision; NVIDIA's "
                  "DeepSeek-R1 NVFP4-v2: fp4)");
  // One name with size train; the old one still parses.
  cmd->add_option("--usd-per-gpu-hour,--price-per-gpu-hour", flags->price_per_gpu_hour,
                  "USD per accelerator-hour (default: amortized catalog price)");
  cmd->add_option("--tp", flags->tp,
                  "fix the tensor-parallel degree, ranks per pipeline stage (unset: searched, "
                  "within a server unless none there holds the model)");
  cmd->add_option("--pp", flags->pp,
                  "pipeline stages per replica (unset: 1, more only where one stage cannot hold "
                  "the model)");
  cmd->add_option("--ep", flags->ep,
                  "expert-parallel groups per stage, dividing --tp (MoE; unset: every divisor of "
                  "tp and the expert count, searched)");
  cmd->add_option("--attention-dp", flags->attention_dp,
                  "attention data-parallel over the tp ranks (MoE): auto (searched for MLA models "
                  "such as DeepSeek), on, off")
      ->capture_default_str();
  cmd->add_option("--ep-imbalance", flags->ep_imbalance,
                  "busiest expert rank's tokens over the mean (unset: uniform routing's maximum)");
  cmd->add_option("--max-batch", flags->max_batch,
                  "most sequences in flight per scheduler: a replica, or a rank under attention DP "
                  "(unset: 2048, TensorRT-LLM's default)");
  cmd->add_option("--max-tokens-per-step", flags->max_tokens,
                  "tokens one iteration batches per scheduler (unset: 8192)");
  cmd->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  cmd->add_flag("--csv", flags->csv, "print the comparison table as CSV");
  cmd->callback([flags, &exit_code, &out, &err] { exit_code = RunSizeServe(*flags, out, err); });
}

}  // namespace gpuplan::cli
