// gpuplan size train: GPUs, days, GPU-hours, MFU, memory, energy and cost of a training run.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "model/model.h"
#include "sizing/sizing.h"

namespace gpuplan::cli {

namespace {

struct SizeTrainFlags {
  std::string model;  // preset id or .toml path
  std::string params, active_params, tokens, days;
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0, vocab = 0;
  int experts = 0, experts_per_token = 0;
  std::string accelerator;
  std::string catalog_path;
  std::string gpus;
  int seq = 0;
  int batch = 0;
  std::string batch_tokens;
  std::string precision = "bf16";
  std::string stack = std::string(sizing::kDefaultStack);
  double goodput = 0;  // 0: modelled from interruptions
  double interruptions_per_gpu_year = sizing::kDefaultInterruptionsPerGpuS * kSecondsPerYear;
  double pue = sizing::kDefaultPue;
  double usd_per_gpu_hour = 0;
  int explain = 0;
  bool json = false;
  bool csv = false;
};

Result<model::ModelShape> ResolveModel(const SizeTrainFlags& f) {
  const bool has_dims = f.layers != 0 || f.hidden != 0 || f.heads != 0 || f.kv_heads != 0 ||
                        f.head_dim != 0 || f.ffn != 0 || f.vocab != 0 || f.experts != 0 ||
                        f.experts_per_token != 0;
  if (!f.model.empty()) {
    if (!f.params.empty() || !f.active_params.empty() || has_dims) {
      return Error{"give --model, or --params and/or shape flags, not both"};
    }
    return model::FindModel(f.model);
  }
  if (f.params.empty() && !has_dims) {
    return Error{"give --model ID|path.toml|config.json, or --params (e.g. --params 70B)"};
  }
  // Given dimensions are constraints; the rest is solved against --params (shape_solver.cpp).
  model::ShapeConstraints c{.layers = f.layers,
                            .hidden = f.hidden,
                            .heads = f.heads,
                            .kv_heads = f.kv_heads,
                            .head_dim = f.head_dim,
                            .ffn = f.ffn,
                            .vocab = f.vocab,
                            .experts = f.experts,
                            .experts_per_token = f.experts_per_token};
  if (!f.params.empty()) {
    auto params = ParseQuantity(f.params, "--params");
    GPUPLAN_TRY(params);
    c.params = *params;
  }
  if (!f.active_params.empty()) {
    auto a = ParseQuantity(f.active_params, "--active-params");
    GPUPLAN_TRY(a);
    c.active_params = *a;
  }
  return model::CompleteShape(c);
}

std::string Human(double v) { return FormatQuantity(v); }

void PrintExplain(const sizing::TrainPlan& plan, std::ostream& out) {
  out << fmt::format("\ntop {} layouts of {} evaluated (fastest first):\n", plan.top.size(),
                     plan.configs_evaluated);
  out << fmt::format(
      "{:>3} {:>3} {:>5} {:>3} {:>3} {:>3} {:>2} {:>10} {:>4} {:>9} {:>6} {:>6} {:>8}\n", "tp",
      "pp", "dp", "ep", "cp", "mb", "v", "recompute", "zero", "tok/s/GPU", "MFU", "GiB", "step s");
  for (const auto& ev : plan.top) {
    const auto& p = ev.parallelism;
    out << fmt::format(
        "{:>3} {:>3} {:>5} {:>3} {:>3} {:>3} {:>2} {:>10} {:>4} {:>9.0f} {:>6.3f} {:>6.1f} "
        "{:>8.2f}\n",
        p.tp, p.pp, p.dp, p.ep, p.cp, p.microbatch, p.virtual_stages, sizing::ToString(p.recompute),
        p.zero, ev.tokens_per_s / p.num_gpus(), ev.mfu, ev.memory.total_bytes / 1073741824.0,
        ev.time.step_s);
  }
  const auto& t = plan.time;
  out << fmt::format("\nstep time breakdown of the chosen layout ({:.3f} s):\n", t.step_s);
  const std::pair<const char*, double> terms[] = {
      {"compute (GEMM + attention, fwd + bwd)", t.compute_s},
      {"recompute", t.recompute_s},
      {"memory-bound (norms, activations, optimizer)", t.memory_bound_s},
      {"tensor-parallel collectives", t.tp_comm_s},
      {"context-parallel KV exchange (exposed)", t.cp_comm_s},
      {"MoE all-to-all (exposed)", t.ep_comm_s},
      {"pipeline bubble", t.pp_bubble_s},
      {"pipeline sends", t.pp_comm_s},
      {"data-parallel gradients (exposed)", t.dp_comm_s}};
  for (const auto& [name, s] : terms) {
    out << fmt::format("  {:<46} {:>9.3f} s {:>5.1f}%\n", name, s, 100 * s / t.step_s);
  }
  const auto& m = plan.memory;
  out << fmt::format(
      "memory per GPU: weights {:.1f} + gradients {:.1f} + optimizer {:.1f} + activations {:.1f} "
      "= {:.1f} GiB of {:.1f} usable\n",
      m.weights_bytes / 1073741824.0, m.gradients_bytes / 1073741824.0,
      m.optimizer_bytes / 1073741824.0, m.activations_bytes / 1073741824.0,
      m.total_bytes / 1073741824.0, m.usable_bytes / 1073741824.0);
}

constexpr std::string_view kAllAccelerators = "all";

// The policy that priced `req`'s GPU-hours: the default, at the request's PUE.
catalog::CostPolicy PolicyOf(const sizing::TrainRequest& req) {
  catalog::CostPolicy policy = catalog::kDefaultCostPolicy;
  policy.pue = req.pue;
  return policy;
}

std::string PriceSourceOf(const sizing::TrainRequest& req, const catalog::Accelerator& a) {
  return sizing::TrainCostPolicyJson(req, a)["price_source"];
}

// --accelerator all: the same request on every catalog accelerator, in catalog order. A part that
// cannot run it (no FP8, fits no layout, misses the deadline) is a row with its reason, not an
// error; the request's own errors (bad fields) still are.
int RunComparison(const sizing::TrainRequest& req,
                  const std::vector<const catalog::Accelerator*>& parts, bool json, bool csv,
                  std::ostream& out, std::ostream& err) {
  if (auto ok = sizing::Validate(req); !ok) return ReportBadInput(ok.error(), err);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  Table table({{"accelerator", "accelerator", true},
               {"gpus", "gpus"},
               {"days", "days"},
               {"GPU-hours", "gpu_hours"},
               {"90% GPU-hours", "gpu_hours_90"},
               {"MFU", "mfu"},
               {"TFLOP/s", "tflops_per_gpu"},
               {"tp/pp/dp/ep/cp", "parallelism"},
               {"GiB", "memory_per_gpu_gib"},
               {"MWh", "energy_mwh"},
               {"$/GPU-h", "usd_per_gpu_hour"},
               {"cost $", "cost_usd"},
               {"status", "status", true}});
  for (const catalog::Accelerator* part : parts) {
    const catalog::Accelerator& a = *part;
    auto plan = sizing::SizeTraining(req, a);
    std::string why;
    if (!plan) {
      why = plan.error().message;
    } else if (plan->status != sizing::TrainStatus::kOk) {
      why = plan->status_message;
    }
    if (!why.empty()) {
      rows.push_back({{"accelerator", a.id}, {"status", "unavailable"}, {"status_message", why}});
      std::vector<Cell> cells(12, Missing());
      cells.front() = a.id;
      cells.push_back(why);
      table.AddRow(std::move(cells));
      continue;
    }
    const sizing::TrainPlan& p = *plan;
    rows.push_back(sizing::TrainPlanJson(p));
    rows.back()["price_source"] = PriceSourceOf(req, a);
    const auto& par = p.parallelism;
    const auto& iv = p.interval_90.gpu_seconds;
    const double gpu_hours = p.gpu_seconds / kSecondsPerHour;
    table.AddRow(
        {a.id, Count(p.gpus),
         Number(p.duration_s / kSecondsPerDay,
                fmt::format("{:.1f}", p.duration_s / kSecondsPerDay)),
         Number(gpu_hours, Human(gpu_hours)),
         Cell(Human(iv.lo / kSecondsPerHour) + "-" + Human(iv.hi / kSecondsPerHour),
              fmt::format("{}-{}", iv.lo / kSecondsPerHour, iv.hi / kSecondsPerHour)),
         Number(p.mfu, fmt::format("{:.1f}%", 100 * p.mfu)),
         Number(p.flop_per_s_per_gpu / 1e12, fmt::format("{:.0f}", p.flop_per_s_per_gpu / 1e12)),
         fmt::format("{}/{}/{}/{}/{}", par.tp, par.pp, par.dp, par.ep, par.cp),
         Number(p.memory.total_bytes / 1073741824.0,
                fmt::format("{:.1f}", p.memory.total_bytes / 1073741824.0)),
         Number(p.energy_j / 3.6e9, fmt::format("{:.0f}", p.energy_j / 3.6e9)),
         Number(p.usd_per_gpu_hour, fmt::format("{:.2f}", p.usd_per_gpu_hour)),
         Number(p.cost_usd, Human(p.cost_usd)), "ok"});
  }
  if (json) {
    nlohmann::ordered_json j;
    j["model"] = req.model.name;
    j["tokens"] = req.tokens;
    j["stack"] = req.stack;
    j["cost_policy"] = catalog::CostPolicyJson(PolicyOf(req));
    j["accelerators"] = std::move(rows);
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  if (csv) {
    out << table.Csv();
    return kExitOk;
  }
  out << fmt::format("{} on {} accelerators ({} tokens, {}, stack {}):\n", req.model.name,
                     parts.size(), Human(req.tokens),
                     req.num_gpus > 0
                         ? fmt::format("{} GPUs", req.num_gpus)
                         : fmt::format("deadline {:.1f} days", req.deadline_s / kSecondsPerDay),
                     req.stack);
  out << table.Text();
  out << catalog::CostPolicyLine(PolicyOf(req)) << "\n";
  return kExitOk;
}

int RunSizeTrain(const SizeTrainFlags& f, std::ostream& out, std::ostream& err) {
  auto shape = ResolveModel(f);
  if (!shape) return ReportBadInput(shape.error(), err);
  auto cat = f.catalog_path.empty() ? catalog::Catalog::LoadDefault()
                                    : catalog::Catalog::Load(f.catalog_path);
  if (!cat) return ReportBadInput(cat.error(), err);
  // One id, a comma list or "all": more than one (or --csv) prints a comparison table.
  std::vector<const catalog::Accelerator*> parts;
  if (f.accelerator == kAllAccelerators) {
    for (const auto& a : cat->accelerators()) parts.push_back(&a);
  } else {
    std::istringstream ids(f.accelerator);
    for (std::string id; std::getline(ids, id, ',');) {
      auto a = cat->Find(id);
      if (!a) return ReportBadInput(a.error(), err);
      parts.push_back(*a);
    }
  }
  if (parts.empty())
    return ReportBadInput(Error{"--accelerator needs an id, a list or 'all'"}, err);
  const bool all = parts.size() > 1 || f.csv;
  const catalog::Accelerator* gpu = parts.front();
  auto tokens = ParseQuantity(f.tokens, "--tokens");
  if (!tokens) return ReportBadInput(tokens.error(), err);
  auto precision = catalog::ParsePrecision(f.precision);
  if (!precision) return ReportBadInput(precision.error(), err);
  sizing::TrainRequest req;
  req.model = std::move(*shape);
  req.tokens = *tokens;
  req.precision = *precision;
  if (f.gpus.empty() == f.days.empty()) {
    return ReportBadInput(Error{"give exactly one of --gpus N or --days D"}, err);
  }
  if (!f.gpus.empty()) {
    auto g = ParseQuantity(f.gpus, "--gpus");
    if (!g) return ReportBadInput(g.error(), err);
    if (!(*g >= 1) || *g > (1 << 20) || *g != std::floor(*g)) {
      return ReportBadInput(Error{fmt::format("--gpus must be a whole number between 1 and {}, "
                                              "got {}",
                                              1 << 20, f.gpus)},
                            err);
    }
    req.num_gpus = int(*g);
  } else {
    // "30" means 30 days; "30d", "12h", "2w" are durations.
    const bool is_number = f.days.find_first_not_of("0123456789.eE+-") == std::string::npos;
    Result<double> d =
        is_number ? ParseQuantity(f.days, "--days") : ParseDurationS(f.days, "--days");
    if (d && !is_number) d = *d / kSecondsPerDay;
    if (!d) return ReportBadInput(d.error(), err);
    if (!(*d > 0)) {
      return ReportBadInput(Error{fmt::format("--days must be > 0, got {}", f.days)}, err);
    }
    req.deadline_s = *d * kSecondsPerDay;
  }
  if (!f.batch_tokens.empty()) {
    auto bt = ParseQuantity(f.batch_tokens, "--batch-tokens");
    if (!bt) return ReportBadInput(bt.error(), err);
    if (!(*bt >= 1)) {
      return ReportBadInput(
          Error{fmt::format("--batch-tokens must be >= 1, got {}", f.batch_tokens)}, err);
    }
    req.global_batch_tokens = *bt;
  }
  // Range checks live in sizing::Validate(TrainRequest), shared with every caller.
  req.seq_len = f.seq;
  req.global_batch_seqs = f.batch;
  req.goodput = f.goodput;
  req.interruptions_per_gpu_s = f.interruptions_per_gpu_year / kSecondsPerYear;
  req.pue = f.pue;
  req.usd_per_gpu_hour = f.usd_per_gpu_hour;
  req.explain_top = f.explain;
  req.stack = f.stack;
  req.is_shape_inferred = f.model.empty();
  if (f.json && f.csv) return ReportBadInput(Error{"give --json or --csv, not both"}, err);
  if (all) return RunComparison(req, parts, f.json, f.csv, out, err);
  auto plan = sizing::SizeTraining(req, *gpu);
  if (!plan) return ReportBadInput(plan.error(), err);
  if (plan->status != sizing::TrainStatus::kOk)
    return ReportBadInput(Error{plan->status_message}, err);
  const catalog::CostPolicy policy = PolicyOf(req);
  if (f.json) {
    nlohmann::ordered_json j = sizing::TrainPlanJson(*plan);
    j["cost_policy"] = sizing::TrainCostPolicyJson(req, *gpu);
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  const auto& p = *plan;
  const auto& par = p.parallelism;
  out << fmt::format("model          {} ({} params, {} active)\n", p.model, Human(p.params),
                     Human(p.active_params));
  out << fmt::format("workload       {} tokens at seq {}, {} precision, batch {} sequences\n",
                     Human(p.tokens), p.seq_len, catalog::ToString(p.precision),
                     p.global_batch_seqs);
  out << fmt::format("accelerator    {} x {}, stack {}\n", p.gpus, p.accelerator, p.stack);
  const auto& iv = p.interval_90;
  out << fmt::format(
      "time           {:.1f} days, {} GPU-hours (goodput {:.3f}, {:.0f} "
      "interruptions)\n",
      p.duration_s / kSecondsPerDay, Human(p.gpu_seconds / kSecondsPerHour), p.goodput,
      p.interruptions);
  out << fmt::format("  90% range    {:.1f}-{:.1f} days, {}-{} GPU-hours\n",
                     iv.duration_s.lo / kSecondsPerDay, iv.duration_s.hi / kSecondsPerDay,
                     Human(iv.gpu_seconds.lo / kSecondsPerHour),
                     Human(iv.gpu_seconds.hi / kSecondsPerHour));
  out << fmt::format(
      "throughput     {} tokens/s, {:.0f} TFLOP/s per GPU, MFU {:.1f}%, HFU {:.1f}%\n",
      Human(p.tokens_per_s), p.flop_per_s_per_gpu / 1e12, 100 * p.mfu, 100 * p.hfu);
  out << fmt::format(
      "  90% range    {}-{} tokens/s, {:.0f}-{:.0f} TFLOP/s per GPU, MFU "
      "{:.1f}-{:.1f}%\n",
      Human(iv.tokens_per_s.lo), Human(iv.tokens_per_s.hi), iv.flop_per_s_per_gpu.lo / 1e12,
      iv.flop_per_s_per_gpu.hi / 1e12, 100 * iv.mfu.lo, 100 * iv.mfu.hi);
  out << fmt::format(
      "parallelism    tp {} pp {} dp {} ep {} cp {}, microbatch {}, {} chunks, "
      "recompute {}, zero {}\n",
      par.tp, par.pp, par.dp, par.ep, par.cp, par.microbatch, par.virtual_stages,
      sizing::ToString(par.recompute), par.zero);
  out << fmt::format("memory         {:.1f} GiB per GPU\n", p.memory.total_bytes / 1073741824.0);
  out << fmt::format("energy         {:.0f} MWh (PUE {:.2f})\n", p.energy_j / 3.6e9, p.pue);
  out << fmt::format("cost           ${} at ${:.2f} per GPU-hour\n", Human(p.cost_usd),
                     p.usd_per_gpu_hour);
  out << fmt::format("  price        {}\n", PriceSourceOf(req, *gpu));
  out << "  " << catalog::CostPolicyLine(policy) << "\n";
  for (const auto& note : p.notes) out << "note: " << note << "\n";
  if (f.explain > 0) PrintExplain(p, out);
  return kExitOk;
}

}  // namespace

void AddSizeTrainCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto f = std::make_shared<SizeTrainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "GPUs, days, GPU-hours, MFU, memory, energy and cost of training a model\n\n"
      "Examples:\n"
      "  gpuplan size train --model llama3-70b --tokens 15T --accelerator h100-sxm5-80gb --gpus "
      "2048\n"
      "  gpuplan size train --model llama3-405b --tokens 15T --accelerator h100-sxm5-80gb --days "
      "90\n"
      "  gpuplan size train --params 70B --tokens 2T --accelerator mi300x --gpus 512 --json\n"
      "  gpuplan size train --params 671B --active-params 37B --tokens 14.8T \\\n"
      "                     --accelerator h800-sxm5-80gb --gpus 2048 --precision fp8 --explain 5\n"
      "  gpuplan size train --model my_model.toml --tokens 1T --accelerator b200 --days 30d\n\n"
      "  gpuplan size train --model path/to/config.json --tokens 2T --accelerator h200-sxm-141gb "
      "\\\n"
      "                     --gpus 256 --seq 8192\n"
      "  gpuplan size train --params 540B --layers 118 --hidden 18432 --tokens 780B \\\n"
      "                     --accelerator h100-sxm5-80gb --gpus 6144\n\n"
      "--gpus gives days; --days gives the fewest whole nodes that finish in time. days and\n"
      "gpu_hours include goodput: interruptions arrive at --interruptions-per-gpu-year x GPUs\n"
      "(default Llama 3's rate), each costing the stack's restart time plus half a checkpoint\n"
      "interval (Young's optimum), so more GPUs lose more (2,048: ~2%, 16,384: ~10%);\n"
      "tokens_per_s does not. Every figure has a 90% range from the model's errors on published\n"
      "runs, wider outside them (notes say why). With --params, given dimensions are kept and\n"
      "the rest (heads, FFN, vocabulary, experts) is solved to match. Presets: data/models/.");
  cmd->add_option("--model", f->model,
                  "preset id (e.g. llama3-70b), a model .toml file or a Hugging Face config.json");
  cmd->add_option("--params", f->params,
                  "total parameters, e.g. 70B (the rest of the shape is solved)");
  cmd->add_option("--active-params", f->active_params, "MoE: parameters per token, e.g. 37B");
  cmd->add_option("--layers", f->layers, "given: transformer layers");
  cmd->add_option("--hidden", f->hidden, "given: hidden size");
  cmd->add_option("--heads", f->heads, "given: attention heads (default: heads of 128)");
  cmd->add_option("--kv-heads", f->kv_heads, "given: KV heads (GQA; default 8 where they divide)");
  cmd->add_option("--head-dim", f->head_dim, "given: head dimension (default 128)");
  cmd->add_option("--ffn", f->ffn, "given: FFN hidden size (dense)");
  cmd->add_option("--vocab", f->vocab, "given: vocabulary size (default 128256)");
  cmd->add_option("--experts", f->experts, "given, MoE: routed experts");
  cmd->add_option("--experts-per-token", f->experts_per_token, "given, MoE: top-k");
  cmd->add_option("--tokens", f->tokens, "training tokens, e.g. 15T")->required();
  cmd->add_option("--accelerator", f->accelerator,
                  "accelerator id (gpuplan catalog list), a comma list, or 'all': one table "
                  "comparing them (--json: {accelerators: [...]})")
      ->required();
  cmd->add_option("--catalog", f->catalog_path, "catalog TOML (default: data/accelerators.toml)");
  cmd->add_option("--gpus", f->gpus, "number of accelerators (gives days)");
  cmd->add_option("--days", f->days, "deadline: 30 (days) or 30d, 12h, 2w (gives GPUs)");
  cmd->add_option("--seq", f->seq, "sequence length (default: the model's training context)");
  cmd->add_option("--batch", f->batch, "global batch in sequences");
  cmd->add_option("--batch-tokens", f->batch_tokens,
                  "global batch in tokens, e.g. 16M (default: max(4M, 1K x GPUs))");
  cmd->add_option("--precision", f->precision, "bf16 or fp8");
  std::string stacks;
  for (const auto& st : sizing::SoftwareStacks()) {
    stacks += fmt::format("\n  {}: {}", st.name, st.description);
  }
  cmd->add_option("--stack", f->stack,
                  "training software (what it fuses and overlaps; default " +
                      std::string(sizing::kDefaultStack) + "):" + stacks);
  cmd->add_option("--goodput", f->goodput,
                  "share of wall time in useful steps (default: modelled from interruptions)");
  cmd->add_option(
      "--interruptions-per-gpu-year", f->interruptions_per_gpu_year,
      fmt::format("job interruptions per GPU-year of the cluster (default {:.3f}: Llama "
                  "3, 419 in 54 days on 16,384 H100)",
                  f->interruptions_per_gpu_year));
  cmd->add_option("--pue", f->pue, "power usage effectiveness for energy");
  cmd->add_option("--usd-per-gpu-hour", f->usd_per_gpu_hour,
                  "price per GPU-hour (default: amortized catalog price)");
  cmd->add_option("--explain", f->explain, "print the N best layouts and the time breakdown");
  cmd->add_flag("--json", f->json, "print exactly one JSON object on stdout");
  cmd->add_flag("--csv", f->csv, "print the comparison table (one row per accelerator) as CSV");
  cmd->callback([f, &exit_code, &out, &err] { exit_code = RunSizeTrain(*f, out, err); });
}

}  // namespace gpuplan::cli
