// Serving model: continuous-batching LLM inference with chunked prefill on replicas of `tp`
// accelerators, under Poisson arrivals and latency targets met at a quantile (MLPerf: p99).
//
// Parameters (per request): S prompt tokens (mean; spread sigma_S), O output tokens; the model's
// weight bytes W (in the served precision), weight-matmul FLOPs per token F_w = 2 x active params
// (model.h), attention FLOPs per token at context c F_a(c), KV bytes per token of context K
// (ServeKvBytesPerToken), L layers, hidden d. Per accelerator: memory M, bandwidth B, dense peak P
// at the served precision, the serving efficiencies of the vendor's engine e_g (GEMMs) and e_h
// (HBM) from the catalog profile, scale-up bandwidth per direction B_link.
// Variables: tensor-parallel degree t, arrival rate lambda per replica.
//
//  (1) Memory: W / t + n_max c_avg K_t <= u M, c_avg = S + O / 2 (paged KV blocks hold only the
//      tokens a sequence has; in steady state sequences are half-way through their output; Kwon
//      et al. 2023, vLLM), K_t = K / min(t, kv_heads) (KV heads split over TP, then replicated;
//      MLA's latent is replicated on every rank), u = kServeUsableMemoryFraction. The sequences in
//      flight are also capped by the engine's max batch (kServeDefaultMaxBatch or --max-batch).
//  (2) One iteration with D decoding sequences and p prompt tokens (n = D + p tokens):
//        T(D, p) = W_read(n) / (t B e_h)                                  weights, once
//                + G(n) / (t P e_g k)                                     weight GEMMs
//                + max(D c_avg K_t / (B e_h), D F_a(c_avg) / (t P_kv e_g k)) decode attention
//                + p F_a(S / 2) / (t P_kv e_g k)                          prefill attention
//                + C(n)                                                   TP collectives
//      Iteration time linear in the batched tokens above a weight-read floor is what serving
//      simulators fit to measured engines (Agrawal et al. 2024, Vidur; Zhong et al. 2024,
//      DistServe sec. 3): the weight stream and the GEMM math do not overlap fully in skinny decode
//      kernels, so the terms add (a max() would make the batch free once compute-bound and latency
//      limits irrelevant). k = kServeGemmDerate; attention runs at the KV cache's rate P_kv (FP8
//      or BF16), not at FP4 or weight-only rates. W_read(n) is W for dense models; for MoE, the
//      expected distinct routed experts n tokens touch, E (1 - (1 - k_r/E)^n) per MoE layer, plus
//      the non-routed weights. G(n) = n F_w for dense GEMMs; each touched expert computes
//      max(n k_r / touched, tile) rows (grouped GEMM: Tutel, MegaBlocks), plus routing and
//      permutation per MoE layer (kMoeLayerOverheadS).
//  (3) TP collectives: C(n) = 2 L (alpha + 2 (t-1)/t n d a / B_link) for t > 1 (Megatron-LM,
//      Shoeybi et al. 2019; ring all-reduce bus volume, Patarasuk & Yuan 2009), a = 2 bytes. TP
//      past the scale-up domain runs over PCIe (kPcieBytesPerS), past the node over scale-out.
//  (4) Offline (no targets): n_off sequences in flight, each iteration carries them and the prompt
//      tokens that keep them replaced, p = n_off S / O, within the token budget kServeMaxTokensPer
//      Step: n_off = min(KV limit, max batch, budget O / (S + O)). Rate = n_off / (O T(n_off, p)).
//  (5) Poisson arrivals at lambda (MLPerf Server): the mean iteration T solves T = T(lambda O T,
//      lambda S T) (Little's law: lambda O T sequences decode, lambda S T prompt tokens per step),
//      found by bisection; no solution below the caps = unstable. Sequences in flight are Poisson
//      (M/G/inf): the KV cache and max batch must hold D + z sqrt(D), z the normal quantile.
//      TPOT at quantile q: T + z sigma, sigma^2 = a_d^2 (2/3) D + a_p^2 D E[S^2] / O^2, the spread
//      of the load a request sees over its life (decode population averaged over a service time,
//      and the prompts that arrive meanwhile), a_d and a_p the marginal iteration cost per decode
//      sequence and per prompt token.
//      TTFT at q: prompts queue for the prefill budget left by decode, cap = budget - D tokens per
//      iteration, an M/G/1 queue with service S_i / cap iterations, utilization rho = lambda S T /
//      cap; mean wait by Pollaczek-Khinchine, and the tail P(W > w) ~ rho exp(-rho w / E[W])
//      (exact for M/M/1), so W_q = (E[W] / rho) ln(rho / (1 - q)) when rho > 1 - q; then one
//      residual iteration and ceil(S_q / cap) prefill iterations. E2E at q: TTFT_q + (O_q - 1)
//      TPOT_q (a sum of quantiles: conservative).
//      Capacity: the largest lambda meeting every target and cap (bisection; each grows with
//      lambda), never above the offline rate (4).
//  (6) Choice: --rps: n = ceil(lambda / capacity), the t with the fewest accelerators n t wins,
//      and each replica runs at lambda / n. --gpus N: n = floor(N / t), the t with the highest
//      n capacity wins.
//  (7) Cost per million output tokens = n t price_per_hour / 3600 / (lambda O) x 1e6; energy the
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
// TP past the scale-up domain: PCIe Gen5 x16 peer traffic through the host (~25 GB/s each way
// achieved with two cards under one switch, NCCL over PCIe) and a longer latency; past the node,
// the scale-out NIC.
constexpr double kPcieBytesPerS = 25e9;
constexpr double kPcieAllReduceLatencyS = 25e-6;
constexpr double kScaleoutAllReduceLatencyS = 30e-6;
constexpr double kActivationBytes = 2;  // BF16 activations cross the fabric
// AWQ/GPTQ INT4: one FP16 scale per group of 128 weights (Lin et al. 2024, AWQ, sec. 4).
constexpr double kInt4BytesPerWeight = 0.5 + 2.0 / 128;
// NVFP4: one FP8 scale per 16 FP4 values (NVIDIA Blackwell NVFP4 format); MXFP4's E8M0 per 32
// is smaller, so this is the conservative of the two.
constexpr double kFp4BytesPerWeight = 0.5 + 1.0 / 16;
// Grouped expert GEMMs put tokens on the M dimension: Hopper's warpgroup MMA is 64 rows tall
// (CUTLASS grouped GEMM tiles are 64 or 128), so an expert with fewer tokens computes a full tile.
// Dense decode GEMMs swap operands (TensorRT-LLM, vLLM) and waste little.
constexpr double kGroupedGemmTileRows = 64;
// Router, top-k, token permutation and un-permutation: four small kernels per MoE layer per
// iteration (vLLM fused_moe, TensorRT-LLM MoE plugin), ~5 us each.
constexpr double kMoeLayerOverheadS = 20e-6;
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
    case ServePrecision::kInt8:
      return 1;
    case ServePrecision::kInt4:
      return kInt4BytesPerWeight;
    case ServePrecision::kFp4:
      return kFp4BytesPerWeight;
  }
  return 2;
}

