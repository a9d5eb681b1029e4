// Predicts the published runs of ../shared/reference/training_runs.csv with SizeTraining.
// One model for every row; what a row leaves open is filled by one stated rule, never per row:
//   - accelerator and model from the row's text (preset per model family, see PresetFor);
//   - a stated TP/PP/DP (Megatron Table 1) or model-parallel size (Table 2: TP 8 inside a DGX
//     node, PP = size / 8) is evaluated as stated, with Megatron's full recompute and microbatch 1
//     when stated; everything else is searched;
//   - Megatron rows report TFLOP/s counting recompute (their eq. 3): compared with our hardware
//     TFLOP/s; MLPerf rows compare wall time (FP8 where the row says so); full runs compare
//     GPU-hours with the default goodput;
//   - full runs without a GPU count (Llama 2) assume 2048 GPUs (the count Meta used for LLaMA 1
//     65B, arXiv:2302.13971 sec. 2.4); GPU-hours barely depend on it;
//   - MLPerf rows' wall time includes the benchmark's evaluation: 24,567 validation sequences
//     forward-only every 24,576 trained (MLPerf Training GPT-3 reference README, "evaluation
//     frequency / thoroughness"), so one evaluated token per trained token;
//   - MLPerf rows without logged tokens (Gaudi 2) assume the 1.208B tokens NVIDIA's runs logged.
//   - the row's parallelism text is read for what it states about the layout, like TP/PP/DP:
//     "ZeRO stage N" pins ZeRO stage N; "FSDP" (fully sharded data parallel) is ZeRO-3;
//     "3D parallelism" means TP and PP are both used (>= 2 each, degrees unstated);
//     "tensor parallelism" without a degree means TP >= 2. Rows stating none of these search.
//   - the software stack of the row's year (StackFor): Megatron SC21 (2021), OPT and BLOOM
//     (2022, metaseq and Megatron-DeepSpeed, forks of Megatron-LM 2021) on megatron-2021;
//     Llama 2 and MLPerf v3.0 (2023) on megatron-2023.
//   - published facts of a run that the CSV leaves out come from data/training_run_facts.csv,
//     each with its source: a stated layout (tp, pp, dp), the global batch (batch_tokens,
//     batch_seqs), the cluster's scale-out bandwidth per GPU (scaleout_gbps, GB/s each way) and
//     its interruption count over a period (interruptions, interruption_days: the run's failure
//     rate, (R1)). Rows without facts get the defaults (Llama 3's failure rate).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "sizing/sizing.h"

namespace gpuplan::sizing {

namespace {

constexpr int kAssumedLlama2Gpus = 2048;
constexpr double kAssumedMlperfTokens = 1207959552;  // NVIDIA dgxh100_n64 trained_samples
constexpr int kMegatronTpInNode = 8;
constexpr double kMlperfEvalSeqs = 24567, kMlperfEvalEverySeqs = 24576;

// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
    } else {
      field += ch;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string AcceleratorFor(const std::string& text) {
  if (text.find("A100-SXM4-80GB") != std::string::npos) return "a100-sxm4-80gb";
  if (text.find("H100-SXM5-80GB") != std::string::npos) return "h100-sxm5-80gb";
  if (text.find("Gaudi2") != std::string::npos) return "gaudi2";
  return "";
}

std::string PresetFor(const std::string& id) {
  if (id.rfind("llama2-", 0) == 0 || id == "opt-175b" || id == "bloom-176b") return id;
  std::smatch mm;
  static const std::regex kT1("megatron-sc21-t1-(.+)");
  static const std::regex kT2("megatron-sc21-t2-ptd-([0-9.]+b)-.*");
  if (std::regex_match(id, mm, kT1)) return "megatron-" + mm[1].str();
  if (std::regex_match(id, mm, kT2)) return "megatron-" + mm[1].str();
  if (id == "megatron-sc21-gpt3-estimate" || id.rfind("mlperf-", 0) == 0) return "gpt3-175b";
  return "";
}

std::string StackFor(const std::string& campaign) {
  if (campaign == "llama2" || campaign == "mlperf-v3.0") return "megatron-2023";
  return "megatron-2021";
}

double ToDouble(const std::string& s) { return s.empty() ? 0 : std::stod(s); }

int MatchInt(const std::string& text, const char* pattern) {
  std::smatch mm;
  const std::regex re(pattern);
  return std::regex_search(text, mm, re) ? std::stoi(mm[1].str()) : 0;
}

// One paper or one MLPerf round: the unit left out together in leave-one-campaign-out.
std::string CampaignFor(const std::string& id) {
  for (const char* prefix : {"llama2-", "megatron-sc21-", "mlperf-v3.0-"}) {
    if (id.rfind(prefix, 0) == 0) return std::string(prefix, std::strlen(prefix) - 1);
  }
  return id;  // a paper of its own (OPT, BLOOM)
}

// data/training_run_facts.csv: id -> field -> value.
using Facts = std::map<std::string, std::map<std::string, double>>;
Result<Facts> LoadFacts(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  GPUPLAN_TRY(text);
  const auto rows = ParseCsv(*text);
  if (rows.empty() || rows[0].size() < 3 || rows[0][0] != "id" || rows[0][1] != "field" ||
      rows[0][2] != "value") {
    return Error{fmt::format("{}:1: expected the header id,field,value,source", path)};
  }
  static const std::set<std::string> kFields = {"tp",
                                                "pp",
                                                "dp",
                                                "batch_tokens",
                                                "batch_seqs",
                                                "scaleout_gbps",
                                                "interruptions",
                                                "interruption_days"};
  Facts facts;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() < 3 || !kFields.contains(row[1])) {
      return Error{
          fmt::format("{}:{}: field must be one of tp, pp, dp, batch_tokens, batch_seqs, "
                      "scaleout_gbps, interruptions, interruption_days",
                      path, r + 1)};
    }
    char* end = nullptr;
    const double v = std::strtod(row[2].c_str(), &end);
    if (row[2].empty() || *end != '\0' || !(v > 0) || v > 1e12) {
      return Error{fmt::format("{}:{}: value '{}' must be a number > 0", path, r + 1, row[2])};
    }
    facts[row[0]][row[1]] = v;
  }
  return facts;
}

