// Serving sizing (gpuplan size serve): how many accelerators serve a model at a request rate, or
// what rate N accelerators sustain, with latency, cost and energy per token. Part of the sizing
// module: other modules include "sizing/sizing.h", which includes this header.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "model/model.h"
#include "units/units.h"

namespace gpuplan::sizing {

// Weight format served. kFp8 needs Accelerator::has_fp8(); kInt8 runs W8A8 where the part
// publishes an INT8 rate and weight-only INT8 elsewhere; kInt4 is weight-only (W4A16).
enum class ServePrecision { kBf16, kFp8, kInt8, kInt4 };
std::string_view ToString(ServePrecision p);
Result<ServePrecision> ParseServePrecision(std::string_view text);

// The serving model's efficiencies (formulation and sources at the top of serving.cpp).
// vLLM's default gpu_memory_utilization: the share of memory for weights plus KV cache; the rest
// is runtime context, activations and allocator slack.
inline constexpr double kServeUsableMemoryFraction = 0.9;
// Achievable fraction of peak HBM bandwidth in decode kernels: streaming kernels reach ~90%
// (Azure measured 7.35 of 8 TB/s on GB200, Microsoft Tech Community, 2025); paged attention and
// skinny GEMMs reach less.
inline constexpr double kServeHbmEfficiency = 0.8;
// Serving compute efficiency = the catalog's training GEMM efficiency x a derate: norms, RoPE,
// (de)quantization and sampling run outside the counted FLOPs, and decode GEMMs are skinny (one
// row per sequence) so they lose more than prefill's. Both calibrated on the rows of
// data/serving_results.toml marked calibration = true; the other rows check them.
inline constexpr double kServePrefillGemmDerate = 0.8;
inline constexpr double kServeDecodeGemmDerate = 0.6;

inline constexpr double kNoLatencyTarget = std::numeric_limits<double>::infinity();

struct ServeRequest {
  model::ModelShape model;
  int prompt_tokens = 0;      // mean input length per request
  int output_tokens = 0;      // mean generated length per request
  double requests_per_s = 0;  // > 0: size the fleet for this rate ...
  int num_gpus = 0;           // ... or > 0: the rate this many accelerators sustain (not both)
  double ttft_target_s = kNoLatencyTarget;  // time to first token, mean
  double tpot_target_s = kNoLatencyTarget;  // time per output token, mean
  ServePrecision precision = ServePrecision::kBf16;
  double price_usd_per_gpu_hour = 0;  // 0: amortized from the catalog price (see notes)
  int tensor_parallel = 0;            // 0: search; > 0: use exactly this TP degree
};

// One replica (tp accelerators) running continuous batching at a fixed batch.
struct ServePoint {
  int tp = 0;
  int batch = 0;                         // sequences decoding together
  double prefill_s = 0;                  // one prompt's prefill, alone on the replica
  double decode_step_s = 0;              // one decode step of the whole batch
  double ttft_s = 0;                     // mean time to first token at this point's load
  double tpot_s = 0;                     // mean time per output token (prefills interleaved)
  double requests_per_s = 0;             // per replica
  double output_tokens_per_s = 0;        // per replica
  bool is_decode_compute_bound = false;  // weight GEMMs limited by FLOPs rather than bytes
};

struct ServePlan {
  std::string model;
  std::string accelerator;
  ServePrecision precision = ServePrecision::kBf16;
  int prompt_tokens = 0;
  int output_tokens = 0;
  ServePoint point;   // the operating point of each replica
  int max_batch = 0;  // the most sequences the KV cache holds at this TP
  int replicas = 0;
  int gpus = 0;                        // replicas * tp
  double requests_per_s = 0;           // demanded (--rps) or sustained (--gpus)
  double capacity_requests_per_s = 0;  // what the fleet sustains within the latency targets
  double output_tokens_per_s = 0;      // whole fleet at requests_per_s
  double output_tokens_per_s_per_gpu = 0;
  double weight_bytes_per_gpu = 0;
  double kv_cache_bytes_per_gpu = 0;                // budget for the KV cache
  double kv_bytes_per_token = 0;                    // whole model, one token of context
  double price_usd_per_gpu_hour = 0;                // 0: unknown (no public price and none given)
  double usd_per_million_output_tokens = 0;         // 0 when the price is unknown
  double energy_kwh_per_million_output_tokens = 0;  // accelerators at TDP
  std::vector<std::string> notes;
};

// Sizes serving of request.model on `gpu`. Errors: bad request fields, FP8 on a part without
// it, a model that fits no TP degree within the scale-up domain, unreachable latency targets.
Result<ServePlan> SizeServing(const ServeRequest& request, const catalog::Accelerator& gpu);

// The building blocks, for table tests and the end-to-end plan.
// Bytes of all weights in `p` (INT4 carries its per-group scales).
// REQUIRES: model::Validate(shape) succeeded.
double ServeWeightBytes(const model::ModelShape& shape, ServePrecision p);
// KV-cache bytes one token of context occupies across the whole model (GQA: kv_heads; MLA: the
// compressed latent plus the RoPE key).
double ServeKvBytesPerToken(const model::ModelShape& shape, ServePrecision p);
// Performance of one replica of `tp` accelerators at `batch`, serving `requests_per_s` (0: as
// many as that batch sustains). REQUIRES: tp >= 1, batch >= 1, valid shape, request lengths > 0.
ServePoint EvaluateServePoint(const ServeRequest& request, const catalog::Accelerator& gpu, int tp,
                              int batch, double requests_per_s = 0);
// Default price of one accelerator-hour from its purchase price (0 when the catalog has none).
double AmortizedUsdPerGpuHour(const catalog::Accelerator& gpu);

}  // namespace gpuplan::sizing