bool IsKvFp8(const ServeRequest& r) {
  switch (r.kv_cache) {
    case KvCachePrecision::kFp8:
      return true;
    case KvCachePrecision::kBf16:
      return false;
    case KvCachePrecision::kAuto:
      return r.precision == ServePrecision::kFp8 || r.precision == ServePrecision::kFp4;
  }
  return false;
}

// Dense peak the served precision's matmuls run at. INT4 is weight-only: BF16 math.
double PeakFlopPerS(const catalog::Accelerator& gpu, ServePrecision p) {
  switch (p) {
    case ServePrecision::kFp8:
      return gpu.peak_fp8_flop_per_s;
    case ServePrecision::kFp4:
      return gpu.peak_fp4_flop_per_s;
    case ServePrecision::kInt8:
      return gpu.peak_int8_op_per_s > 0 ? gpu.peak_int8_op_per_s : gpu.peak_bf16_flop_per_s;
    case ServePrecision::kBf16:
    case ServePrecision::kInt4:
      return gpu.peak_bf16_flop_per_s;
  }
  return gpu.peak_bf16_flop_per_s;
}

double NumMoeLayers(const model::ModelShape& shape) {
  return shape.is_moe() ? shape.num_layers - shape.moe.num_dense_layers : 0;
}

// Expected distinct routed experts `tokens` tokens touch in one MoE layer (2).
double TouchedExperts(const model::ModelShape& shape, double tokens) {
  const double e = shape.moe.num_experts;
  return e * (1 - std::pow(1 - shape.moe.experts_per_token / e, tokens));
}

// Bytes of weights one iteration of `tokens` tokens reads, whole model (2).
double WeightBytesRead(const model::ModelShape& shape, ServePrecision p, double tokens) {
  const model::ParamCounts counts = model::CountParams(shape);
  const double bytes_per_param = WeightBytesPerParam(p);
  if (!shape.is_moe()) return counts.total * bytes_per_param;
  const double layers = NumMoeLayers(shape);
  const double routed = layers * shape.moe.num_experts * counts.expert;
  return (counts.total - routed + layers * TouchedExperts(shape, tokens) * counts.expert) *
         bytes_per_param;
}

// FLOPs the weight GEMMs of `tokens` tokens execute (2). Expert GEMMs run per touched expert on
// tiles of at least kGroupedGemmTileRows rows, so few tokens per expert waste the tile.
double EffectiveGemmFlop(const model::ModelShape& shape, double tokens) {
  if (tokens <= 0) return 0;
  const double per_token = model::ForwardWeightFlopPerToken(shape);
  if (!shape.is_moe()) return tokens * per_token;
  const model::ParamCounts counts = model::CountParams(shape);
  const double k = shape.moe.experts_per_token;
  const double layers = NumMoeLayers(shape);
  const double expert_flop = 2 * layers * k * counts.expert;
  const double touched = TouchedExperts(shape, tokens);
  const double rows_per_expert = tokens * k / touched;
  return tokens * (per_token - expert_flop) +
         2 * counts.expert * layers * touched * std::max(rows_per_expert, kGroupedGemmTileRows);
}