std::string ConfigString(const Parallelism& p) {
  return fmt::format("tp{} pp{} dp{}{}{} mb{} v{} {} zero{}", p.tp, p.pp, p.dp,
                     p.ep > 1 ? fmt::format(" ep{}", p.ep) : "",
                     p.cp > 1 ? fmt::format(" cp{}", p.cp) : "", p.microbatch, p.virtual_stages,
                     ToString(p.recompute), p.zero);
}

}  // namespace

Result<std::vector<ValidationRow>> ValidateTrainingRuns(const std::string& csv_path,
                                                        const catalog::Catalog& catalog,
                                                        const std::string& facts_path) {
  auto facts =
      LoadFacts(facts_path.empty() ? DefaultDataDir() + "/training_run_facts.csv" : facts_path);
  GPUPLAN_TRY(facts);
  auto text = ReadFile(csv_path, 16 << 20);
  GPUPLAN_TRY(text);
  const auto rows = ParseCsv(*text);
  if (rows.size() < 2) return Error{fmt::format("{}: no data rows", csv_path)};
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  for (const char* need :
       {"id", "row_type", "tokens", "accelerator", "num_accelerators", "wall_days", "gpu_hours",
        "achieved_tflops_per_gpu", "precision", "parallelism", "quote", "seq_len"}) {
    if (!col.contains(need)) return Error{fmt::format("{}:1: missing column '{}'", csv_path, need)};
  }
  std::vector<ValidationRow> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    auto get = [&](const char* name) -> std::string {
      const size_t i = col[name];
      return i < row.size() ? row[i] : std::string();
    };
    ValidationRow v;
    v.id = get("id");
    v.row_type = get("row_type");
    v.campaign = CampaignFor(v.id);
    const std::string where = fmt::format("{}:{} ({})", csv_path, r + 1, v.id);
    const std::string preset = PresetFor(v.id);
    const std::string acc_id = AcceleratorFor(get("accelerator"));
    if (preset.empty() || acc_id.empty()) {
      return Error{fmt::format("{}: no preset or accelerator for this row", where)};
    }
    auto shape = model::LoadPreset(preset);
    GPUPLAN_TRY(shape);
    auto acc = catalog.Find(acc_id);
    GPUPLAN_TRY(acc);
    TrainRequest req;
    req.model = *shape;
    req.stack = StackFor(v.campaign);
    req.seq_len = int(ToDouble(get("seq_len")));
    req.precision = get("precision").find("fp8") != std::string::npos ? catalog::Precision::kFp8
                                                                      : catalog::Precision::kBf16;
    req.num_gpus = int(ToDouble(get("num_accelerators")));
    const std::string par = get("parallelism");
    req.global_batch_seqs =
        MatchInt(par + " " + get("quote"), "(?:global batch|batch size) ([0-9]+)");
    req.tokens = ToDouble(get("tokens"));
    const int tp = MatchInt(par, "TP([0-9]+)");
    const int mp = MatchInt(par, "model-parallel size ([0-9]+)");
    if (tp > 0) {
      req.fixed_tp = tp;
      req.fixed_pp = MatchInt(par, "PP([0-9]+)");
      req.fixed_dp = MatchInt(par, "DP([0-9]+)");
    } else if (mp > 0) {
      req.fixed_tp = kMegatronTpInNode;
      req.fixed_pp = mp / kMegatronTpInNode;
    }
    req.fixed_microbatch = MatchInt(par, "microbatch ([0-9]+)");
    if (const int zero = MatchInt(par, "ZeRO stage ([0-3])"); zero > 0) req.fixed_zero = zero;
    if (par.find("FSDP") != std::string::npos) req.fixed_zero = 3;
    if (par.find("3D parallelism") != std::string::npos) req.min_tp = req.min_pp = 2;
    if (tp == 0 && mp == 0 && par.find("tensor parallelism") != std::string::npos) req.min_tp = 2;
    const bool is_megatron = v.id.rfind("megatron-", 0) == 0;
    if (is_megatron) req.fixed_recompute = Recompute::kFull;
    if (v.row_type == "full_pretraining_run") {
      req.is_full_run = true;
      v.metric = "gpu_hours";
      v.published = ToDouble(get("gpu_hours"));
      if (req.num_gpus == 0) {
        req.num_gpus = kAssumedLlama2Gpus;
        v.assumption = fmt::format("{} GPUs (count not published)", kAssumedLlama2Gpus);
      }
    } else if (v.row_type == "mlperf_benchmark") {
      req.is_full_run = false;
      req.eval_tokens_per_token = kMlperfEvalSeqs / kMlperfEvalEverySeqs;
      v.metric = "days";
      v.published = ToDouble(get("wall_days"));
      if (req.tokens == 0) {
        req.tokens = kAssumedMlperfTokens;
        v.assumption = "1.208B tokens (not logged; NVIDIA's runs logged this)";
      }
    } else {
      req.is_full_run = false;
      v.metric = "hw_tflops_per_gpu";
      v.published = ToDouble(get("achieved_tflops_per_gpu"));
      if (req.tokens == 0) req.tokens = 1e9;  // throughput does not depend on it
    }
    // Published facts the CSV leaves out (data/training_run_facts.csv).
    catalog::Accelerator gpu = **acc;
    if (auto it = facts->find(v.id); it != facts->end()) {
      const auto& f = it->second;
      auto fact = [&](const char* name) { return f.contains(name) ? f.at(name) : 0.0; };
      if (fact("tp") > 0) req.fixed_tp = int(fact("tp"));
      if (fact("pp") > 0) req.fixed_pp = int(fact("pp"));
      if (fact("dp") > 0) req.fixed_dp = int(fact("dp"));
      if (fact("batch_seqs") > 0) req.global_batch_seqs = int(fact("batch_seqs"));
      if (fact("batch_tokens") > 0) {
        req.global_batch_seqs = 0;
        req.global_batch_tokens = fact("batch_tokens");
      }
      if (fact("scaleout_gbps") > 0) gpu.scaleout_bytes_per_s = fact("scaleout_gbps") * 1e9;
      if (fact("interruptions") > 0 && fact("interruption_days") > 0 && req.num_gpus > 0) {
        req.interruptions_per_gpu_s =
            fact("interruptions") /
            (double(req.num_gpus) * fact("interruption_days") * kSecondsPerDay);
      }
    }
    auto plan = SizeTraining(req, gpu);
    if (!plan) return Error{fmt::format("{}: {}", where, plan.error().message)};
    if (plan->status != TrainStatus::kOk) {
      return Error{fmt::format("{}: {}", where, plan->status_message)};
    }
    const TrainInterval90& iv = plan->interval_90;
    // Throughput rows: the hardware TFLOP/s interval is the model-FLOP one scaled (same factor).
    const double hw_per_model = plan->hardware_flop_per_s_per_gpu / plan->flop_per_s_per_gpu;
    if (v.metric == "gpu_hours") {
      v.predicted = plan->gpu_seconds / kSecondsPerHour;
      v.interval = {iv.gpu_seconds.lo / kSecondsPerHour, iv.gpu_seconds.hi / kSecondsPerHour};
      v.is_whole_run = true;
      v.log_error = std::log(v.published / v.predicted);
    } else if (v.metric == "days") {
      v.predicted = plan->duration_s / kSecondsPerDay;
      v.interval = {iv.duration_s.lo / kSecondsPerDay, iv.duration_s.hi / kSecondsPerDay};
      v.log_error = std::log(v.predicted / v.published);  // as throughput
    } else {
      v.predicted = plan->hardware_flop_per_s_per_gpu / 1e12;
      v.interval = {iv.flop_per_s_per_gpu.lo * hw_per_model / 1e12,
                    iv.flop_per_s_per_gpu.hi * hw_per_model / 1e12};
      v.log_error = std::log(v.published / v.predicted);
    }
    v.ratio = v.published > 0 ? v.predicted / v.published : 0;
    v.config = ConfigString(plan->parallelism);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace gpuplan::sizing
