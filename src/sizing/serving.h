// Serving sizing (gpuplan size serve): how many accelerators serve a model at a request rate, or
// what rate N accelerators sustain, with latency, cost and energy per token. Part of the sizing
// module: other modules include "sizing/sizing.h", which includes this header.
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "model/model.h"
#include "units/units.h"

namespace gpuplan::sizing {

// Weight format served. kFp8 needs Accelerator::has_fp8(); kFp4 (NVFP4 / MXFP4 weights and
// activations) needs a published FP4 rate; kInt8 runs W8A8 where the part publishes an INT8 rate
// and weight-only INT8 elsewhere; kInt4 is weight-only (W4A16).
enum class ServePrecision { kBf16, kFp8, kInt8, kInt4, kFp4 };
std::string_view ToString(ServePrecision p);
// Whether `gpu` computes at `p` at all: FP8 and FP4 need a published rate. PlanServing refuses
// the others; plan reads it as "this part cannot serve the model", not as an error.
bool RunsPrecision(ServePrecision p, const catalog::Accelerator& gpu);
Result<ServePrecision> ParseServePrecision(std::string_view text);

// KV-cache element format: kAuto is FP8 for fp8/fp4 weights (as TensorRT-LLM, vLLM and every
// MLPerf submission run them) and BF16 otherwise.
enum class KvCachePrecision { kAuto, kBf16, kFp8 };
Result<KvCachePrecision> ParseKvCachePrecision(std::string_view text);

// The serving model's constants (formulation and sources at the top of serving.cpp).
// vLLM's default gpu_memory_utilization: the share of memory for weights plus KV cache; the rest
// is runtime context, activations and allocator slack.
inline constexpr double kServeUsableMemoryFraction = 0.9;
// Serving GEMM efficiency = the catalog's serve_gemm_efficiency x this derate and the HBM
// efficiency = serve_hbm_efficiency x kServeHbmScale: norms, RoPE, (de)quantization and sampling
// run outside the counted FLOPs. Both fitted on the campaigns of serving_runs.csv and
// data/serving_results.toml; tests/sizing/serving_test.cpp refits them leaving each campaign out.
inline constexpr double kServeGemmDerate = 0.85;
inline constexpr double kServeHbmScale = 1.0;
// Scheduler limits of the engines measured: TensorRT-LLM's default max_batch_size (2048) and
// max_num_tokens (8192) per iteration (BuildConfig defaults); vLLM's max_num_batched_tokens for
// online serving is also 8192.
inline constexpr int kServeDefaultMaxBatch = 2048;
inline constexpr int kServeMaxTokensPerStep = 8192;
// MLPerf Inference enforces TTFT and TPOT at the 99th percentile (mlperf.conf).
inline constexpr double kServeDefaultLatencyQuantile = 0.99;

inline constexpr double kNoLatencyTarget = std::numeric_limits<double>::infinity();

// How the engine admits a sequence to the KV cache. kCurrent: by the blocks it holds, growing as
// it decodes (vLLM, SGLang: preempting when the cache runs out), so sequences in flight hold
// S + O / 2 tokens on average. kReserveFull: only when the cache can also hold all of its output
// (TensorRT-LLM's default capacity scheduler policy GUARANTEED_NO_EVICT, which trtllm-bench
// keeps), S + O tokens each.
enum class KvAdmission { kCurrent, kReserveFull };
Result<KvAdmission> ParseKvAdmission(std::string_view text);

// Attention data-parallel (MoE models): each of a stage's tp ranks runs attention, the dense
// layers and the shared experts for its own sequences on a full copy of those weights, and only
// the routed experts are split over the ranks (expert parallel, an all-to-all per MoE layer).
// An MLA model's latent KV cache is then held once per sequence instead of on every TP rank.
// kAuto: searched for MLA MoE models (DeepSeek-V2/V3/R1), off for the rest.
enum class AttentionDp { kAuto, kOff, kOn };

// One replica: pp pipeline stages of tp accelerators each. Within a stage the routed experts are
// split over ep expert-parallel groups of tp / ep accelerators (ep divides tp: TensorRT-LLM's
// moe_ep_size x moe_tp_size = tp_size; vLLM and SGLang's EP spans the same ranks).
struct ServeLayout {
  int tp = 1;
  int pp = 1;
  int ep = 1;
  bool is_attention_dp = false;
  int gpus() const { return tp * pp; }
};

// All lengths in tokens, times in seconds, rates per second, prices in USD (SI at the library;
// the CLI converts human units).
struct ServeRequest {
  model::ModelShape model;
  int prompt_tokens = 0;         // mean input length per request
  int output_tokens = 0;         // mean generated length per request
  double prompt_tokens_std = 0;  // spread of the input lengths (0: all equal)
  double output_tokens_std = 0;  // spread of the output lengths
  double requests_per_s = 0;     // > 0: size the fleet for this rate ...
  int num_gpus = 0;              // ... or > 0: the rate this many accelerators sustain (not both)
  // Latency targets, each met by `latency_quantile` of requests (MLPerf: 0.99). Infinite: none;
  // all infinite: offline (maximum throughput, MLPerf Offline).
  double ttft_target_s = kNoLatencyTarget;  // time to first token
  double tpot_target_s = kNoLatencyTarget;  // time per output token after the first
  double e2e_target_s = kNoLatencyTarget;   // whole request
  double latency_quantile = kServeDefaultLatencyQuantile;
  ServePrecision precision = ServePrecision::kBf16;
  KvCachePrecision kv_cache = KvCachePrecision::kAuto;
  KvAdmission kv_admission = KvAdmission::kCurrent;
  // Checkpoints that keep attention's projections apart from the other weights (serving.cpp
  // (2q)): NVIDIA's NVFP4 DeepSeek-R1 checkpoints hold MLA's projections in BF16, v2 quantizes
  // the output projection. Unset: `precision` for the Q/K/V projections (MLA: q_a, q_b, kv_a,
  // kv_b), the Q/K/V precision for the output projection.
  std::optional<ServePrecision> attention_precision;
  std::optional<ServePrecision> attention_output_precision;
  double price_usd_per_gpu_hour = 0;  // 0: amortized from the catalog price (see notes)
  int tensor_parallel = 0;            // 0: search; > 0: use exactly this TP degree
  int pipeline_parallel = 0;  // 0: 1, or the fewest stages that fit when one stage fits nothing
  int expert_parallel = 0;    // 0: searched over the divisors of tp and the expert count
  AttentionDp attention_dp = AttentionDp::kAuto;
  // The busiest expert-parallel rank's routed tokens over the mean; 0: modelled (serving.cpp
  // (2e): uniform routing's balls-into-bins maximum).
  double expert_imbalance = 0;
  // Per scheduler (one per replica; one per rank under attention DP, as TensorRT-LLM's
  // max_batch_size and max_num_tokens "in each rank"): 0 = kServeDefaultMaxBatch, sequences in
  // flight; 0 = kServeMaxTokensPerStep, tokens one iteration batches.
  int max_batch = 0;
  int max_tokens_per_step = 0;
  // Multipliers on the serving efficiencies, for calibration (tests, bench); 1: as documented.
  double gemm_efficiency_scale = 1;
  double hbm_efficiency_scale = 1;
};

// One replica (tp accelerators) running continuous batching with chunked prefill.
struct ServePoint {
  int tp = 0;
  int pp = 1;
  int ep = 1;
  bool is_attention_dp = false;
  double expert_imbalance = 1;           // busiest EP rank's routed tokens over the mean
  int batch = 0;                         // mean sequences decoding together
  double prefill_s = 0;                  // one mean prompt's prefill, alone on the replica
  double decode_step_s = 0;              // mean iteration (decode batch + prefill chunks)
  double ttft_s = 0;                     // time to first token at the request's quantile
  double tpot_s = 0;                     // time per output token at the quantile
  double e2e_s = 0;                      // whole request at the quantile
  double requests_per_s = 0;             // per replica
  double output_tokens_per_s = 0;        // per replica
  bool is_decode_compute_bound = false;  // weight GEMMs limited by FLOPs rather than bytes
  std::string limit;                     // what bounds the rate: "kv-cache", "tpot", ...
};

// kOk: a layout fits and meets the targets. kDoesNotFit: no layout tried holds the weights and
// one whole sequence (required_bytes_per_gpu says what the widest needs, usable_bytes_per_gpu
// what it has). kLatencyUnreachable: some layouts fit, none meets the targets even at a light
// load (point holds the best such point). Either way status_message says why in words.
// Limits of a serving request (checked before sizing): a rate far past any service's (search
// engines serve ~1e5 requests/s), tensor parallelism past any published layout, and a fleet
// whose GPU count an int holds with room.
inline constexpr double kServeMaxRequestsPerS = 1e8;
inline constexpr int kServeMaxTensorParallel = 1024;
inline constexpr double kServeMaxGpus = 1e9;

enum class ServeStatus { kOk, kDoesNotFit, kLatencyUnreachable };
std::string_view ToString(ServeStatus s);

struct ServePlan {
  ServeStatus status = ServeStatus::kOk;
  std::string status_message;
  double required_bytes_per_gpu = 0;  // the widest layout's weights + one whole sequence
  double usable_bytes_per_gpu = 0;    // kServeUsableMemoryFraction x memory
  std::string model;
  std::string accelerator;
  ServePrecision precision = ServePrecision::kBf16;
  bool is_kv_cache_fp8 = false;
  int prompt_tokens = 0;
  int output_tokens = 0;
  double latency_quantile = kServeDefaultLatencyQuantile;
  ServePoint point;   // the operating point of each replica
  int max_batch = 0;  // the most sequences in flight per replica (KV cache or --max-batch)
  int replicas = 0;
  int gpus = 0;                        // replicas * tp * pp
  int nodes_per_replica = 1;           // servers one replica spans (its collectives cross them)
  double requests_per_s = 0;           // demanded (--rps) or sustained (--gpus)
  double capacity_requests_per_s = 0;  // what the fleet sustains within the latency targets
  double offline_requests_per_s = 0;   // what it sustains with no targets (the upper bound)
  double output_tokens_per_s = 0;      // whole fleet at requests_per_s
  double output_tokens_per_s_per_gpu = 0;
  double weight_bytes_per_gpu = 0;
  double expert_bytes_per_gpu = 0;                  // the routed experts' share of it
  double kv_cache_bytes_per_gpu = 0;                // budget for the KV cache
  double kv_bytes_per_token = 0;                    // whole model, one token of context
  double price_usd_per_gpu_hour = 0;                // 0: unknown (no public price and none given)
  double usd_per_million_output_tokens = 0;         // 0 when the price is unknown
  double energy_j_per_output_token = 0;             // accelerators at TDP
  double energy_kwh_per_million_output_tokens = 0;  // the same, in kWh per million
  int configs_evaluated = 0;  // layouts the search sized (each fit checked, fitting ones rated)
  std::vector<std::string> notes;
};

// Sizes serving of request.model on `gpu`. Errors: bad request fields, FP8 or FP4 on a part
// without it. A model that fits no layout, or targets no layout meets, is a plan whose status
// says so (with the memory it would need).
Result<ServePlan> PlanServing(const ServeRequest& request, const catalog::Accelerator& gpu);
// PlanServing with a status other than kOk as an error (status_message), for callers that take
// any plan as feasible.
Result<ServePlan> SizeServing(const ServeRequest& request, const catalog::Accelerator& gpu);
// The JSON of `gpuplan size serve --json` (targets from `request`), for the CLI and the binding.
nlohmann::ordered_json ServePlanJson(const ServePlan& plan, const ServeRequest& request);

// The building blocks, for table tests and the end-to-end plan.
// Bytes of all weights in `p` (INT4 and FP4 carry their per-group scales).
// REQUIRES: model::Validate(shape) succeeded.
double ServeWeightBytes(const model::ModelShape& shape, ServePrecision p);
// KV-cache bytes one token of context occupies across the whole model (GQA: kv_heads; MLA: the
// compressed latent plus the RoPE key), with FP8 or BF16 elements.
double ServeKvBytesPerToken(const model::ModelShape& shape, bool is_fp8);
double ServeKvBytesPerToken(const model::ModelShape& shape, ServePrecision p);
// One iteration of a replica carrying `decode_seqs` decoding sequences and `prefill_tokens`
// prompt tokens (chunked prefill); an int is a tp-only layout. REQUIRES: layout degrees >= 1,
// ep divides tp; valid request lengths.
double ServeStepS(const ServeRequest& request, const catalog::Accelerator& gpu,
                  const ServeLayout& layout, double decode_seqs, double prefill_tokens);
double ServeStepS(const ServeRequest& request, const catalog::Accelerator& gpu, int tp,
                  double decode_seqs, double prefill_tokens);
// Weight bytes on the fullest accelerator of a replica laid out as `layout`.
double ServeWeightBytesPerGpu(const ServeRequest& request, const ServeLayout& layout);
// The most sequences a replica holds in flight (KV cache and max batch); 0 if the weights and
// one whole sequence do not fit.
int ServeMaxSequences(const ServeRequest& request, const catalog::Accelerator& gpu,
                      const ServeLayout& layout);
// The busiest expert-parallel rank's routed tokens over the mean when `tokens` tokens pick
// top-k experts uniformly over `ep` ranks: 1 + z sqrt((1 - 1/ep) / mu), mu the mean picks per
// rank and z Blom's expected maximum of ep standard normals (serving.cpp (2e)); the request's
// expert_imbalance when set; 1 for ep 1.
double ServeExpertImbalance(const ServeRequest& request, int ep, double tokens);
// The mean context a token attends to over the positions [first, last), averaged over the layers
// (serving.cpp (2c)): (first + last) / 2 where every layer attends to the whole context; a
// chunked local layer (ModelShape::attention_chunk c) attends to x mod c tokens at position x.
double AttendedContext(const model::ModelShape& shape, double first, double last);
// Maximum throughput of one replica with no latency targets (MLPerf Offline).
ServePoint EvaluateServeOffline(const ServeRequest& request, const catalog::Accelerator& gpu,
                                const ServeLayout& layout);
ServePoint EvaluateServeOffline(const ServeRequest& request, const catalog::Accelerator& gpu,
                                int tp);
// One replica of `tp` accelerators under Poisson arrivals at `requests_per_s`: mean batch and
// latencies at the request's quantile. `requests_per_s` above what it sustains: requests_per_s
// of the point is 0 (unstable). REQUIRES: requests_per_s > 0.
ServePoint EvaluateServeLoad(const ServeRequest& request, const catalog::Accelerator& gpu,
                             const ServeLayout& layout, double requests_per_s);
ServePoint EvaluateServeLoad(const ServeRequest& request, const catalog::Accelerator& gpu, int tp,
                             double requests_per_s);
// The highest Poisson rate one replica sustains within the targets (the offline rate if none).
ServePoint ServeCapacity(const ServeRequest& request, const catalog::Accelerator& gpu,
                         const ServeLayout& layout);
ServePoint ServeCapacity(const ServeRequest& request, const catalog::Accelerator& gpu, int tp);
// Default price of one accelerator-hour from its purchase price under a cost policy (0 when the
// catalog has none).
double AmortizedUsdPerGpuHour(const catalog::Accelerator& gpu,
                              const catalog::CostPolicy& policy = catalog::kDefaultCostPolicy);
// Requests per second from daily active users: users x requests per user per day / 86,400 s,
// times `peak_factor` (peak-hour rate over the daily mean, >= 1).
Result<double> RequestsPerSFromUsers(double daily_users, double requests_per_user_per_day,
                                     double peak_factor);

}  // namespace gpuplan::sizing