// KV bytes per token of context on one of `tp` ranks (1).
double KvBytesPerTokenPerGpu(const ServeRequest& r, int tp) {
  const double whole = ServeKvBytesPerToken(r.model, IsKvFp8(r));
  if (r.model.is_mla()) return whole;
  return whole / std::min(tp, r.model.kv_heads());
}

// (3): the two per-layer all-reduces of `tokens` tokens' activations.
double CollectiveS(const model::ModelShape& shape, const catalog::Accelerator& gpu, int tp,
                   double tokens) {
  if (tp <= 1) return 0;
  double bandwidth = gpu.scaleup_bytes_per_s;
  double latency = kAllReduceLatencyS;
  if (tp > gpu.scaleup_domain) {
    const bool is_in_node = tp <= gpu.gpus_per_node;
    bandwidth = is_in_node ? std::min(bandwidth, kPcieBytesPerS)
                           : std::min(bandwidth, gpu.scaleout_bytes_per_s);
    latency = is_in_node ? kPcieAllReduceLatencyS : kScaleoutAllReduceLatencyS;
  }
  const double bytes = tokens * shape.hidden * kActivationBytes;
  const double bus_bytes = 2.0 * (tp - 1) / tp * bytes;
  return 2.0 * shape.num_layers * (latency + bus_bytes / bandwidth);
}

double FlopPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu) {
  return PeakFlopPerS(gpu, r.precision) * gpu.serve_gemm_efficiency * kServeGemmDerate *
         r.gemm_efficiency_scale;
}

// Attention runs at the KV cache's precision (FP8 or BF16), never at FP4 or INT8/INT4 weight rates.
double AttentionFlopPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu) {
  const double peak =
      IsKvFp8(r) && gpu.has_fp8() ? gpu.peak_fp8_flop_per_s : gpu.peak_bf16_flop_per_s;
  return peak * gpu.serve_gemm_efficiency * kServeGemmDerate * r.gemm_efficiency_scale;
}

double HbmBytesPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu) {
  return gpu.memory_bandwidth_bytes_per_s *
         std::min(1.0, gpu.serve_hbm_efficiency * kServeHbmScale * r.hbm_efficiency_scale);
}

double MeanContextTokens(const ServeRequest& r) { return r.prompt_tokens + r.output_tokens / 2.0; }

// The upper normal quantile z with P(Z <= z) = q, by bisection on erfc (q in (0.5, 1)).
double NormalQuantile(double q) {
  double lo = 0, hi = 10;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}

// (1): the most sequences the KV budget holds at this TP; 0 if the weights (or one full-length
// sequence) do not fit.
double KvBudgetBytes(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  return kServeUsableMemoryFraction * gpu.memory_bytes -
         ServeWeightBytes(r.model, r.precision) / tp;
}

int MaxSequences(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  const double budget = KvBudgetBytes(r, gpu, tp);
  const double per_token = KvBytesPerTokenPerGpu(r, tp);
  if (budget < per_token * (r.prompt_tokens + r.output_tokens)) return 0;
  const double by_memory = std::floor(budget / (per_token * MeanContextTokens(r)));
  const int cap = r.max_batch > 0 ? r.max_batch : kServeDefaultMaxBatch;
  return static_cast<int>(std::min(by_memory, static_cast<double>(cap)));
}

bool HasTargets(const ServeRequest& r) {
  return std::isfinite(r.ttft_target_s) || std::isfinite(r.tpot_target_s) ||
         std::isfinite(r.e2e_target_s);
}

std::string Ms(double s) { return fmt::format("{:.3g} ms", s * 1e3); }

