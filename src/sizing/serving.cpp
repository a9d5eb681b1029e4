// Serving model: continuous-batching LLM inference on replicas of `tp` accelerators.
//
// Parameters (per request): S prompt tokens, O output tokens; the model's weight bytes W (in the
// served precision), weight-matmul FLOPs per token F_w = 2 x active params (model.h), attention
// FLOPs per token at context c F_a(c), KV bytes per token of context K (ServeKvBytesPerToken),
// L layers, hidden d. Per accelerator: memory M, bandwidth B_hbm, dense peak P at the served
// precision, GEMM efficiency e (catalog), scale-up bandwidth per direction B_link.
// Variables: tensor-parallel degree t (a power of two within the scale-up domain dividing the
// head count), batch b (sequences decoding together), replicas n.
//
//  (1) Memory: W / t + b * c_avg * K_t <= u * M, c_avg = S + O / 2 (paged KV blocks hold only the
//      tokens a sequence has, and in steady state sequences are on average half-way through their
//      output; Kwon et al. 2023, vLLM), K_t = K / min(t, kv_heads) (KV heads split over TP, then
//      replicated; MLA's latent is replicated on every rank), u = kServeUsableMemoryFraction.
//  (2) Prefill of one prompt: T_p = S (F_w + F_a(S/2)) / (t P e_s) + C(S): compute-bound (Pope et
//      al. 2022, "Efficiently Scaling Transformer Inference", sec. 2), e_s = e x
//      kServePrefillGemmDerate.
//      Alone (for TTFT) it cannot beat reading the weights once: max(that, W / t / (B_hbm h)).
//  (3) Decode step: T_d(b) = max(W_read(b) / t / (B_hbm h), b F_w / (t P e_s))      weight GEMMs
//                          + max(b c_avg K_t / (B_hbm h), b F_a(c_avg) / (t P e_s))  attention
//                          + C(b).
//      The two terms are separate kernels, so they add; each is its own roofline (Williams et al.
//      2009). W_read(b) is W for dense models; for MoE the expected number of distinct routed
//      experts b tokens touch, E (1 - (1 - k/E)^b), per MoE layer, plus the non-routed weights.
//      h = kServeHbmEfficiency; here e_s = e x kServeDecodeGemmDerate.
//  (4) Tensor-parallel collectives: C(x) = 2 L (alpha + 2 (t-1)/t x d a / B_link) for t > 1: two
//      all-reduces of the x tokens' activations per layer (Megatron-LM, Shoeybi et al. 2019,
//      sec. 3), ring all-reduce bus volume 2 (t-1)/t (Patarasuk & Yuan 2009), a = 2 bytes.
//  (5) Continuous batching (Yu et al. 2022, Orca): each of the b slots serves a request's prefill
//      and then its O decode steps, so a replica at full load completes b requests per
//      b T_p + O T_d(b) seconds: rate_max(b) = b / (b T_p + O T_d(b)).
//  (6) At a load lambda <= rate_max(b) the prefills take a fraction rho = lambda T_p of the time;
//      decode runs in the rest: TPOT = T_d(b) / (1 - rho). TTFT = T_p,alone + W_q + T_d(b)/2: the
//      step in progress finishes (mean residual half a step), then the prompt waits in an M/D/1
//      queue of prefills, W_q = rho T_p / (2 (1 - rho)) (Pollaczek-Khinchine).
//  (7) Choice: for each t, the largest b <= the KV limit (1) meeting both latency targets at full
//      load (TPOT and TTFT grow with b, so a binary search finds it). --rps: n = ceil(lambda /
//      rate_max), the t with the fewest accelerators n t wins, and each replica then runs at the
//      smallest batch that carries lambda / n. --gpus N: n = floor(N / t), the t with the highest
//      n rate_max wins.
//  (8) Cost per million output tokens = n t price_per_hour / 3600 / (lambda O) x 1e6; energy the
//      same with the accelerators' TDP (accelerator only: no host, network or PUE).
#include "sizing/serving.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace gpuplan::sizing {

