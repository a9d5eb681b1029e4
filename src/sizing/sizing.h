// sizing: how many accelerators a workload needs. Training (this header: FLOPs, memory per GPU,
// a first-principles step-time model and a parallelism search; formulation in training.cpp) and
// serving (serving.h, included at the end).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "model/model.h"
#include "units/units.h"

namespace gpuplan::sizing {

// Documented defaults (reasons in training.cpp).
inline constexpr double kDefaultPue = catalog::kDefaultCostPolicy.pue;  // the cost policy's
inline constexpr double kMemoryHeadroomFraction = 0.1;  // allocator slack, NCCL buffers, context
inline constexpr double kFallbackUsdPerGpuHour = 2.0;   // when neither flag nor catalog price
// Default global batch: max(4M tokens, 1K tokens per GPU), rounded to whole sequences (reasons in
// training.cpp).
inline constexpr double kDefaultBatchTokens = 4 * 1048576.0;
inline constexpr double kDefaultBatchTokensPerGpu = 1024;
// Whole runs lose wall time to interruptions (training.cpp (R1)): each stops the job, costs the
// stack's restart time and the work since the last checkpoint. Their rate grows with the GPU
// count: per GPU, 419 unexpected interruptions in 54 days on 16,384 H100 (Llama 3 405B
// pre-training, arXiv:2407.21783 sec. 3.3.4) = 0.173 per GPU-year.
inline constexpr double kDefaultInterruptionsPerGpuS = 419.0 / (16384.0 * 54 * kSecondsPerDay);

// (Q1) With a deadline, the GPUs are the fewest whose duration at this quantile of its 90%
// interval (lognormal) meets it; 0.5: the point estimate. Range of --sizing-quantile.
inline constexpr double kDefaultSizingQuantile = 0.5;
inline constexpr double kMinSizingQuantile = 0.05;
inline constexpr double kMaxSizingQuantile = 0.95;
// An error naming --sizing-quantile unless kMinSizingQuantile <= q <= kMaxSizingQuantile.
Result<void> ValidateSizingQuantile(double q);

enum class Recompute { kNone, kSelective, kFull };
std::string_view ToString(Recompute r);

// What the training software fuses and overlaps (training.cpp (S1)): a declared capability of a
// software generation, so that runs on older stacks are predicted with the stack they used.
struct SoftwareStack {
  std::string name;
  std::string description;
  // Fused causal attention (FlashAttention-2): no s x s scores in HBM, the masked half skipped.
  // Otherwise the scores are materialized and softmax runs over them in HBM (Megatron-LM 2021).
  bool flash_attention = true;
  // Tensor-parallel collectives pipelined with the GEMMs next to them (Megatron-Core
  // --tp-comm-overlap, Transformer Engine userbuffers).
  bool tp_comm_overlap = true;
  // Gradient reduce / parameter gather buckets overlapped with backward / forward compute
  // (Megatron-Core --overlap-grad-reduce/--overlap-param-gather); otherwise after the backward.
  // ZeRO-3 (FSDP) prefetch is overlapped on every stack.
  bool dp_comm_overlap = true;
  // With interleaved pipelines, each model chunk's gradient reduce-scatter starts when that
  // chunk's last microbatch's backward ends, and its parameter all-gather before its first
  // forward (Megatron-Core DistributedDataParallel, one bucket group per chunk, late 2023), so
  // the deeper chunks' traffic hides under the shallower chunks' backward (training.cpp (T8'));
  // otherwise the whole stage's traffic hides under one microbatch's backward.
  bool dp_overlap_per_chunk = true;
  // ZeRO-1/2 optimizer sharding available (Megatron distributed optimizer, DeepSpeed); otherwise
  // the search keeps ZeRO 0 (and ZeRO-3 only where the request pins it).
  bool distributed_optimizer = true;
  // Activation recompute the stack offers the search. Selective recompute (Korthikanti et al.
  // 2022) arrived in Megatron-LM in mid-2022; before it, runs of this size always checkpointed
  // whole layers (Megatron-LM SC21 --checkpoint-activations; the OPT and BLOOM configs).
  std::vector<Recompute> recompute_options = {Recompute::kNone, Recompute::kSelective,
                                              Recompute::kFull};
  // Whole runs (training.cpp (R1)): wall time from an interruption until steps resume (detect,
  // swap the node, relaunch, reload the checkpoint), and the stall one checkpoint write costs.
  double restart_s = 600;
  double checkpoint_stall_s = 13;
};
inline constexpr std::string_view kDefaultStack = "megatron-core-2024";
// The named stacks (training.cpp (S1)), default first.
const std::vector<SoftwareStack>& SoftwareStacks();
// The stack called `name`, or an error listing the names.
Result<SoftwareStack> FindStack(std::string_view name);

// (R1) What interruptions cost a whole run of `num_gpus` GPUs on `stack`: the job is interrupted
// num_gpus x interruptions_per_gpu_s times a second, checkpoints at Young's optimum interval.
struct RunReliability {
  double goodput = 1;                // useful share of wall time
  double interruptions_per_s = 0;    // of the job
  double checkpoint_interval_s = 0;  // 0: no interruptions, no checkpoints needed
};
RunReliability WholeRunReliability(int num_gpus, double interruptions_per_gpu_s,
                                   const SoftwareStack& stack);

// One parallel layout. GPUs = tp * cp * pp * dp; ep divides dp * cp (experts only).
struct Parallelism {
  int tp = 1;              // tensor parallel (within the scale-up domain)
  int pp = 1;              // pipeline stages
  int dp = 1;              // data-parallel replicas
  int ep = 1;              // expert parallel (MoE)
  int cp = 1;              // context parallel (sequence split)
  int microbatch = 1;      // sequences per microbatch
  int virtual_stages = 1;  // interleaved 1F1B chunks per GPU (1: plain 1F1B)
  Recompute recompute = Recompute::kNone;
  int zero = 1;  // ZeRO stage 0..3 (1: distributed optimizer, Megatron's default)
  int num_gpus() const { return tp * cp * pp * dp; }
};

// Seconds of one training step on the slowest GPU, by term (see training.cpp (T1)-(T9)).
struct StepBreakdown {
  double compute_s = 0;       // weight GEMMs + attention, forward and backward (T1)
  double recompute_s = 0;     // extra forward work of activation recomputation (T2)
  double memory_bound_s = 0;  // norms, activations, residuals, optimizer (T3)
  double tp_comm_s = 0;       // tensor/sequence-parallel collectives (T4)
  double cp_comm_s = 0;       // context-parallel KV exchange, exposed part + contention (T5, T10)
  double ep_comm_s = 0;       // MoE all-to-all, exposed part + contention (T6, T10)
  double pp_bubble_s = 0;     // pipeline fill and drain (T7)
  double pp_comm_s = 0;       // stage-to-stage sends (T7)
  double dp_comm_s = 0;       // gradient reduce-scatter / parameter all-gather, exposed part
                              // (incl. the unoverlappable first/last bucket) + contention (T8, T10)
  double step_s = 0;          // the sum
};

// Bytes on the most loaded GPU (the first pipeline stage, or the last if the head is larger).
struct MemoryBreakdown {
  double weights_bytes = 0;
  double gradients_bytes = 0;
  double optimizer_bytes = 0;
  double activations_bytes = 0;
  double total_bytes = 0;
  double usable_bytes = 0;  // capacity less the headroom
};

struct ConfigEval {
  Parallelism parallelism;
  int global_batch_seqs = 0;  // actual: dp * microbatch * num_microbatches
  int num_microbatches = 0;
  StepBreakdown time;
  MemoryBreakdown memory;
  bool fits = false;
  double tokens_per_s = 0;    // whole job, steady state
  double mfu = 0;             // model FLOPs / peak at the training precision
  double hfu = 0;             // (model + recompute FLOPs) / peak
  double forward_only_s = 0;  // a forward-only pass over one step's tokens (evaluation)
};

// SI units throughout (seconds, bytes, joules); human units only at the CLI edge.
struct TrainRequest {
  model::ModelShape model;
  double tokens = 0;
  catalog::Precision precision = catalog::Precision::kBf16;
  int seq_len = 0;                 // 0: the model's training context, else 4096
  int num_gpus = 0;                // > 0: how long on this many GPUs ...
  double deadline_s = 0;           // ... or > 0: the fewest whole nodes that meet it
  int global_batch_seqs = 0;       // > 0: the global batch in sequences, else ...
  double global_batch_tokens = 0;  // ... > 0: in tokens (rounded to sequences), else the default
  // Share of wall time doing useful steps (whole runs only); 0: modelled from interruptions (R1).
  double goodput = 0;
  // Interruptions per GPU-second of the cluster (R1); the job sees num_gpus times this rate.
  double interruptions_per_gpu_s = kDefaultInterruptionsPerGpuS;
  bool is_full_run = true;  // false: a benchmark; goodput not applied
  // Forward-only evaluation tokens per trained token, inside the timed run (MLPerf Training
  // GPT-3 evaluates 24,567 sequences every 24,576 trained: ~1).
  double eval_tokens_per_token = 0;
  bool is_shape_inferred = false;  // the shape was completed from a size: wider interval
  double pue = kDefaultPue;
  double usd_per_gpu_hour = 0;                     // 0: amortized from the catalog price
  std::string stack = std::string(kDefaultStack);  // SoftwareStacks() name
  // Pin parts of the layout (validation against published runs); 0 / nullopt: search.
  int fixed_tp = 0, fixed_pp = 0, fixed_dp = 0, fixed_microbatch = 0;
  std::optional<Recompute> fixed_recompute = std::nullopt;
  double sizing_quantile = kDefaultSizingQuantile;  // (Q1), deadline sizing only
  int explain_top = 0;  // keep this many best configurations in TrainPlan::top
  // Facts a published run states about its layout (validation): a ZeRO stage (-1: search), and
  // "3D"/"+ tensor parallelism" (the dimension is used, degree unstated: at least 2).
  int fixed_zero = -1;
  int min_tp = 0, min_pp = 0;
};

// Checks a request's fields (ranges named by their CLI flags); SizeTraining calls it.
Result<void> Validate(const TrainRequest& request);

// A 90% interval [lo, hi] of a prediction, from the model's own errors on the calibration rows
// (training.cpp (I1)-(I3)).
struct Range {
  double lo = 0, hi = 0;
};
struct TrainInterval90 {
  Range duration_s, gpu_seconds, tokens_per_s, mfu, flop_per_s_per_gpu;
};

enum class TrainStatus {
  kOk,           // a layout fits
  kFitsNothing,  // no layout fits: memory.total_bytes is the leanest layout's need
};

// Everything `gpuplan size train --json` prints (DESIGN contract) and a little more. SI units.
struct TrainPlan {
  TrainStatus status = TrainStatus::kOk;
  std::string status_message;  // why, when status != kOk
  std::string model;
  double params = 0;
  double active_params = 0;
  double tokens = 0;
  std::string accelerator;
  std::string stack;
  catalog::Precision precision = catalog::Precision::kBf16;
  int seq_len = 0;
  int gpus = 0;
  double duration_s = 0;                   // whole run: goodput applied
  double gpu_seconds = 0;                  // duration_s x gpus
  double flop_per_s_per_gpu = 0;           // model FLOP/s per GPU (what MFU counts)
  double hardware_flop_per_s_per_gpu = 0;  // with recompute FLOPs (what HFU counts)
  double mfu = 0;
  double hfu = 0;
  double tokens_per_s = 0;  // whole job, steady state, no goodput
  double step_s = 0;
  int global_batch_seqs = 0;
  double flop_per_token = 0;  // model FLOPs (6N + attention)
  Parallelism parallelism;
  StepBreakdown time;
  MemoryBreakdown memory;
  double goodput = 0;                  // as applied (1 for benchmarks)
  double interruptions = 0;            // expected over the whole run (R1)
  double interruptions_per_gpu_s = 0;  // as applied
  double checkpoint_interval_s = 0;    // Young's optimum for the job's interruption rate (R1)
  double pue = 0;
  double energy_j = 0;  // accelerators at TDP x PUE over the whole run
  double usd_per_gpu_hour = 0;
  double cost_usd = 0;
  int configs_evaluated = 0;
  std::vector<ConfigEval> top;  // best first, when explain_top > 0
  TrainInterval90 interval_90;
  std::vector<std::string> notes;  // incl. why the interval is wider than calibrated
};

// Sizes a training run of request.model on `gpu`. Errors: bad request fields, FP8 on a part
// without it, a deadline no cluster meets. A model that fits no layout is a plan with status
// kFitsNothing (memory says what the leanest layout needs).
Result<TrainPlan> SizeTraining(const TrainRequest& request, const catalog::Accelerator& gpu);

// The building blocks, for tests and benchmarks.
// Time and memory of one layout. REQUIRES: valid shape; p.num_gpus() > 0; seq_len > 0;
// global_batch_seqs > 0.
// `stack` null: the default stack.
ConfigEval EvaluateConfig(const model::ModelShape& shape, const catalog::Accelerator& gpu,
                          catalog::Precision precision, int seq_len, int global_batch_seqs,
                          const Parallelism& p, const SoftwareStack* stack = nullptr);
// (T1) Seconds of `groups` GEMMs C[m x n] = A[m x k] B[k x n] in one launch on `gpu` at
// `precision`: the best of the tile shapes libraries choose, in whole waves over sm_count or with
// stream-K for the last partial wave, never faster than its HBM traffic.
double GemmSeconds(double m, double n, double k, const catalog::Accelerator& gpu,
                   catalog::Precision precision, double groups = 1);
// Model FLOPs per trained token: 3 x forward (fwd + bwd), attention counted non-causally.
double TrainFlopPerToken(const model::ModelShape& shape, int seq_len);
// The default global batch (sequences) for `num_gpus` at `seq_len`: kDefaultBatchTokens or
// kDefaultBatchTokensPerGpu x GPUs, whichever is more, in whole sequences.
int DefaultGlobalBatchSeqs(int num_gpus, int seq_len);

// The DESIGN JSON of `gpuplan size train`, for the CLI and the end-to-end plan.
nlohmann::ordered_json TrainPlanJson(const TrainPlan& plan);

// One row of ../shared/reference/training_runs.csv, predicted by SizeTraining.
struct ValidationRow {
  std::string id;
  std::string campaign;  // one paper or one MLPerf round (leave-one-campaign-out unit)
  std::string row_type;  // full_pretraining_run, throughput_benchmark, ...
  std::string metric;    // "gpu_hours", "hw_tflops_per_gpu" or "days"
  double predicted = 0;  // as SizeTraining reports it
  double published = 0;
  double ratio = 0;  // predicted / published
  // log(published / predicted): a throughput error for benchmarks (published / predicted
  // throughput), a GPU-hour error for whole runs: what (I1) fits.
  double log_error = 0;
  bool is_whole_run = false;
  Range interval;          // SizeTraining's 90% interval of the compared metric
  std::string config;      // the layout evaluated, e.g. "tp8 pp4 dp32 mb1 v2 full zero1"
  std::string assumption;  // what the row leaves open and the prediction had to assume
};
// Predicts every row of the training-runs CSV at `csv_path` with one physical model: a stated
// parallelism is evaluated as stated, otherwise searched; `facts_path` (default
// data/training_run_facts.csv) adds published facts the CSV lacks. Errors: unreadable files,
// unknown rows or fields.
Result<std::vector<ValidationRow>> ValidateTrainingRuns(const std::string& csv_path,
                                                        const catalog::Catalog& catalog,
                                                        const std::string& facts_path = "");

}  // namespace gpuplan::sizing

#include "sizing/serving.h"

namespace gpuplan::sizing {

// `cost_policy` of size train/serve --json (CLI and Python alike): the default policy with the
// request's PUE, and where `a`'s price per GPU-hour came from (the request's own price, the
// catalog's source, or the fallback).
nlohmann::ordered_json TrainCostPolicyJson(const TrainRequest& r, const catalog::Accelerator& a);
nlohmann::ordered_json ServeCostPolicyJson(const ServeRequest& r, const catalog::Accelerator& a);

}  // namespace gpuplan::sizing