Result<void> CheckRequest(const ServeRequest& r, const catalog::Accelerator& gpu) {
  if (r.prompt_tokens <= 0) {
    return Error{fmt::format("'prompt_tokens' must be > 0, got {}", r.prompt_tokens)};
  }
  if (r.output_tokens <= 0) {
    return Error{fmt::format("'output_tokens' must be > 0, got {}", r.output_tokens)};
  }
  if (!(r.prompt_tokens_std >= 0) || !std::isfinite(r.prompt_tokens_std) ||
      !(r.output_tokens_std >= 0) || !std::isfinite(r.output_tokens_std)) {
    return Error{fmt::format("length spreads must be >= 0, got prompt {} and output {}",
                             r.prompt_tokens_std, r.output_tokens_std)};
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
  for (const auto& [name, value] : {std::pair<const char*, double>{"ttft", r.ttft_target_s},
                                    {"tpot", r.tpot_target_s},
                                    {"e2e", r.e2e_target_s}}) {
    if (!(value > 0)) return Error{fmt::format("'{}' target must be > 0, got {} s", name, value)};
  }
  if (!(r.latency_quantile >= 0.5 && r.latency_quantile <= 0.9999)) {
    return Error{fmt::format("'latency percentile' must be between 50 and 99.99, got {}",
                             r.latency_quantile * 100)};
  }
  if (r.price_usd_per_gpu_hour < 0 || !std::isfinite(r.price_usd_per_gpu_hour)) {
    return Error{
        fmt::format("'price_per_gpu_hour' must be >= 0, got {}", r.price_usd_per_gpu_hour)};
  }
  if (r.tensor_parallel < 0) {
    return Error{fmt::format("'tensor_parallel' must be >= 0, got {}", r.tensor_parallel)};
  }
  if (r.max_batch < 0) return Error{fmt::format("'max_batch' must be >= 0, got {}", r.max_batch)};
  if (!(r.gemm_efficiency_scale > 0) || !(r.hbm_efficiency_scale > 0)) {
    return Error{"efficiency scales must be > 0"};
  }
  if (r.precision == ServePrecision::kFp8 && !gpu.has_fp8()) {
    return Error{fmt::format(
        "accelerator '{}' has no FP8 support; use --precision bf16, int8 or int4", gpu.id)};
  }
  if (r.precision == ServePrecision::kFp4 && gpu.peak_fp4_flop_per_s <= 0) {
    return Error{fmt::format(
        "accelerator '{}' has no FP4 support (no published FP4 rate); use --precision fp8 or "
        "int4",
        gpu.id)};
  }
  if (IsKvFp8(r) && !gpu.has_fp8()) {
    return Error{fmt::format("accelerator '{}' has no FP8 support for an FP8 KV cache", gpu.id)};
  }
  if (PeakFlopPerS(gpu, r.precision) <= 0 || gpu.memory_bandwidth_bytes_per_s <= 0 ||
      gpu.memory_bytes <= 0) {
    return Error{fmt::format(
        "accelerator '{}' lacks the peak rate, memory or bandwidth serving needs", gpu.id)};
  }
  return model::Validate(r.model, r.model.name.empty() ? "model" : r.model.name);
}

// The widest TP a replica may take: the scale-up domain, or the node where the domain is smaller
// (TP over PCIe, as MLPerf's L40S and H100 NVL systems run).
int MaxTp(const catalog::Accelerator& gpu) {
  return std::min(64, std::max(gpu.scaleup_domain, gpu.gpus_per_node));
}

// TP degrees to try: powers of two up to MaxTp that divide the head count.
std::vector<int> TpCandidates(const ServeRequest& r, const catalog::Accelerator& gpu) {
  if (r.tensor_parallel > 0) return {r.tensor_parallel};
  std::vector<int> tps;
  for (int tp = 1; tp <= MaxTp(gpu); tp *= 2) {
    if (r.model.num_heads % tp == 0) tps.push_back(tp);
  }
  return tps;
}

struct Candidate {
  int tp = 0;
  int max_batch = 0;
  double kv_budget_bytes = 0;
  ServePoint capacity;
  double offline_requests_per_s = 0;
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
    case ServePrecision::kFp4:
      return "fp4";
  }
  return "bf16";
}

Result<ServePrecision> ParseServePrecision(std::string_view text) {
  for (ServePrecision p : {ServePrecision::kBf16, ServePrecision::kFp8, ServePrecision::kInt8,
                           ServePrecision::kInt4, ServePrecision::kFp4}) {
    if (text == ToString(p)) return p;
  }
  if (text == "nvfp4" || text == "mxfp4") return ServePrecision::kFp4;
  return Error{fmt::format(
      "unknown precision '{}'; valid: bf16, fp8, int8, int4, fp4 (nvfp4, mxfp4)", text)};
}

Result<KvCachePrecision> ParseKvCachePrecision(std::string_view text) {
  if (text == "auto") return KvCachePrecision::kAuto;
  if (text == "bf16" || text == "fp16") return KvCachePrecision::kBf16;
  if (text == "fp8") return KvCachePrecision::kFp8;
  return Error{fmt::format("unknown KV-cache precision '{}'; valid: auto, bf16, fp8", text)};
}

double ServeWeightBytes(const model::ModelShape& shape, ServePrecision p) {
  return model::CountParams(shape).total * WeightBytesPerParam(p);
}

double ServeKvBytesPerToken(const model::ModelShape& shape, bool is_fp8) {
  const double per_element = is_fp8 ? 1 : 2;
  if (shape.is_mla()) {
    // MLA caches the compressed KV latent and the decoupled RoPE key per layer (DeepSeek-V2
    // report, sec. 2.1.4: (d_c + d_h^R) elements per token per layer).
    return shape.num_layers * (shape.mla.kv_lora_rank + shape.mla.qk_rope_head_dim) * per_element;
  }
  // K and V, kv_heads x head_size each, per layer (GQA, Ainslie et al. 2023).
  return 2.0 * shape.num_layers * shape.kv_heads() * shape.head_size() * per_element;
}

double ServeKvBytesPerToken(const model::ModelShape& shape, ServePrecision p) {
  return ServeKvBytesPerToken(shape, p == ServePrecision::kFp8 || p == ServePrecision::kFp4);
}