namespace {

// Latency of one small all-reduce within a scale-up domain: NCCL's small-message all-reduce
// on an 8-GPU NVSwitch node is ~10 us (nccl-tests); TensorRT-LLM's one-shot kernel is faster.
constexpr double kAllReduceLatencyS = 10e-6;
constexpr double kActivationBytes = 2;  // BF16 activations cross the fabric
// AWQ/GPTQ INT4: one FP16 scale per group of 128 weights (Lin et al. 2024, AWQ, sec. 4).
constexpr double kInt4GroupSize = 128;
constexpr double kInt4BytesPerWeight = 0.5 + 2.0 / kInt4GroupSize;
// Default price of an accelerator-hour when none is given: the catalog's purchase price
// amortized straight-line over kAmortizationYears, times kSystemCostMultiplier for the server,
// network and storage around each accelerator (the GPUs are roughly 60% of an HGX cluster's
// capital cost, SemiAnalysis AI cloud TCO model, 2023), plus electricity at TDP x PUE.
constexpr double kAmortizationYears = 5;
constexpr double kSystemCostMultiplier = 1.6;
constexpr double kPue = 1.3;
constexpr double kUsdPerKwh = 0.10;
constexpr double kJoulesPerKwh = 3.6e6;
constexpr double kTokensPerMillion = 1e6;

double WeightBytesPerParam(ServePrecision p) {
  switch (p) {
    case ServePrecision::kBf16:
      return 2;
    case ServePrecision::kFp8:
      return 1;
    case ServePrecision::kInt8:
      return 1;
    case ServePrecision::kInt4:
      return kInt4BytesPerWeight;
  }
  return 2;
}

// FP8 deployments keep the KV cache in FP8 too (TensorRT-LLM and vLLM FP8 checkpoints, MLPerf
// submissions); the other formats keep it in BF16.
double KvBytesPerElement(ServePrecision p) { return p == ServePrecision::kFp8 ? 1 : 2; }

// Dense peak the served precision's matmuls run at. INT4 is weight-only: BF16 math.
double PeakFlopPerS(const catalog::Accelerator& gpu, ServePrecision p) {
  switch (p) {
    case ServePrecision::kFp8:
      return gpu.peak_fp8_flop_per_s;
    case ServePrecision::kInt8:
      return gpu.peak_int8_op_per_s > 0 ? gpu.peak_int8_op_per_s : gpu.peak_bf16_flop_per_s;
    case ServePrecision::kBf16:
    case ServePrecision::kInt4:
      return gpu.peak_bf16_flop_per_s;
  }
  return gpu.peak_bf16_flop_per_s;
}

// Bytes of weights one decode step of `batch` tokens reads, whole model (3).
double WeightBytesRead(const model::ModelShape& shape, ServePrecision p, int batch) {
  const model::ParamCounts counts = model::CountParams(shape);
  const double bytes_per_param = WeightBytesPerParam(p);
  if (!shape.is_moe()) return counts.total * bytes_per_param;
  const double num_experts = shape.moe.num_experts;
  const double top_k = shape.moe.experts_per_token;
  const double num_moe_layers = shape.num_layers - shape.moe.num_dense_layers;
  const double routed = num_moe_layers * num_experts * counts.expert;
  const double touched = num_experts * (1 - std::pow(1 - top_k / num_experts, batch));
  return (counts.total - routed + num_moe_layers * touched * counts.expert) * bytes_per_param;
}

// KV bytes per token of context on one of `tp` ranks (1).
double KvBytesPerTokenPerGpu(const model::ModelShape& shape, ServePrecision p, int tp) {
  const double whole = ServeKvBytesPerToken(shape, p);
  if (shape.is_mla()) return whole;
  return whole / std::min(tp, shape.kv_heads());
}

// (4): the two per-layer all-reduces of `tokens` tokens' activations.
double CollectiveS(const model::ModelShape& shape, const catalog::Accelerator& gpu, int tp,
                   double tokens) {
  if (tp <= 1) return 0;
  const double bytes = tokens * shape.hidden * kActivationBytes;
  const double bus_bytes = 2.0 * (tp - 1) / tp * bytes;
  return 2.0 * shape.num_layers * (kAllReduceLatencyS + bus_bytes / gpu.scaleup_bytes_per_s);
}

double ServingFlopPerS(const catalog::Accelerator& gpu, ServePrecision p, int tp, double derate) {
  return tp * PeakFlopPerS(gpu, p) * gpu.gemm_efficiency * derate;
}

double HbmBytesPerS(const catalog::Accelerator& gpu) {
  return gpu.memory_bandwidth_bytes_per_s * kServeHbmEfficiency;
}

double MeanContextTokens(const ServeRequest& r) { return r.prompt_tokens + r.output_tokens / 2.0; }

// (2): prefill compute of one prompt, batched with others (weights amortized).
double PrefillComputeS(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  const double flop = r.prompt_tokens * (model::ForwardWeightFlopPerToken(r.model) +
                                         model::ForwardAttentionFlopPerToken(
                                             r.model, std::max(1, r.prompt_tokens / 2)));
  return flop / ServingFlopPerS(gpu, r.precision, tp, kServePrefillGemmDerate) +
         CollectiveS(r.model, gpu, tp, r.prompt_tokens);
}

// (3): one decode step of `batch` sequences.
struct DecodeStep {
  double s = 0;
  bool is_compute_bound = false;
};
DecodeStep DecodeStepS(const ServeRequest& r, const catalog::Accelerator& gpu, int tp, int batch) {
  const double flop_per_s = ServingFlopPerS(gpu, r.precision, tp, kServeDecodeGemmDerate);
  const double hbm = HbmBytesPerS(gpu);
  const double context = MeanContextTokens(r);
  const double gemm_memory_s = WeightBytesRead(r.model, r.precision, batch) / tp / hbm;
  const double gemm_compute_s = batch * model::ForwardWeightFlopPerToken(r.model) / flop_per_s;
  const double attention_memory_s =
      batch * context * KvBytesPerTokenPerGpu(r.model, r.precision, tp) / hbm;
  const double attention_compute_s =
      batch * model::ForwardAttentionFlopPerToken(r.model, static_cast<int>(context)) / flop_per_s;
  return {.s = std::max(gemm_memory_s, gemm_compute_s) +
               std::max(attention_memory_s, attention_compute_s) +
               CollectiveS(r.model, gpu, tp, batch),
          .is_compute_bound = gemm_compute_s > gemm_memory_s};
}

// (1): the most sequences the KV budget holds at this TP; 0 if the weights (or one full-length
// sequence) do not fit.
int MaxBatch(const ServeRequest& r, const catalog::Accelerator& gpu, int tp, double* kv_budget) {
  const double weights = ServeWeightBytes(r.model, r.precision) / tp;
  const double budget = kServeUsableMemoryFraction * gpu.memory_bytes - weights;
  *kv_budget = std::max(0.0, budget);
  const double per_token = KvBytesPerTokenPerGpu(r.model, r.precision, tp);
  if (budget < per_token * (r.prompt_tokens + r.output_tokens)) return 0;
  const double by_memory = std::floor(budget / (per_token * MeanContextTokens(r)));
  constexpr double kMaxBatch = 1 << 20;  // keeps the int conversion safe for tiny models
  return static_cast<int>(std::min(by_memory, kMaxBatch));
}

bool MeetsTargets(const ServeRequest& r, const ServePoint& p) {
  return p.ttft_s <= r.ttft_target_s && p.tpot_s <= r.tpot_target_s;
}

// Largest batch in [1, max_batch] meeting the targets at full load (7), or 0.
int LargestFeasibleBatch(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                         int max_batch) {
  if (!MeetsTargets(r, EvaluateServePoint(r, gpu, tp, 1))) return 0;
  int lo = 1, hi = max_batch;  // invariant: lo feasible
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (MeetsTargets(r, EvaluateServePoint(r, gpu, tp, mid))) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Smallest batch in [1, max_batch] whose full-load rate carries `rate`.
int SmallestBatchFor(const ServeRequest& r, const catalog::Accelerator& gpu, int tp, int max_batch,
                     double rate) {
  int lo = 1, hi = max_batch;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (EvaluateServePoint(r, gpu, tp, mid).requests_per_s >= rate) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::string Ms(double s) { return fmt::format("{:.3g} ms", s * 1e3); }

Result<void> CheckRequest(const ServeRequest& r, const catalog::Accelerator& gpu) {
  if (r.prompt_tokens <= 0) {
    return Error{fmt::format("'prompt_tokens' must be > 0, got {}", r.prompt_tokens)};
  }
  if (r.output_tokens <= 0) {
    return Error{fmt::format("'output_tokens' must be > 0, got {}", r.output_tokens)};
  }
  if (!(r.requests_per_s >= 0) || !std::isfinite(r.requests_per_s)) {
    return Error{fmt::format("'rps' must be a positive rate, got {}", r.requests_per_s)};
  }
  if (r.num_gpus < 0) return Error{fmt::format("'gpus' must be > 0, got {}", r.num_gpus)};
  if ((r.requests_per_s > 0) == (r.num_gpus > 0)) {
    return Error{
        "give exactly one of a request rate ('rps' > 0) or a number of accelerators "
        "('gpus' > 0)"};
  }
  if (!(r.ttft_target_s > 0)) {
    return Error{fmt::format("'ttft' target must be > 0, got {} s", r.ttft_target_s)};
  }
  if (!(r.tpot_target_s > 0)) {
    return Error{fmt::format("'tpot' target must be > 0, got {} s", r.tpot_target_s)};
  }
  if (r.price_usd_per_gpu_hour < 0 || !std::isfinite(r.price_usd_per_gpu_hour)) {
    return Error{
        fmt::format("'price_per_gpu_hour' must be >= 0, got {}", r.price_usd_per_gpu_hour)};
  }
  if (r.tensor_parallel < 0) {
    return Error{fmt::format("'tensor_parallel' must be >= 0, got {}", r.tensor_parallel)};
  }
  if (r.precision == ServePrecision::kFp8 && !gpu.has_fp8()) {
    return Error{
        fmt::format("accelerator '{}' has no FP8 support; use --precision bf16, int8 or "
                    "int4",
                    gpu.id)};
  }
  if (PeakFlopPerS(gpu, r.precision) <= 0 || gpu.memory_bandwidth_bytes_per_s <= 0 ||
      gpu.memory_bytes <= 0) {
    return Error{
        fmt::format("accelerator '{}' lacks the peak rate, memory or bandwidth serving "
                    "needs",
                    gpu.id)};
  }
  return model::Validate(r.model, r.model.name.empty() ? "model" : r.model.name);
}

// TP degrees to try: powers of two within the scale-up domain that divide the head count.
std::vector<int> TpCandidates(const ServeRequest& r, const catalog::Accelerator& gpu) {
  if (r.tensor_parallel > 0) return {r.tensor_parallel};
  std::vector<int> tps;
  for (int tp = 1; tp <= gpu.scaleup_domain; tp *= 2) {
    if (r.model.num_heads % tp == 0) tps.push_back(tp);
  }
  return tps;
}

struct Candidate {
  int tp = 0;
  int max_batch = 0;
  int batch = 0;
  double kv_budget_bytes = 0;
  ServePoint full_load;
};

}  // namespace

std::string_view ToString(ServePrecision p) {
  switch (p) {
    case ServePrecision::kBf16:
      return "bf16";
    case ServePrecision::kFp8:
      return "fp8";
    case ServePrecision::kInt8:
      return "int8";
    case ServePrecision::kInt4:
      return "int4";
  }
  return "bf16";
}

Result<ServePrecision> ParseServePrecision(std::string_view text) {
  for (ServePrecision p : {ServePrecision::kBf16, ServePrecision::kFp8, ServePrecision::kInt8,
                           ServePrecision::kInt4}) {
    if (text == ToString(p)) return p;
  }
  return Error{fmt::format("unknown precision '{}'; valid: bf16, fp8, int8, int4", text)};
}

double ServeWeightBytes(const model::ModelShape& shape, ServePrecision p) {
  return model::CountParams(shape).total * WeightBytesPerParam(p);
}

double ServeKvBytesPerToken(const model::ModelShape& shape, ServePrecision p) {
  const double per_element = KvBytesPerElement(p);
  if (shape.is_mla()) {
    // MLA caches the compressed KV latent and the decoupled RoPE key per layer (DeepSeek-V2
    // report, sec. 2.1.4: (d_c + d_h^R) elements per token per layer).
    return shape.num_layers * (shape.mla.kv_lora_rank + shape.mla.qk_rope_head_dim) * per_element;
  }
  // K and V, kv_heads x head_size each, per layer (GQA, Ainslie et al. 2023).
  return 2.0 * shape.num_layers * shape.kv_heads() * shape.head_size() * per_element;
}

ServePoint EvaluateServePoint(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                              int batch, double requests_per_s) {
  GPUPLAN_CHECK(tp >= 1 && batch >= 1) << "tp " << tp << " batch " << batch;
  const double prefill_compute_s = PrefillComputeS(r, gpu, tp);
  const double weights_once_s = ServeWeightBytes(r.model, r.precision) / tp / HbmBytesPerS(gpu);
  const double prefill_alone_s = std::max(prefill_compute_s, weights_once_s);
  const DecodeStep step = DecodeStepS(r, gpu, tp, batch);
  // (5)
  const double rate_max = batch / (batch * prefill_compute_s + r.output_tokens * step.s);
  const double rate = requests_per_s > 0 ? std::min(requests_per_s, rate_max) : rate_max;
  // (6)
  const double rho = std::min(rate * prefill_compute_s, 1.0 - 1e-12);
  const double queue_s = rho * prefill_compute_s / (2 * (1 - rho));
  return {.tp = tp,
          .batch = batch,
          .prefill_s = prefill_alone_s,
          .decode_step_s = step.s,
          .ttft_s = prefill_alone_s + queue_s + step.s / 2,
          .tpot_s = step.s / (1 - rho),
          .requests_per_s = rate,
          .output_tokens_per_s = rate * r.output_tokens,
          .is_decode_compute_bound = step.is_compute_bound};
}

double AmortizedUsdPerGpuHour(const catalog::Accelerator& gpu) {
  if (gpu.price_usd <= 0) return 0;
  const double capex_per_hour =
      gpu.price_usd * kSystemCostMultiplier / (kAmortizationYears * kHoursPerYear);
  const double power_per_hour = gpu.tdp_w * kPue / 1000 * kUsdPerKwh;
  return capex_per_hour + power_per_hour;
}

Result<ServePlan> SizeServing(const ServeRequest& r, const catalog::Accelerator& gpu) {
  GPUPLAN_TRY(CheckRequest(r, gpu));
  const std::string model_name = r.model.name.empty() ? "model" : r.model.name;

  // (1) and (7): per TP degree, the KV limit and the largest batch meeting the targets.
  std::vector<Candidate> fits;      // weights fit
  std::vector<Candidate> feasible;  // and some batch meets the targets
  for (int tp : TpCandidates(r, gpu)) {
    if (r.num_gpus > 0 && tp > r.num_gpus) continue;
    Candidate c;
    c.tp = tp;
    c.max_batch = MaxBatch(r, gpu, tp, &c.kv_budget_bytes);
    if (c.max_batch == 0) continue;
    fits.push_back(c);
    c.batch = LargestFeasibleBatch(r, gpu, tp, c.max_batch);
    if (c.batch == 0) continue;
    c.full_load = EvaluateServePoint(r, gpu, tp, c.batch);
    feasible.push_back(c);
  }
  if (fits.empty()) {
    const int max_tp = r.tensor_parallel > 0 ? r.tensor_parallel
                       : r.num_gpus > 0      ? std::min(r.num_gpus, gpu.scaleup_domain)
                                             : gpu.scaleup_domain;
    return Error{fmt::format(
        "model '{}' ({:.0f} GB of weights in {}) fits no tensor-parallel degree up to {} on '{}' "
        "({:.0f} GB each, {:.0f}% usable, room for one {}-token sequence's KV cache needed); try "
        "a smaller --precision, a larger accelerator, or more --gpus",
        model_name, ServeWeightBytes(r.model, r.precision) / 1e9, ToString(r.precision), max_tp,
        gpu.id, gpu.memory_bytes / 1e9, kServeUsableMemoryFraction * 100,
        r.prompt_tokens + r.output_tokens)};
  }
  if (feasible.empty()) {
    // The fastest any fitting TP gets: batch 1 at the largest TP.
    const Candidate& widest = fits.back();
    const ServePoint best = EvaluateServePoint(r, gpu, widest.tp, 1);
    return Error{fmt::format(
        "latency targets unreachable for '{}' on '{}': the best is ttft {} and tpot {} (tp {}, "
        "batch 1), targets ttft {} and tpot {}",
        model_name, gpu.id, Ms(best.ttft_s), Ms(best.tpot_s), widest.tp,
        std::isfinite(r.ttft_target_s) ? Ms(r.ttft_target_s) : "none",
        std::isfinite(r.tpot_target_s) ? Ms(r.tpot_target_s) : "none")};
  }

  ServePlan plan;
  plan.model = model_name;
  plan.accelerator = gpu.id;
  plan.precision = r.precision;
  plan.prompt_tokens = r.prompt_tokens;
  plan.output_tokens = r.output_tokens;
  std::optional<Candidate> chosen;
  int best_replicas = 0;
  for (const Candidate& c : feasible) {
    const double rate = c.full_load.requests_per_s;
    if (r.requests_per_s > 0) {
      const int replicas = static_cast<int>(std::ceil(r.requests_per_s / rate - 1e-9));
      if (!chosen || replicas * c.tp < best_replicas * chosen->tp) {
        chosen = c;
        best_replicas = replicas;
      }
    } else {
      const int replicas = r.num_gpus / c.tp;
      if (!chosen || replicas * rate > best_replicas * chosen->full_load.requests_per_s) {
        chosen = c;
        best_replicas = replicas;
      }
    }
  }
  const Candidate& c = *chosen;
  plan.replicas = best_replicas;
  plan.gpus = best_replicas * c.tp;
  plan.max_batch = c.max_batch;
  plan.capacity_requests_per_s = best_replicas * c.full_load.requests_per_s;
  if (r.requests_per_s > 0) {
    // (7): each replica carries an equal share at the smallest batch that suffices.
    const double share = r.requests_per_s / best_replicas;
    const int batch = SmallestBatchFor(r, gpu, c.tp, c.batch, share);
    plan.point = EvaluateServePoint(r, gpu, c.tp, batch, share);
    plan.requests_per_s = r.requests_per_s;
  } else {
    plan.point = c.full_load;
    plan.requests_per_s = plan.capacity_requests_per_s;
  }
  plan.output_tokens_per_s = plan.requests_per_s * r.output_tokens;
  plan.output_tokens_per_s_per_gpu = plan.output_tokens_per_s / plan.gpus;
  plan.weight_bytes_per_gpu = ServeWeightBytes(r.model, r.precision) / c.tp;
  plan.kv_cache_bytes_per_gpu = c.kv_budget_bytes;
  plan.kv_bytes_per_token = ServeKvBytesPerToken(r.model, r.precision);

  // (8)
  plan.price_usd_per_gpu_hour =
      r.price_usd_per_gpu_hour > 0 ? r.price_usd_per_gpu_hour : AmortizedUsdPerGpuHour(gpu);
  const double gpu_s_per_token = 1.0 / plan.output_tokens_per_s_per_gpu;
  plan.usd_per_million_output_tokens =
      plan.price_usd_per_gpu_hour / kSecondsPerHour * gpu_s_per_token * kTokensPerMillion;
  plan.energy_kwh_per_million_output_tokens =
      gpu.tdp_w * gpu_s_per_token * kTokensPerMillion / kJoulesPerKwh;

  if (r.price_usd_per_gpu_hour > 0) {
    plan.notes.push_back("price per accelerator-hour as given");
  } else if (plan.price_usd_per_gpu_hour > 0) {
    plan.notes.push_back(fmt::format(
        "price per accelerator-hour amortized: catalog price ${:.0f} x {} (server and network) "
        "over {} years, plus {:.0f} W x PUE {} at ${:.2f}/kWh; override with "
        "--price-per-gpu-hour",
        gpu.price_usd, kSystemCostMultiplier, kAmortizationYears, gpu.tdp_w, kPue, kUsdPerKwh));
  } else {
    plan.notes.push_back(fmt::format(
        "no public price for '{}': cost is unknown; give --price-per-gpu-hour", gpu.id));
  }
  plan.notes.push_back("energy counts the accelerators at TDP only (no host, network or PUE)");
  if (r.precision == ServePrecision::kFp8) plan.notes.push_back("KV cache held in FP8");
  if (r.precision == ServePrecision::kInt4) {
    plan.notes.push_back("INT4 is weight-only (W4A16): it saves bandwidth, the math stays BF16");
  }
  if (r.precision == ServePrecision::kInt8 && gpu.peak_int8_op_per_s <= 0) {
    plan.notes.push_back(fmt::format(
        "'{}' publishes no INT8 rate: INT8 is weight-only, the math stays BF16", gpu.id));
  }
  if (r.num_gpus > plan.gpus) {
    plan.notes.push_back(fmt::format("{} of the {} accelerators stay idle: replicas take {} each",
                                     r.num_gpus - plan.gpus, r.num_gpus, c.tp));
  }
  if (r.requests_per_s > 0 && plan.point.batch == c.batch && best_replicas > 0) {
    plan.notes.push_back("replicas run at the largest batch the latency targets allow");
  }
  return plan;
}

}  // namespace gpuplan::sizing