double ServeStepS(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                  double decode_seqs, double prefill_tokens) {
  GPUPLAN_CHECK(tp >= 1) << "tp " << tp;
  const double tokens = decode_seqs + prefill_tokens;
  const double flop_per_s = tp * FlopPerSPerGpu(r, gpu);
  const double attention_flop_per_s = tp * AttentionFlopPerSPerGpu(r, gpu);
  const double hbm_per_gpu = HbmBytesPerSPerGpu(r, gpu);
  const double context = MeanContextTokens(r);
  const double weights_s =
      WeightBytesRead(r.model, r.precision, std::max(tokens, 1.0)) / tp / hbm_per_gpu;
  const double gemm_s = EffectiveGemmFlop(r.model, tokens) / flop_per_s;
  const double decode_attention_s = std::max(
      decode_seqs * context * KvBytesPerTokenPerGpu(r, tp) / hbm_per_gpu,
      decode_seqs * model::ForwardAttentionFlopPerToken(r.model, static_cast<int>(context)) /
          attention_flop_per_s);
  const double prefill_attention_s =
      prefill_tokens *
      model::ForwardAttentionFlopPerToken(r.model, std::max(1, r.prompt_tokens / 2)) /
      attention_flop_per_s;
  const double moe_s = NumMoeLayers(r.model) * kMoeLayerOverheadS;
  return weights_s + gemm_s + decode_attention_s + prefill_attention_s + moe_s +
         CollectiveS(r.model, gpu, tp, tokens);
}

ServePoint EvaluateServeOffline(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  ServePoint p;
  p.tp = tp;
  const double ratio = static_cast<double>(r.prompt_tokens) / r.output_tokens;
  const double by_budget = std::max(1.0, std::floor(kServeMaxTokensPerStep / (1 + ratio)));
  const double seqs = std::min<double>(std::max(1, MaxSequences(r, gpu, tp)), by_budget);
  const double prefill = seqs * ratio;
  const double step = ServeStepS(r, gpu, tp, seqs, prefill);
  p.batch = static_cast<int>(seqs);
  p.decode_step_s = step;
  p.prefill_s = ServeStepS(r, gpu, tp, 0, r.prompt_tokens);
  p.ttft_s = p.prefill_s;
  p.tpot_s = step;
  p.e2e_s = p.prefill_s + (r.output_tokens - 1) * step;
  p.requests_per_s = seqs / (r.output_tokens * step);
  p.output_tokens_per_s = p.requests_per_s * r.output_tokens;
  const double weights_s =
      WeightBytesRead(r.model, r.precision, seqs + prefill) / tp / HbmBytesPerSPerGpu(r, gpu);
  p.is_decode_compute_bound =
      EffectiveGemmFlop(r.model, seqs + prefill) / (tp * FlopPerSPerGpu(r, gpu)) > weights_s;
  p.limit = seqs >= by_budget ? "token budget" : "kv-cache";
  if (r.max_batch > 0 && seqs == r.max_batch) p.limit = "max batch";
  return p;
}

ServePoint EvaluateServeLoad(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                             double rate) {
  GPUPLAN_CHECK(rate > 0) << "rate " << rate;
  ServePoint p;
  p.tp = tp;
  const double seq_cap = MaxSequences(r, gpu, tp);
  const double budget = kServeMaxTokensPerStep;
  const double S = r.prompt_tokens, O = r.output_tokens;
  // (5): the mean iteration T = T(rate O T, rate S T), below the caps.
  auto excess = [&](double t) { return ServeStepS(r, gpu, tp, rate * O * t, rate * S * t) - t; };
  const double t_lo = ServeStepS(r, gpu, tp, 0, 0);
  const double t_hi = std::min(seq_cap / (rate * O), budget / (rate * (S + O)));
  if (!(t_hi > t_lo) || excess(t_hi) > 0) {
    p.limit = "unstable";
    return p;
  }
  double lo = t_lo, hi = t_hi;  // excess(lo) >= 0 >= excess(hi)
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (excess(mid) > 0 ? lo : hi) = mid;
  }
  const double step = hi;
  const double decode = rate * O * step;
  const double prefill = rate * S * step;
  const double z = NormalQuantile(r.latency_quantile);
  p.batch = static_cast<int>(std::lround(decode));
  p.decode_step_s = step;
  p.requests_per_s = rate;
  p.output_tokens_per_s = rate * O;
  p.prefill_s = ServeStepS(r, gpu, tp, 0, S);
  p.is_decode_compute_bound =
      EffectiveGemmFlop(r.model, decode + prefill) / (tp * FlopPerSPerGpu(r, gpu)) >
      WeightBytesRead(r.model, r.precision, decode + prefill) / tp / HbmBytesPerSPerGpu(r, gpu);
  if (decode + z * std::sqrt(decode) > seq_cap) {
    p.limit = "kv-cache";
    p.requests_per_s = 0;
    return p;
  }
  // TPOT at the quantile: the spread of the load over a request's life.
  const double base = ServeStepS(r, gpu, tp, decode, prefill);
  const double a_decode = ServeStepS(r, gpu, tp, decode + 1, prefill) - base;
  const double a_prefill = (ServeStepS(r, gpu, tp, decode, prefill + S) - base) / S;
  const double prompt_sq = S * S + r.prompt_tokens_std * r.prompt_tokens_std;
  const double tpot_sigma = std::sqrt(a_decode * a_decode * (2.0 / 3.0) * decode +
                                      a_prefill * a_prefill * decode * prompt_sq / (O * O));
  p.tpot_s = step + z * tpot_sigma;
  // TTFT at the quantile: the prefill queue.
  const double cap = budget - decode;
  const double rho = prefill / cap;
  const double service_sq = prompt_sq / (cap * cap) * step * step;
  const double wait_mean = rate * service_sq / (2 * (1 - rho));
  const double wait_q =
      rho > 1 - r.latency_quantile ? wait_mean / rho * std::log(rho / (1 - r.latency_quantile)) : 0;
  const double prompt_q = S + z * r.prompt_tokens_std;
  const double prefill_step = ServeStepS(r, gpu, tp, decode, std::min(prompt_q, cap));
  p.ttft_s = wait_q + step + std::ceil(prompt_q / cap) * prefill_step;
  const double output_q = std::max(1.0, O + z * r.output_tokens_std);
  p.e2e_s = p.ttft_s + (output_q - 1) * p.tpot_s;
  p.limit = "";
  return p;
}

namespace {

bool MeetsTargets(const ServeRequest& r, const ServePoint& p) {
  return p.requests_per_s > 0 && p.ttft_s <= r.ttft_target_s && p.tpot_s <= r.tpot_target_s &&
         p.e2e_s <= r.e2e_target_s;
}

// What stops a rate just above capacity.
std::string BindingLimit(const ServeRequest& r, const ServePoint& above) {
  if (above.requests_per_s <= 0) return above.limit.empty() ? "unstable" : above.limit;
  if (above.tpot_s > r.tpot_target_s) return "tpot";
  if (above.ttft_s > r.ttft_target_s) return "ttft";
  if (above.e2e_s > r.e2e_target_s) return "e2e";
  return "offline";
}

}  // namespace

ServePoint ServeCapacity(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  const ServePoint offline = EvaluateServeOffline(r, gpu, tp);
  if (!HasTargets(r)) return offline;
  const double top = offline.requests_per_s;
  ServePoint at_top = EvaluateServeLoad(r, gpu, tp, top * (1 - 1e-9));
  if (MeetsTargets(r, at_top)) {
    at_top.limit = offline.limit;
    return at_top;
  }
  double lo = top * 1e-6;
  if (!MeetsTargets(r, EvaluateServeLoad(r, gpu, tp, lo))) {
    ServePoint none;
    none.tp = tp;
    return none;
  }
  double hi = top;
  for (int i = 0; i < 50 && hi - lo > 1e-4 * lo; ++i) {
    const double mid = std::sqrt(lo * hi);
    (MeetsTargets(r, EvaluateServeLoad(r, gpu, tp, mid)) ? lo : hi) = mid;
  }
  ServePoint p = EvaluateServeLoad(r, gpu, tp, lo);
  p.limit = BindingLimit(r, EvaluateServeLoad(r, gpu, tp, hi));
  return p;
}

Result<double> RequestsPerSFromUsers(double daily_users, double requests_per_user_per_day,
                                     double peak_factor) {
  if (!(daily_users > 0) || !std::isfinite(daily_users)) {
    return Error{fmt::format("'daily users' must be > 0, got {}", daily_users)};
  }
  if (!(requests_per_user_per_day > 0) || !std::isfinite(requests_per_user_per_day)) {
    return Error{
        fmt::format("'requests per user per day' must be > 0, got {}", requests_per_user_per_day)};
  }
  if (!(peak_factor >= 1) || !std::isfinite(peak_factor)) {
    return Error{fmt::format("'peak factor' must be >= 1, got {}", peak_factor)};
  }
  return daily_users * requests_per_user_per_day / kSecondsPerDay * peak_factor;
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

  std::vector<Candidate> fits;      // weights fit
  std::vector<Candidate> feasible;  // and some rate meets the targets
  for (int tp : TpCandidates(r, gpu)) {
    if (r.num_gpus > 0 && tp > r.num_gpus) continue;
    Candidate c;
    c.tp = tp;
    c.max_batch = MaxSequences(r, gpu, tp);
    c.kv_budget_bytes = std::max(0.0, KvBudgetBytes(r, gpu, tp));
    if (c.max_batch == 0) continue;
    fits.push_back(c);
    c.capacity = ServeCapacity(r, gpu, tp);
    if (c.capacity.requests_per_s <= 0) continue;
    c.offline_requests_per_s = EvaluateServeOffline(r, gpu, tp).requests_per_s;
    feasible.push_back(c);
  }
  if (fits.empty()) {
    const std::vector<int> tps = TpCandidates(r, gpu);
    int max_tp = tps.empty() ? 1 : tps.back();
    if (r.num_gpus > 0) max_tp = std::min(max_tp, r.num_gpus);
    const double needed = ServeWeightBytes(r.model, r.precision) / max_tp +
                          KvBytesPerTokenPerGpu(r, max_tp) * (r.prompt_tokens + r.output_tokens);
    return Error{fmt::format(
        "model '{}' ({:.0f} GB of weights in {}) fits no tensor-parallel degree up to {} on '{}': "
        "at tp {} it needs {:.1f} GB per accelerator for weights and one {}-token sequence, and "
        "{:.0f} GB x {:.0f}% = {:.1f} GB is usable; try a smaller --precision, a larger "
        "accelerator, or more --gpus",
        model_name, ServeWeightBytes(r.model, r.precision) / 1e9, ToString(r.precision), max_tp,
        gpu.id, max_tp, needed / 1e9, r.prompt_tokens + r.output_tokens, gpu.memory_bytes / 1e9,
        kServeUsableMemoryFraction * 100, kServeUsableMemoryFraction * gpu.memory_bytes / 1e9)};
  }
  if (feasible.empty()) {
    // The fastest any fitting TP gets: a light load at the largest TP.
    const Candidate& widest = fits.back();
    const double light = EvaluateServeOffline(r, gpu, widest.tp).requests_per_s * 1e-6;
    const ServePoint best = EvaluateServeLoad(r, gpu, widest.tp, light);
    auto target = [](double s) { return std::isfinite(s) ? Ms(s) : std::string("none"); };
    return Error{fmt::format(
        "latency targets unreachable for '{}' on '{}': at p{:g} the best is ttft {}, tpot {} and "
        "e2e {} (tp {}, light load); targets ttft {}, tpot {}, e2e {}",
        model_name, gpu.id, r.latency_quantile * 100, Ms(best.ttft_s), Ms(best.tpot_s),
        Ms(best.e2e_s), widest.tp, target(r.ttft_target_s), target(r.tpot_target_s),
        target(r.e2e_target_s))};
  }

  ServePlan plan;
  plan.model = model_name;
  plan.accelerator = gpu.id;
  plan.precision = r.precision;
  plan.is_kv_cache_fp8 = IsKvFp8(r);
  plan.prompt_tokens = r.prompt_tokens;
  plan.output_tokens = r.output_tokens;
  plan.latency_quantile = r.latency_quantile;
  std::optional<Candidate> chosen;
  int best_replicas = 0;
  for (const Candidate& c : feasible) {
    const double rate = c.capacity.requests_per_s;
    if (r.requests_per_s > 0) {
      const int replicas = static_cast<int>(std::ceil(r.requests_per_s / rate - 1e-9));
      if (!chosen || replicas * c.tp < best_replicas * chosen->tp) {
        chosen = c;
        best_replicas = replicas;
      }
    } else {
      const int replicas = r.num_gpus / c.tp;
      if (!chosen || replicas * rate > best_replicas * chosen->capacity.requests_per_s) {
        chosen = c;
        best_replicas = replicas;
      }
    }
  }
  const Candidate& c = *chosen;
  plan.replicas = best_replicas;
  plan.gpus = best_replicas * c.tp;
  plan.max_batch = c.max_batch;
  plan.capacity_requests_per_s = best_replicas * c.capacity.requests_per_s;
  plan.offline_requests_per_s = best_replicas * c.offline_requests_per_s;
  if (r.requests_per_s > 0) {
    const double share = r.requests_per_s / best_replicas;
    plan.point = EvaluateServeLoad(r, gpu, c.tp, std::min(share, c.capacity.requests_per_s));
    plan.point.limit = c.capacity.limit;
    plan.requests_per_s = r.requests_per_s;
  } else {
    plan.point = c.capacity;
    plan.requests_per_s = plan.capacity_requests_per_s;
  }
  plan.output_tokens_per_s = plan.requests_per_s * r.output_tokens;
  plan.output_tokens_per_s_per_gpu = plan.output_tokens_per_s / plan.gpus;
  plan.weight_bytes_per_gpu = ServeWeightBytes(r.model, r.precision) / c.tp;
  plan.kv_cache_bytes_per_gpu = c.kv_budget_bytes;
  plan.kv_bytes_per_token = ServeKvBytesPerToken(r.model, IsKvFp8(r));

  // (7)
  plan.price_usd_per_gpu_hour =
      r.price_usd_per_gpu_hour > 0 ? r.price_usd_per_gpu_hour : AmortizedUsdPerGpuHour(gpu);
  const double gpu_s_per_token = 1.0 / plan.output_tokens_per_s_per_gpu;
  plan.usd_per_million_output_tokens =
      plan.price_usd_per_gpu_hour / kSecondsPerHour * gpu_s_per_token * kTokensPerMillion;
  plan.energy_j_per_output_token = gpu.tdp_w * gpu_s_per_token;
  plan.energy_kwh_per_million_output_tokens =
      plan.energy_j_per_output_token * kTokensPerMillion / kJoulesPerKwh;

  if (r.price_usd_per_gpu_hour > 0) {
    plan.notes.push_back("price per accelerator-hour as given");
  } else if (plan.price_usd_per_gpu_hour > 0) {
    plan.notes.push_back(fmt::format(
        "price per accelerator-hour amortized: catalog price ${:.0f} x {} (server and network) "
        "over {} years, plus {:.0f} W x PUE {} at ${:.2f}/kWh; override with "
        "--usd-per-gpu-hour",
        gpu.price_usd, kSystemCostMultiplier, kAmortizationYears, gpu.tdp_w, kPue, kUsdPerKwh));
  } else {
    plan.notes.push_back(
        fmt::format("no public price for '{}': cost is unknown; give --usd-per-gpu-hour", gpu.id));
  }
  plan.notes.push_back("energy counts the accelerators at TDP only (no host, network or PUE)");
  if (HasTargets(r)) {
    plan.notes.push_back(fmt::format(
        "latency targets hold for {:g}% of requests under Poisson arrivals; capacity is {:.0f}% "
        "of the offline rate (bound by {})",
        r.latency_quantile * 100, 100 * c.capacity.requests_per_s / c.offline_requests_per_s,
        c.capacity.limit));
  }
  if (plan.is_kv_cache_fp8) plan.notes.push_back("KV cache held in FP8");
  if (r.precision == ServePrecision::kInt4) {
    plan.notes.push_back("INT4 is weight-only (W4A16): it saves bandwidth, the math stays BF16");
  }
  if (r.precision == ServePrecision::kFp4) {
    plan.notes.push_back("FP4 weights and activations (NVFP4/MXFP4) at the FP4 tensor rate");
  }
  if (r.precision == ServePrecision::kInt8 && gpu.peak_int8_op_per_s <= 0) {
    plan.notes.push_back(fmt::format(
        "'{}' publishes no INT8 rate: INT8 is weight-only, the math stays BF16", gpu.id));
  }
  if (c.tp > gpu.scaleup_domain) {
    plan.notes.push_back(fmt::format(
        "tp {} exceeds the {}-accelerator scale-up domain: its all-reduces cross {}", c.tp,
        gpu.scaleup_domain, c.tp <= gpu.gpus_per_node ? "PCIe" : "the scale-out network"));
  }
  if (r.num_gpus > plan.gpus) {
    plan.notes.push_back(fmt::format("{} of the {} accelerators stay idle: replicas take {} each",
                                     r.num_gpus - plan.gpus, r.num_gpus, c.tp));
  }
  return plan;
}

namespace {

constexpr double kJsonMsPerS = 1e3;
constexpr double kJsonBytesPerGib = 1024.0 * 1024 * 1024;
constexpr double kJsonTokensPerMillion = 1e6;

nlohmann::ordered_json OrNull(double value, bool is_known) {
  return is_known ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json ServePlanJson(const ServePlan& p, const ServeRequest& r) {
  nlohmann::ordered_json j;
  j["model"] = p.model;
  j["accelerator"] = p.accelerator;
  j["precision"] = ToString(p.precision);
  j["prompt_tokens"] = p.prompt_tokens;
  j["output_tokens"] = p.output_tokens;
  j["kv_cache"] = p.is_kv_cache_fp8 ? "fp8" : "bf16";
  j["ttft_target_ms"] = OrNull(r.ttft_target_s * kJsonMsPerS, std::isfinite(r.ttft_target_s));
  j["tpot_target_ms"] = OrNull(r.tpot_target_s * kJsonMsPerS, std::isfinite(r.tpot_target_s));
  j["e2e_target_ms"] = OrNull(r.e2e_target_s * kJsonMsPerS, std::isfinite(r.e2e_target_s));
  j["latency_percentile"] = p.latency_quantile * 100;
  j["requests_per_s"] = p.requests_per_s;
  j["capacity_requests_per_s"] = p.capacity_requests_per_s;
  j["offline_requests_per_s"] = p.offline_requests_per_s;
  j["capacity_limit"] = p.point.limit;
  j["gpus"] = p.gpus;
  j["replicas"] = p.replicas;
  j["tp"] = p.point.tp;
  j["batch"] = p.point.batch;
  j["max_batch"] = p.max_batch;
  j["ttft_ms"] = p.point.ttft_s * kJsonMsPerS;
  j["tpot_ms"] = p.point.tpot_s * kJsonMsPerS;
  j["e2e_ms"] = p.point.e2e_s * kJsonMsPerS;
  j["prefill_ms"] = p.point.prefill_s * kJsonMsPerS;
  j["decode_step_ms"] = p.point.decode_step_s * kJsonMsPerS;
  j["decode_bound"] = p.point.is_decode_compute_bound ? "compute" : "memory";
  j["tokens_per_s"] = p.output_tokens_per_s;
  j["tokens_per_s_per_gpu"] = p.output_tokens_per_s_per_gpu;
  j["weights_gib_per_gpu"] = p.weight_bytes_per_gpu / kJsonBytesPerGib;
  j["kv_cache_gib_per_gpu"] = p.kv_cache_bytes_per_gpu / kJsonBytesPerGib;
  j["kv_bytes_per_token"] = p.kv_bytes_per_token;
  const bool has_price = p.price_usd_per_gpu_hour > 0;
  j["usd_per_gpu_hour"] = OrNull(p.price_usd_per_gpu_hour, has_price);  // as size train
  j["usd_per_million_output_tokens"] = OrNull(p.usd_per_million_output_tokens, has_price);
  j["energy_kwh_per_million_output_tokens"] = p.energy_kwh_per_million_output_tokens;
  j["output_tokens_per_usd"] =
      OrNull(kJsonTokensPerMillion / p.usd_per_million_output_tokens, has_price);
  j["output_tokens_per_mwh"] = kJsonTokensPerMillion / p.energy_kwh_per_million_output_tokens * 1e3;
  j["notes"] = p.notes;
  return j;
}

}  // namespace gpuplan::sizing
