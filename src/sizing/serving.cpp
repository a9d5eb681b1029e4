// Serving model: continuous-batching LLM inference with chunked prefill on replicas of `tp`
// accelerators, under Poisson arrivals and latency targets met at a quantile (MLPerf: p99).
//
// Parameters (per request): S prompt tokens (mean; spread sigma_S), O output tokens; the model's
// weight bytes W (in the served precision), weight-matmul FLOPs per token F_w = 2 x active params
// (model.h), attention FLOPs per token at context c F_a(c), KV bytes per token of context K
// (ServeKvBytesPerToken), L layers, hidden d. Per accelerator: memory M, bandwidth B, dense peak P
// at the served precision, the serving efficiencies of the vendor's engine e_g (GEMMs) and e_h
// (HBM) from the catalog profile, scale-up bandwidth per direction B_link.
// Variables: the layout of a replica (t TP ranks per stage, P pipeline stages, e expert-parallel
// groups, attention DP or not; ServeLayout), arrival rate lambda per replica.
//
//  (1) Memory on the fullest rank: f (W_o + W_r) / t, or f (W_o + W_r / t) under attention DP,
//      + n_max c_adm K_t <= u M. W_r: the routed experts' bytes, W_o: everything else; f =
//      ceil(L / P) / L, the fullest stage's share of the layers. c_adm = c_avg = S + O / 2 where
//      the engine admits by what a sequence holds (paged KV blocks hold only the tokens it has;
//      in steady state sequences are half-way through their output; Kwon et al. 2023, vLLM),
//      c_adm = S + O where it reserves the whole output at admission (--kv-admission reserve:
//      TensorRT-LLM's default GUARANTEED_NO_EVICT, "a started request is never paused",
//      TensorRT-LLM performance tuning guide, useful runtime flags; trtllm-bench throughput's
//      --scheduler_policy default), K_t = f K / min(t, kv_heads)
//      (KV heads split over TP, then replicated; MLA's latent is replicated on every TP rank), or f
//      K for the rank's own sequences under attention DP (n_max then counts t ranks' sequences), u
//      = kServeUsableMemoryFraction. The sequences in flight are also capped by the engine's max
//      batch per scheduler (kServeDefaultMaxBatch or --max-batch; a scheduler per rank under
//      attention DP, as TensorRT-LLM's "max batch size in each rank"). A model no layout holds
//      is a plan with status kDoesNotFit and the leanest layout's need. Pipeline stages are
//      tried only when no single-stage layout holds the model.
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
//      the non-routed weights. G(n) = n F_w for dense GEMMs.
//      (2q) A checkpoint may hold attention's projections at another precision than the rest:
//      their bytes, and their GEMMs at that precision's rate. NVIDIA's NVFP4 DeepSeek-R1 keeps
//      MLA's projections in BF16 (TensorRT Model Optimizer examples/deepseek/ptq.py disables
//      '*attn*' quantization by default; TensorRT-LLM tech blog 1's precision table: attention
//      modules bf16), its v2 checkpoints quantize the output projection to NVFP4 too (model card
//      of nvidia/DeepSeek-R1-0528-NVFP4-v2: "additionally quantizes the wo module").
//      (2g) Grouped expert GEMMs (Tutel, MegaBlocks): each touched expert computes its
//      m = n k_r / touched tokens in whole tiles, 64 rows while m fits one, else ceil(m / 128)
//      128-row tiles (GroupedGemmRows), at the dense GEMM rate; its weights are read once (above).
//      (2m) MoE kernels around them: routing, top-k and (un)permutation per MoE layer
//      (kMoeLayerOverheadS), and each routed copy of a token written and read back through HBM
//      between them: 8 bytes per element of hidden and 12 per element of expert width (BF16).
//      (2a) decode attention of MLA in its absorbed form (DecodeAttentionFlopPerToken).
//      (2c) chunked local attention (Llama 4): a chunked layer's token at position x attends to
//      the x mod C earlier tokens of its aligned chunk of C, the global layers to all x; decode
//      reads and multiplies the KV of those tokens, so F_a and the decode KV reads take the mean
//      attended context over the positions involved (AttendedContext): prefill [0, S), decode
//      [S, S + O). Memory still holds the whole context's KV (the KV-cache budget (1) unchanged).
//      (2d) attention DP: each rank computes the non-expert GEMMs and attention of its own
//      tokens; the iteration waits for the rank with the largest prompt chunk (BusiestRankPrefill).
//      (2e) expert parallelism: a rank holds E / e experts, each split t / e ways; the busiest
//      rank carries gamma times the mean routed tokens, gamma = ServeExpertImbalance (uniform
//      routing's expected maximum; --ep-imbalance for a measured skew) and reads the experts it
//      touches.
//      (2p) pipeline: P microbatches take turns, iteration = P (stage step at 1/P of the batch +
//      hand-off); each stage reads its weights once per microbatch (the decode bubble).
//  (3) TP collectives: C(n) = 2 L f (alpha + 2 (t-1)/t n d a / B_link) for t > 1 (Megatron-LM,
//      Shoeybi et al. 2019; ring all-reduce bus volume, Patarasuk & Yuan 2009), a = 2 bytes. A
//      group past the scale-up domain runs over PCIe (PcieBytesPerS), past the server over the
//      catalog's scale-out bandwidth: multi-node replicas pay it in every collective.
//      (3e) attention DP all-to-all: dispatch and combine per MoE layer, each rank's tokens sent
//      once to each other rank holding one of their experts (AllToAllS); the share to ranks
//      outside the scale-up domain rides the slower link, at kAllToAllLinkEfficiency of NVLink
//      and scale-out peaks and at PCIe's measured collective rate (already a share of its link,
//      so not derated twice). Pipeline hand-offs: 1/t of a microbatch's activations per rank, on
//      scale-out between servers (HandoffS).
//  (4) Offline (no targets): n_off sequences in flight, each iteration carries them and the prompt
//      tokens that keep them replaced, p = n_off S / O, within the token budget kServeMaxTokensPer
//      Step per scheduler: n_off = min(KV limit, max batch, budget O / (S + O)). Rate = n_off /
//      (O T(n_off, p)).
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
//  (6) Search: TP degrees (powers of two dividing the heads) within a server, each with every
//      expert-parallel degree dividing tp and the expert count, attention DP off/on for MLA MoE;
//      only when no such single-stage layout holds the model, TP across servers (up to 64) and
//      the fewest pipeline stages that do, competing. Choice: --rps: n = ceil(lambda /
//      capacity), the layout with the fewest accelerators n t P wins (ties: the most capacity),
//      and each replica runs at lambda / n. --gpus N: n = floor(N / (t P)), the layout with the
//      highest n capacity wins.
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
// The widest TP searched (64 ranks: 8 servers of 8, or one NVL72 rack's worth).
constexpr int kMaxServeTp = 64;
// TP past the scale-up domain crosses PCIe inside the server. Its x16 link each way: the catalog's
// scale-up link on parts without NVLink (scaleup_domain 1: L40S Gen4 32 GB/s, RTX PRO 6000 Gen5
// 64 GB/s), else Gen5 (the NVLink-bridge cards from Hopper on; A100 PCIe is Gen4, so its TP past
// the bridge pair comes out 2x fast). Collectives of 8 cards through the host's switches and CPU
// links reach ~62% of it: nccl-tests all_reduce busbw 35-45 GB/s on 8x H100 PCIe (Alaya NeW,
// "NCCL-tests in practice", 2026); longer latency than NVLink. Past the node, the scale-out NIC.
constexpr double kPcieGen5BytesPerS = 64e9;
constexpr double kPcieCollectiveEfficiency = 0.625;
constexpr double kPcieAllReduceLatencyS = 25e-6;
// Expert all-to-alls (dispatch/combine) reach ~80% of a link's rate each way: DeepEP's intranode
// kernels move 153-158 GB/s on H800, whose NVLink peaks at ~160 of its 200 GB/s each way, and its
// RDMA kernels 43-47 GB/s of a 50 GB/s NIC (DeepEP README, 2025).
constexpr double kAllToAllLinkEfficiency = 0.8;
constexpr double kScaleoutAllReduceLatencyS = 30e-6;
constexpr double kActivationBytes = 2;  // BF16 activations cross the fabric
// AWQ/GPTQ INT4: one FP16 scale per group of 128 weights (Lin et al. 2024, AWQ, sec. 4).
constexpr double kInt4BytesPerWeight = 0.5 + 2.0 / 128;
// NVFP4: one FP8 scale per 16 FP4 values (NVIDIA Blackwell NVFP4 format); MXFP4's E8M0 per 32
// is smaller, so this is the conservative of the two.
constexpr double kFp4BytesPerWeight = 0.5 + 1.0 / 16;
// Grouped expert GEMMs put an expert's tokens on the M dimension in tiles: 64 rows while they fit
// one (Hopper's warpgroup MMA is 64 rows tall), else 128-row tiles (CUTLASS's and TensorRT-LLM's
// MoE grouped GEMMs, Blackwell's 128-row tcgen05 MMA); the last tile of each expert is computed
// whole. Dense decode GEMMs swap operands (TensorRT-LLM, vLLM) and waste little.
constexpr double kGroupedGemmSmallTileRows = 64;
constexpr double kGroupedGemmTileRows = 128;
// Router, top-k, token permutation and un-permutation: four small kernels per MoE layer per
// iteration (vLLM fused_moe, TensorRT-LLM MoE plugin), ~5 us each.
constexpr double kMoeLayerOverheadS = 20e-6;
// (2m) Activation traffic of one routed token copy through the unfused MoE pipeline (vLLM's
// fused_moe, TensorRT-LLM's MoE plugin: permute, grouped GEMM 1, SwiGLU, grouped GEMM 2,
// finalize), BF16, each tensor written once and read once: the permuted input and GEMM 2's
// output, hidden wide (2 x 2 x 2 bytes each per element of hidden), GEMM 1's gate and up outputs
// (2 x expert width) and the activation (1 x), 2 x 2 bytes each per element of expert width.
constexpr double kMoeActivationBytesPerHidden = 8;
constexpr double kMoeActivationBytesPerExpertRow = 12;
// Default price of an accelerator-hour when none is given: catalog::kDefaultCostPolicy (the
// catalog's purchase price in a server, amortized, plus the server's power x PUE).
constexpr const catalog::CostPolicy& kCostPolicy = catalog::kDefaultCostPolicy;
constexpr double kAmortizationYears = kCostPolicy.part_life_years;
constexpr double kSystemCostMultiplier = kCostPolicy.server_price_over_gpus;
constexpr double kPue = kCostPolicy.pue;
constexpr double kUsdPerKwh = kCostPolicy.power_usd_per_kwh;
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

// (2g): the rows an expert's grouped GEMM computes for `tokens` routed tokens: whole tiles.
double GroupedGemmRows(double tokens) {
  if (tokens <= kGroupedGemmSmallTileRows) return kGroupedGemmSmallTileRows;
  return std::ceil(tokens / kGroupedGemmTileRows) * kGroupedGemmTileRows;
}

// (2q): the precisions of attention's Q/K/V projections and of its output projection.
ServePrecision AttentionQkvPrecision(const ServeRequest& r) {
  return r.attention_precision.value_or(r.precision);
}
ServePrecision AttentionOutPrecision(const ServeRequest& r) {
  return r.attention_output_precision.value_or(AttentionQkvPrecision(r));
}

// Attention's weights over all layers: the output projection (heads x value width x hidden)
// and the rest (Q/K/V projections, MLA's low-rank factors and norms).
struct AttentionParams {
  double qkv = 0, out = 0;
};
AttentionParams CountAttentionParams(const model::ModelShape& m) {
  const double value_width = m.is_mla() && m.mla.v_head_dim > 0 ? m.mla.v_head_dim : m.head_size();
  const double out = static_cast<double>(m.num_heads) * value_width * m.hidden;
  const double per_layer = model::CountParams(m).attention_per_layer;
  return {m.num_layers * (per_layer - out), m.num_layers * out};
}

// Whole-model weight bytes: the routed experts and everything else (attention, dense FFNs,
// shared experts, router, embeddings), attention's projections at their own precision (2q).
struct WeightSplit {
  double routed = 0, other = 0;
};
WeightSplit SplitWeights(const ServeRequest& r) {
  const model::ModelShape& shape = r.model;
  const model::ParamCounts counts = model::CountParams(shape);
  const AttentionParams attention = CountAttentionParams(shape);
  const double bytes_per_param = WeightBytesPerParam(r.precision);
  const double routed = NumMoeLayers(shape) * shape.moe.num_experts * counts.expert;
  const double rest = counts.total - routed - attention.qkv - attention.out;
  return {routed * bytes_per_param,
          rest * bytes_per_param + attention.qkv * WeightBytesPerParam(AttentionQkvPrecision(r)) +
              attention.out * WeightBytesPerParam(AttentionOutPrecision(r))};
}

// The share of the layers the fullest pipeline stage holds (1).
double StageFraction(const model::ModelShape& shape, int pp) {
  const int layers = shape.num_layers;
  return static_cast<double>((layers + pp - 1) / pp) / layers;
}

// Schedulers per replica: one, or one per rank under attention DP (each its own batch).
int Schedulers(const ServeLayout& l) { return l.is_attention_dp ? l.tp : 1; }

// KV bytes per token of context of a sequence held on one rank (1).
double KvBytesPerTokenPerGpu(const ServeRequest& r, const ServeLayout& l) {
  const double stage = ServeKvBytesPerToken(r.model, IsKvFp8(r)) * StageFraction(r.model, l.pp);
  if (l.is_attention_dp || r.model.is_mla()) return stage;
  return stage / std::min(l.tp, r.model.kv_heads());
}

// A link and the latency of one small collective on it (3).
struct Link {
  double bytes_per_s = 0, latency_s = 0;
  const char* name = "";
};
// The slowest link a group of `group` consecutive ranks spans: the scale-up domain, PCIe
// within a node past it, the scale-out network past the node.
double PcieBytesPerS(const catalog::Accelerator& gpu) {
  const double link = gpu.scaleup_domain <= 1 ? gpu.scaleup_bytes_per_s : kPcieGen5BytesPerS;
  return kPcieCollectiveEfficiency * link;
}
Link GroupLink(const catalog::Accelerator& gpu, int group) {
  if (group <= gpu.scaleup_domain) return {gpu.scaleup_bytes_per_s, kAllReduceLatencyS, "NVLink"};
  if (group <= gpu.gpus_per_node) {
    return {std::min(gpu.scaleup_bytes_per_s, PcieBytesPerS(gpu)), kPcieAllReduceLatencyS, "PCIe"};
  }
  return {std::min(gpu.scaleup_bytes_per_s, gpu.scaleout_bytes_per_s), kScaleoutAllReduceLatencyS,
          "the scale-out network"};
}

// (3): the two per-layer all-reduces of `tokens` tokens' activations in a stage of `tp` ranks
// holding `layers` layers: a ring runs at its slowest link.
double AllReduceS(const model::ModelShape& shape, const catalog::Accelerator& gpu, int tp,
                  double layers, double tokens) {
  if (tp <= 1) return 0;
  const Link link = GroupLink(gpu, tp);
  const double bytes = tokens * shape.hidden * kActivationBytes;
  const double bus_bytes = 2.0 * (tp - 1) / tp * bytes;
  return 2.0 * layers * (link.latency_s + bus_bytes / link.bytes_per_s);
}

// (3e): dispatch and combine per MoE layer under attention DP. Each rank sends each of its
// tokens once to every other rank holding one of its experts (DeepEP, TensorRT-LLM's
// all-to-all): distinct EP groups hit, g = ep (1 - (1 - 1/ep)^k), times their tp / ep ranks.
// Dispatch carries FP8 activations when the experts run FP8 or FP4 (DeepSeek-V3 report sec. 3.3:
// quantized before dispatch, combined in BF16). The busiest rank's tokens bound it; traffic to
// ranks inside the scale-up domain rides it, the rest the slower link.
double AllToAllS(const ServeRequest& r, const catalog::Accelerator& gpu, const ServeLayout& l,
                 double moe_layers, double busiest_tokens) {
  if (l.tp <= 1 || moe_layers <= 0) return 0;
  const double k = r.model.moe.experts_per_token;
  const double groups_hit = l.ep * (1 - std::pow(1 - 1.0 / l.ep, k));
  const double ranks_hit = std::min<double>(l.tp, groups_hit * (l.tp / l.ep));
  const bool is_quantized =
      r.precision == ServePrecision::kFp8 || r.precision == ServePrecision::kFp4;
  const double dispatch_bytes = is_quantized ? 1 : kActivationBytes;
  const double bytes_per_token =
      ranks_hit * (1 - 1.0 / l.tp) * r.model.hidden * (dispatch_bytes + kActivationBytes);
  const Link outer = GroupLink(gpu, l.tp);
  const double inner_share =
      static_cast<double>(std::min(l.tp, gpu.scaleup_domain) - 1) / (l.tp - 1);
  // The PCIe rate is already what collectives of the server's cards reach (PcieBytesPerS), so
  // the all-to-all's share of a link's peak is not taken from it a second time.
  const bool is_outer_pcie = l.tp > gpu.scaleup_domain && l.tp <= gpu.gpus_per_node;
  const double outer_efficiency = is_outer_pcie ? 1 : kAllToAllLinkEfficiency;
  const double s_per_byte = inner_share / (gpu.scaleup_bytes_per_s * kAllToAllLinkEfficiency) +
                            (1 - inner_share) / (outer.bytes_per_s * outer_efficiency);
  return moe_layers * (2 * outer.latency_s + busiest_tokens * bytes_per_token * s_per_byte);
}

// (2p): one pipeline hand-off of a microbatch of `tokens` tokens, averaged over the pp
// boundaries of a cycle (the last stage's sampled tokens go back to the first). Each rank sends
// its 1/tp of the activations (Megatron-LM's scatter/gather, Narayanan et al. 2021 sec. 4.1);
// boundaries between servers cross the scale-out network.
double HandoffS(const model::ModelShape& shape, const catalog::Accelerator& gpu,
                const ServeLayout& l, double tokens) {
  if (l.pp <= 1) return 0;
  const int server = std::max(gpu.gpus_per_node, gpu.scaleup_domain);
  const int servers = (l.gpus() + server - 1) / server;
  const int crossing = servers > 1 ? std::min(l.pp, servers) : 0;
  const Link inner = GroupLink(gpu, std::min(l.gpus(), server));
  const Link outer = GroupLink(gpu, l.gpus());
  const double bytes = tokens * shape.hidden * kActivationBytes / l.tp;
  const double in_s = inner.latency_s + bytes / inner.bytes_per_s;
  const double out_s = outer.latency_s + bytes / outer.bytes_per_s;
  return (crossing * out_s + (l.pp - crossing) * in_s) / l.pp;
}

double FlopPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu, ServePrecision p) {
  return PeakFlopPerS(gpu, p) * gpu.serve_gemm_efficiency * kServeGemmDerate *
         r.gemm_efficiency_scale;
}
double FlopPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu) {
  return FlopPerSPerGpu(r, gpu, r.precision);
}

// (2q): seconds per token of attention's projection GEMMs on one rank holding all of them (the
// caller divides by the ranks sharing them), and the FLOPs per token they take out of F_w.
struct AttentionGemm {
  double s_per_token = 0, flop_per_token = 0;
};
AttentionGemm AttentionProjectionGemm(const ServeRequest& r, const catalog::Accelerator& gpu) {
  const AttentionParams a = CountAttentionParams(r.model);
  return {2 * a.qkv / FlopPerSPerGpu(r, gpu, AttentionQkvPrecision(r)) +
              2 * a.out / FlopPerSPerGpu(r, gpu, AttentionOutPrecision(r)),
          2 * (a.qkv + a.out)};
}

// Attention runs at the KV cache's precision (FP8 or BF16), never at FP4 or INT8/INT4 weight rates.
// MLA's absorbed decode is the exception (`is_mla_decode`): its query stays BF16 and an FP8 latent
// cache is dequantized to BF16 before the MMAs (FlashMLA's FP8 decoding kernel, "A Deep Dive Into
// The Flash MLA FP8 Decoding Kernel on Hopper", DeepSeek 2025; SGLang's forward_absorb).
double AttentionFlopPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu,
                               bool is_mla_decode) {
  const bool is_fp8 = IsKvFp8(r) && gpu.has_fp8() && !is_mla_decode;
  const double peak = is_fp8 ? gpu.peak_fp8_flop_per_s : gpu.peak_bf16_flop_per_s;
  return peak * gpu.serve_gemm_efficiency * kServeGemmDerate * r.gemm_efficiency_scale;
}

double HbmBytesPerSPerGpu(const ServeRequest& r, const catalog::Accelerator& gpu) {
  return gpu.memory_bandwidth_bytes_per_s *
         std::min(1.0, gpu.serve_hbm_efficiency * kServeHbmScale * r.hbm_efficiency_scale);
}

double MeanContextTokens(const ServeRequest& r) { return r.prompt_tokens + r.output_tokens / 2.0; }

// The integral of x mod c over [0, n) (positions as a continuum, as (first + last) / 2 takes the
// whole-context mean): each whole chunk of c gives c^2 / 2.
double IntegralOfChunkOffsets(double n, double c) {
  const double whole = std::floor(n / c), rest = n - whole * c;
  return (whole * c * c + rest * rest) / 2;
}

}  // namespace

double AttendedContext(const model::ModelShape& m, double first, double last) {
  const double global = (first + last) / 2;
  if (m.attention_chunk <= 0 || !(last > first)) return global;
  const double c = m.attention_chunk;
  const double local =
      (IntegralOfChunkOffsets(last, c) - IntegralOfChunkOffsets(first, c)) / (last - first);
  const double global_share = static_cast<double>(m.num_global_attention_layers) / m.num_layers;
  return global_share * global + (1 - global_share) * local;
}

namespace {

// (2c): the mean context a decoding token attends to, over the positions [S, S + O).
double DecodeAttendedContext(const ServeRequest& r) {
  return AttendedContext(r.model, r.prompt_tokens,
                         static_cast<double>(r.prompt_tokens) + r.output_tokens);
}
// (1): the KV tokens the engine sets aside per sequence in flight: what it holds, or all of its
// output too (KvAdmission).
double AdmittedContextTokens(const ServeRequest& r) {
  return r.kv_admission == KvAdmission::kReserveFull
             ? static_cast<double>(r.prompt_tokens) + r.output_tokens
             : MeanContextTokens(r);
}

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

// (1): the KV budget of the fullest rank; the most sequences a replica holds (0 if the weights
// and one whole sequence do not fit).
double KvBudgetBytes(const ServeRequest& r, const catalog::Accelerator& gpu, const ServeLayout& l) {
  return kServeUsableMemoryFraction * gpu.memory_bytes - ServeWeightBytesPerGpu(r, l);
}

double TokenBudget(const ServeRequest& r, const ServeLayout& l) {
  const int per_scheduler =
      r.max_tokens_per_step > 0 ? r.max_tokens_per_step : kServeMaxTokensPerStep;
  return static_cast<double>(per_scheduler) * Schedulers(l);
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
  // Past this the replica counts overflow int (a rate of 1e300 reached an internal check).
  if (r.requests_per_s > kServeMaxRequestsPerS) {
    return Error{fmt::format("'rps' must be at most {:g} requests/s, got {:g}",
                             kServeMaxRequestsPerS, r.requests_per_s)};
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
  if (r.tensor_parallel < 0 || r.tensor_parallel > kServeMaxTensorParallel) {
    return Error{fmt::format("'tensor_parallel' must be in [0, {}] (0: searched), got {}",
                             kServeMaxTensorParallel, r.tensor_parallel)};
  }
  if (r.max_batch < 0) return Error{fmt::format("'max_batch' must be >= 0, got {}", r.max_batch)};
  if (r.max_tokens_per_step < 0) {
    return Error{fmt::format("'max_tokens_per_step' must be >= 0, got {}", r.max_tokens_per_step)};
  }
  if (r.pipeline_parallel < 0 || r.pipeline_parallel > r.model.num_layers) {
    return Error{fmt::format("'pp' must be between 1 and the model's {} layers, got {}",
                             r.model.num_layers, r.pipeline_parallel)};
  }
  if (r.expert_parallel < 0) {
    return Error{fmt::format("'ep' must be >= 0, got {}", r.expert_parallel)};
  }
  if (r.expert_parallel > 1 && !r.model.is_moe()) {
    return Error{fmt::format("'ep' {} needs a MoE model; '{}' is dense", r.expert_parallel,
                             r.model.name.empty() ? "model" : r.model.name)};
  }
  if (r.expert_parallel > 0 && r.model.is_moe() && r.model.moe.num_experts % r.expert_parallel) {
    return Error{fmt::format("'ep' {} must divide the {} experts", r.expert_parallel,
                             r.model.moe.num_experts)};
  }
  if (r.expert_parallel > 0 && r.tensor_parallel > 0 && r.tensor_parallel % r.expert_parallel) {
    return Error{fmt::format(
        "'ep' {} must divide 'tp' {}: the experts of a stage are split over its tp ranks",
        r.expert_parallel, r.tensor_parallel)};
  }
  if (r.attention_dp == AttentionDp::kOn && !r.model.is_moe()) {
    return Error{
        "attention data-parallel needs a MoE model: a dense model's data parallelism is separate "
        "replicas"};
  }
  if (r.expert_imbalance != 0 && !(r.expert_imbalance >= 1 && r.expert_imbalance <= 64)) {
    return Error{fmt::format("'expert imbalance' must be between 1 and 64 (max over mean), got {}",
                             r.expert_imbalance)};
  }
  if (!(r.gemm_efficiency_scale > 0) || !(r.hbm_efficiency_scale > 0)) {
    return Error{"efficiency scales must be > 0"};
  }
  if (r.precision == ServePrecision::kFp8 && !RunsPrecision(r.precision, gpu)) {
    return Error{fmt::format(
        "accelerator '{}' has no FP8 support; use --precision bf16, int8 or int4", gpu.id)};
  }
  if (r.precision == ServePrecision::kFp4 && !RunsPrecision(r.precision, gpu)) {
    return Error{fmt::format(
        "accelerator '{}' has no FP4 support (no published FP4 rate); use --precision fp8 or "
        "int4",
        gpu.id)};
  }
  for (const auto& [name, p] :
       {std::pair<const char*, std::optional<ServePrecision>>{"attention", r.attention_precision},
        {"attention output", r.attention_output_precision}}) {
    if (p && !RunsPrecision(*p, gpu)) {
      return Error{fmt::format("accelerator '{}' cannot run {} projections at {}", gpu.id, name,
                               ToString(*p))};
    }
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

// The widest TP within one server: the scale-up domain, or the node where the domain is smaller
// (TP over PCIe, as MLPerf's L40S and H100 NVL systems run).
int MaxTp(const catalog::Accelerator& gpu) {
  return std::min(kMaxServeTp, std::max(gpu.scaleup_domain, gpu.gpus_per_node));
}

// TP degrees in [min_tp, max_tp] to try: powers of two that divide the head count, or the
// request's (tried once, in the first band).
std::vector<int> TpCandidates(const ServeRequest& r, int min_tp, int max_tp) {
  if (r.tensor_parallel > 0) {
    if (min_tp > 1) return {};
    return {r.tensor_parallel};
  }
  std::vector<int> tps;
  for (int tp = 1; tp <= max_tp; tp *= 2) {
    if (tp >= min_tp && r.model.num_heads % tp == 0) tps.push_back(tp);
  }
  return tps;
}

// Expert-parallel degrees for a stage of `tp` ranks: the request's, else every divisor of tp that
// divides the expert count (the experts of a stage split over its ranks); 1 for dense models.
std::vector<int> EpCandidates(const ServeRequest& r, int tp) {
  if (r.expert_parallel > 0) {
    if (tp % r.expert_parallel) return {};
    return {r.expert_parallel};
  }
  if (!r.model.is_moe()) return {1};
  std::vector<int> eps;
  for (int ep = 1; ep <= tp; ++ep) {
    if (tp % ep == 0 && r.model.moe.num_experts % ep == 0) eps.push_back(ep);
  }
  return eps;
}

// Layouts to try at `pp` stages of TP degrees in [min_tp, max_tp]: each with every expert-parallel
// degree (MoE) and attention DP off or on (MLA MoE models, tp > 1), unless the request fixes them.
std::vector<ServeLayout> Layouts(const ServeRequest& r, int pp, int min_tp, int max_tp) {
  std::vector<ServeLayout> out;
  for (int tp : TpCandidates(r, min_tp, max_tp)) {
    std::vector<bool> dps;
    if (r.attention_dp == AttentionDp::kOn) {
      dps = {true};
    } else if (r.attention_dp == AttentionDp::kAuto && r.model.is_moe() && r.model.is_mla() &&
               tp > 1) {
      dps = {false, true};
    } else {
      dps = {false};
    }
    for (int ep : EpCandidates(r, tp)) {
      for (bool dp : dps) out.push_back({.tp = tp, .pp = pp, .ep = ep, .is_attention_dp = dp});
    }
  }
  return out;
}

// Pipeline depths to try: the request's, else 1, then (only when no single-stage layout within a
// server holds the model) the fewest of 2, 4, 8, 16 stages that does.
std::vector<int> PpCandidates(const ServeRequest& r) {
  if (r.pipeline_parallel > 0) return {r.pipeline_parallel};
  std::vector<int> pps;
  for (int pp = 1; pp <= 16 && pp <= r.model.num_layers; pp *= 2) pps.push_back(pp);
  return pps;
}

struct Candidate {
  ServeLayout layout;
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

bool RunsPrecision(ServePrecision p, const catalog::Accelerator& gpu) {
  if (p == ServePrecision::kFp8) return gpu.has_fp8();
  if (p == ServePrecision::kFp4) return gpu.peak_fp4_flop_per_s > 0;
  return true;
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

Result<KvAdmission> ParseKvAdmission(std::string_view text) {
  if (text == "current") return KvAdmission::kCurrent;
  if (text == "reserve") return KvAdmission::kReserveFull;
  return Error{fmt::format("unknown KV admission '{}'; valid: current, reserve", text)};
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

double ServeWeightBytesPerGpu(const ServeRequest& r, const ServeLayout& l) {
  const WeightSplit w = SplitWeights(r);
  const double stage = StageFraction(r.model, l.pp);
  // Attention DP keeps a full copy of everything but the routed experts on every rank.
  if (l.is_attention_dp) return stage * (w.other + w.routed / l.tp);
  return stage * (w.other + w.routed) / l.tp;
}

int ServeMaxSequences(const ServeRequest& r, const catalog::Accelerator& gpu,
                      const ServeLayout& l) {
  const double budget = KvBudgetBytes(r, gpu, l);
  const double per_token = KvBytesPerTokenPerGpu(r, l);
  if (budget < per_token * (r.prompt_tokens + r.output_tokens)) return 0;
  const double by_memory =
      std::floor(budget / (per_token * AdmittedContextTokens(r))) * Schedulers(l);
  const double cap =
      static_cast<double>(r.max_batch > 0 ? r.max_batch : kServeDefaultMaxBatch) * Schedulers(l);
  return static_cast<int>(std::min(by_memory, cap));
}

double ServeExpertImbalance(const ServeRequest& r, int ep, double tokens) {
  if (ep <= 1 || !r.model.is_moe()) return 1;
  if (r.expert_imbalance > 0) return r.expert_imbalance;
  // Picks per rank are multinomial, mean mu and variance mu (1 - 1/ep); the largest of ep is
  // about Blom's expected maximum of ep normals, z = Phi^-1((ep - 0.375) / (ep + 0.25)).
  const double mu = std::max(tokens, 1.0) * r.model.moe.experts_per_token / ep;
  const double z = NormalQuantile((ep - 0.375) / (ep + 0.25));
  return std::min(static_cast<double>(ep), 1 + z * std::sqrt((1 - 1.0 / ep) / mu));
}

namespace {

// (2a): decode attention FLOPs per token at context c. MLA decodes in its absorbed form
// (DeepSeek-V2 report sec. 2.1.3; FlashMLA): each head's query meets the cached latent itself,
// scores over d_c + d_r and values over d_c, 2 c h (2 d_c + d_r) per layer, 3.4x the expanded
// form for DeepSeek-V3; prefill keeps the expanded form (ForwardAttentionFlopPerToken).
double DecodeAttentionFlopPerToken(const model::ModelShape& m, double context) {
  if (!m.is_mla()) return model::ForwardAttentionFlopPerToken(m, static_cast<int>(context));
  return m.num_layers * 2.0 * context * m.num_heads *
         (2.0 * m.mla.kv_lora_rank + m.mla.qk_rope_head_dim);
}

// (2d): under attention DP a prompt is prefilled on the one rank that holds its sequence, in
// chunks of what that rank's budget leaves, c1 = budget / tp - D / tp; every MoE layer's
// all-to-all waits for the busiest rank. With each rank prefilling a chunk in a given iteration
// with probability q = (p / tp) / c1, the busiest rank's prefill is c1 (1 - (1 - q)^tp) tokens
// (the expected maximum over tp ranks), against p / tp on average.
double BusiestRankPrefill(const ServeRequest& r, const ServeLayout& l, double decode_seqs,
                          double prefill_tokens) {
  const double mean = prefill_tokens / l.tp;
  if (mean <= 0) return 0;
  const double chunk =
      std::max(mean, TokenBudget(r, l) / Schedulers(l) / l.pp - decode_seqs / l.tp);
  const double q = std::min(1.0, mean / chunk);
  return std::max(mean, chunk * (1 - std::pow(1 - q, l.tp)));
}

// (2) for one pipeline stage holding `stage` of the layers, carrying `decode_seqs` decoding
// sequences and `prefill_tokens` prompt tokens (one microbatch), on its busiest rank.
struct StageTerms {
  double weights_s = 0, gemm_s = 0, attention_s = 0, fixed_s = 0, collective_s = 0;
  double total() const { return weights_s + gemm_s + attention_s + fixed_s + collective_s; }
};
StageTerms StageStep(const ServeRequest& r, const catalog::Accelerator& gpu, const ServeLayout& l,
                     double decode_seqs, double prefill_tokens) {
  const model::ModelShape& m = r.model;
  const double stage = StageFraction(m, l.pp);
  const double tokens = decode_seqs + prefill_tokens;
  const double hbm = HbmBytesPerSPerGpu(r, gpu);
  const double flop_per_s = FlopPerSPerGpu(r, gpu);
  const double attention_flop_per_s = AttentionFlopPerSPerGpu(r, gpu, false);
  const double decode_attention_flop_per_s = AttentionFlopPerSPerGpu(r, gpu, m.is_mla());
  const WeightSplit w = SplitWeights(r);
  // (2q): attention's projections at their own rate, the other weight GEMMs at the weights'.
  const AttentionGemm attention_gemm = AttentionProjectionGemm(r, gpu);
  const double per_token_flop = model::ForwardWeightFlopPerToken(m) - attention_gemm.flop_per_token;
  StageTerms t;
  // Everything but the routed experts: split over tp ranks, or a full copy each under attention
  // DP, where each rank computes full-width GEMMs on its own tokens: its decode sequences and
  // the prompt chunks it prefills (2d).
  double read_bytes = stage * w.other / (l.is_attention_dp ? 1 : l.tp);
  const double rank_tokens =
      l.is_attention_dp ? decode_seqs / l.tp + BusiestRankPrefill(r, l, decode_seqs, prefill_tokens)
                        : tokens / l.tp;
  double gemm_flop = 0, expert_flop = 0;
  const double moe_layers = stage * NumMoeLayers(m);
  if (m.is_moe()) {
    // (2e): the busiest rank holds E / ep experts, each split tp / ep ways, and carries
    // `imbalance` times the mean routed tokens.
    const model::ParamCounts counts = model::CountParams(m);
    const double k = m.moe.experts_per_token;
    const double moe_tp = static_cast<double>(l.tp) / l.ep;
    const double imbalance = ServeExpertImbalance(r, l.ep, tokens);
    const double expert_bytes = counts.expert * WeightBytesPerParam(r.precision);
    const double touched_read = TouchedExperts(m, std::max(tokens, 1.0));
    const double local_read =
        std::min<double>(m.moe.num_experts / l.ep, imbalance * touched_read / l.ep);
    read_bytes += moe_layers * local_read * expert_bytes / moe_tp;
    const double other_flop_per_token = per_token_flop - 2 * NumMoeLayers(m) * k * counts.expert;
    gemm_flop = stage * rank_tokens * other_flop_per_token;
    if (tokens > 0) {
      // (2g): each touched expert computes its tokens in whole tiles.
      const double touched = TouchedExperts(m, tokens);
      const double rows = GroupedGemmRows(tokens * k / touched);
      expert_flop = 2 * counts.expert * moe_layers * imbalance * touched / l.ep * rows / moe_tp;
    }
    // (2m): every routed copy of a token passes through HBM between the MoE kernels.
    const double copies = tokens * k * imbalance / l.ep;
    const double copy_bytes = kMoeActivationBytesPerHidden * m.hidden +
                              kMoeActivationBytesPerExpertRow * m.moe.expert_ffn_hidden / moe_tp;
    t.fixed_s = moe_layers * (kMoeLayerOverheadS + copies * copy_bytes / hbm);
  } else {
    gemm_flop = stage * rank_tokens * per_token_flop;
  }
  t.weights_s = read_bytes / hbm;
  t.gemm_s =
      (gemm_flop + expert_flop) / flop_per_s + stage * rank_tokens * attention_gemm.s_per_token;
  const double context = DecodeAttendedContext(r);
  const double seqs_per_rank = l.is_attention_dp ? decode_seqs / l.tp : decode_seqs;
  const double decode_attention_s =
      std::max(seqs_per_rank * context * KvBytesPerTokenPerGpu(r, l) / hbm,
               stage * decode_seqs * DecodeAttentionFlopPerToken(m, context) /
                   (l.tp * decode_attention_flop_per_s));
  const double rank_prefill =
      l.is_attention_dp ? rank_tokens - decode_seqs / l.tp : prefill_tokens / l.tp;
  const double prefill_attention_s =
      stage * rank_prefill *
      model::ForwardAttentionFlopPerToken(
          m, static_cast<int>(std::max(1.0, AttendedContext(m, 0, r.prompt_tokens)))) /
      attention_flop_per_s;
  t.attention_s = decode_attention_s + prefill_attention_s;
  t.collective_s = l.is_attention_dp ? AllToAllS(r, gpu, l, moe_layers, rank_tokens)
                                     : AllReduceS(m, gpu, l.tp, stage * m.num_layers, tokens);
  return t;
}

bool IsComputeBound(const ServeRequest& r, const catalog::Accelerator& gpu, const ServeLayout& l,
                    double decode_seqs, double prefill_tokens) {
  const StageTerms t = StageStep(r, gpu, l, decode_seqs / l.pp, prefill_tokens / l.pp);
  return t.gemm_s > t.weights_s;
}

void SetLayout(ServePoint& p, const ServeRequest& r, const ServeLayout& l, double tokens) {
  p.tp = l.tp;
  p.pp = l.pp;
  p.ep = l.ep;
  p.is_attention_dp = l.is_attention_dp;
  p.expert_imbalance = ServeExpertImbalance(r, l.ep, tokens / l.pp);
}

}  // namespace

// (2p): pp stages run pp microbatches round-robin (vLLM's virtual engines, TensorRT-LLM's
// micro-batches); a decode token of each waits for its microbatch to pass every stage, so one
// iteration of the whole batch is pp x (stage step of 1/pp of it + hand-off). The weight-read
// floor of each stage is paid per microbatch: pipeline stages cut memory per accelerator, never
// the per-token latency of memory-bound decode (the pipeline's bubble).
double ServeStepS(const ServeRequest& r, const catalog::Accelerator& gpu, const ServeLayout& l,
                  double decode_seqs, double prefill_tokens) {
  GPUPLAN_CHECK(l.tp >= 1 && l.pp >= 1 && l.ep >= 1 && l.tp % l.ep == 0)
      << "layout tp " << l.tp << " pp " << l.pp << " ep " << l.ep;
  const double decode = decode_seqs / l.pp, prefill = prefill_tokens / l.pp;
  const StageTerms t = StageStep(r, gpu, l, decode, prefill);
  return l.pp * (t.total() + HandoffS(r.model, gpu, l, decode + prefill));
}

double ServeStepS(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                  double decode_seqs, double prefill_tokens) {
  return ServeStepS(r, gpu, ServeLayout{.tp = tp}, decode_seqs, prefill_tokens);
}

ServePoint EvaluateServeOffline(const ServeRequest& r, const catalog::Accelerator& gpu,
                                const ServeLayout& l) {
  ServePoint p;
  const double ratio = static_cast<double>(r.prompt_tokens) / r.output_tokens;
  const double by_budget = std::max(1.0, std::floor(TokenBudget(r, l) / (1 + ratio)));
  const int max_seqs = ServeMaxSequences(r, gpu, l);
  const double seqs = std::min<double>(std::max(1, max_seqs), by_budget);
  const double prefill = seqs * ratio;
  const double step = ServeStepS(r, gpu, l, seqs, prefill);
  SetLayout(p, r, l, seqs + prefill);
  p.batch = static_cast<int>(seqs);
  p.decode_step_s = step;
  p.prefill_s = ServeStepS(r, gpu, l, 0, r.prompt_tokens);
  p.ttft_s = p.prefill_s;
  p.tpot_s = step;
  p.e2e_s = p.prefill_s + (r.output_tokens - 1) * step;
  p.requests_per_s = seqs / (r.output_tokens * step);
  p.output_tokens_per_s = p.requests_per_s * r.output_tokens;
  p.is_decode_compute_bound = IsComputeBound(r, gpu, l, seqs, prefill);
  p.limit = seqs >= by_budget ? "token budget" : "kv-cache";
  const int cap = (r.max_batch > 0 ? r.max_batch : kServeDefaultMaxBatch) * Schedulers(l);
  if (r.max_batch > 0 && seqs == cap) p.limit = "max batch";
  return p;
}

ServePoint EvaluateServeOffline(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  return EvaluateServeOffline(r, gpu, ServeLayout{.tp = tp});
}

ServePoint EvaluateServeLoad(const ServeRequest& r, const catalog::Accelerator& gpu,
                             const ServeLayout& l, double rate) {
  GPUPLAN_CHECK(rate > 0) << "rate " << rate;
  ServePoint p;
  SetLayout(p, r, l, 1);
  const double seq_cap = ServeMaxSequences(r, gpu, l);
  const double budget = TokenBudget(r, l);
  const double S = r.prompt_tokens, O = r.output_tokens;
  // (5): the mean iteration T = T(rate O T, rate S T), below the caps.
  auto excess = [&](double t) { return ServeStepS(r, gpu, l, rate * O * t, rate * S * t) - t; };
  const double t_lo = ServeStepS(r, gpu, l, 0, 0);
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
  SetLayout(p, r, l, decode + prefill);
  p.batch = static_cast<int>(std::lround(decode));
  p.decode_step_s = step;
  p.requests_per_s = rate;
  p.output_tokens_per_s = rate * O;
  p.prefill_s = ServeStepS(r, gpu, l, 0, S);
  p.is_decode_compute_bound = IsComputeBound(r, gpu, l, decode, prefill);
  if (decode + z * std::sqrt(decode) > seq_cap) {
    p.limit = "kv-cache";
    p.requests_per_s = 0;
    return p;
  }
  // TPOT at the quantile: the spread of the load over a request's life.
  const double base = ServeStepS(r, gpu, l, decode, prefill);
  const double a_decode = ServeStepS(r, gpu, l, decode + 1, prefill) - base;
  const double a_prefill = (ServeStepS(r, gpu, l, decode, prefill + S) - base) / S;
  const double prompt_sq = S * S + r.prompt_tokens_std * r.prompt_tokens_std;
  const double tpot_sigma = std::sqrt(a_decode * a_decode * (2.0 / 3.0) * decode +
                                      a_prefill * a_prefill * decode * prompt_sq / (O * O));
  p.tpot_s = step + z * tpot_sigma;
  // TTFT at the quantile: the prefill queue. Under attention DP a prompt is chunked by its own
  // rank's share of the budget.
  const double cap = budget - decode;
  const double cap_one = cap / Schedulers(l);
  const double rho = prefill / cap;
  const double service_sq = prompt_sq / (cap * cap) * step * step;
  const double wait_mean = rate * service_sq / (2 * (1 - rho));
  const double wait_q =
      rho > 1 - r.latency_quantile ? wait_mean / rho * std::log(rho / (1 - r.latency_quantile)) : 0;
  const double prompt_q = S + z * r.prompt_tokens_std;
  const double prefill_step =
      ServeStepS(r, gpu, l, decode, std::min(prompt_q, cap_one) * Schedulers(l));
  p.ttft_s = wait_q + step + std::ceil(prompt_q / cap_one) * prefill_step;
  const double output_q = std::max(1.0, O + z * r.output_tokens_std);
  p.e2e_s = p.ttft_s + (output_q - 1) * p.tpot_s;
  p.limit = "";
  return p;
}

ServePoint EvaluateServeLoad(const ServeRequest& r, const catalog::Accelerator& gpu, int tp,
                             double rate) {
  return EvaluateServeLoad(r, gpu, ServeLayout{.tp = tp}, rate);
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

ServePoint ServeCapacity(const ServeRequest& r, const catalog::Accelerator& gpu,
                         const ServeLayout& l) {
  const ServePoint offline = EvaluateServeOffline(r, gpu, l);
  if (!HasTargets(r)) return offline;
  const double top = offline.requests_per_s;
  ServePoint at_top = EvaluateServeLoad(r, gpu, l, top * (1 - 1e-9));
  if (MeetsTargets(r, at_top)) {
    at_top.limit = offline.limit;
    return at_top;
  }
  double lo = top * 1e-6;
  if (!MeetsTargets(r, EvaluateServeLoad(r, gpu, l, lo))) {
    ServePoint none;
    SetLayout(none, r, l, 1);
    return none;
  }
  double hi = top;
  for (int i = 0; i < 50 && hi - lo > 1e-4 * lo; ++i) {
    const double mid = std::sqrt(lo * hi);
    (MeetsTargets(r, EvaluateServeLoad(r, gpu, l, mid)) ? lo : hi) = mid;
  }
  ServePoint p = EvaluateServeLoad(r, gpu, l, lo);
  p.limit = BindingLimit(r, EvaluateServeLoad(r, gpu, l, hi));
  return p;
}

ServePoint ServeCapacity(const ServeRequest& r, const catalog::Accelerator& gpu, int tp) {
  return ServeCapacity(r, gpu, ServeLayout{.tp = tp});
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

double AmortizedUsdPerGpuHour(const catalog::Accelerator& gpu, const catalog::CostPolicy& policy) {
  return catalog::CostPerGpuHour(policy, gpu).total_usd();
}

std::string_view ToString(ServeStatus s) {
  switch (s) {
    case ServeStatus::kOk:
      return "ok";
    case ServeStatus::kDoesNotFit:
      return "does_not_fit";
    case ServeStatus::kLatencyUnreachable:
      return "latency_unreachable";
  }
  return "ok";
}

namespace {

std::string LayoutText(const ServeLayout& l) {
  std::string text = fmt::format("tp {}", l.tp);
  if (l.pp > 1) text += fmt::format(" pp {}", l.pp);
  if (l.ep > 1) text += fmt::format(" ep {}", l.ep);
  if (l.is_attention_dp) text += " attention-dp";
  return text;
}

int NodesPerReplica(const catalog::Accelerator& gpu, const ServeLayout& l) {
  const int per_node = std::max(1, gpu.gpus_per_node);
  return (l.gpus() + per_node - 1) / per_node;
}

}  // namespace

Result<ServePlan> PlanServing(const ServeRequest& r, const catalog::Accelerator& gpu) {
  GPUPLAN_TRY(CheckRequest(r, gpu));
  const std::string model_name = r.model.name.empty() ? "model" : r.model.name;
  ServePlan plan;
  plan.model = model_name;
  plan.accelerator = gpu.id;
  plan.precision = r.precision;
  plan.is_kv_cache_fp8 = IsKvFp8(r);
  plan.prompt_tokens = r.prompt_tokens;
  plan.output_tokens = r.output_tokens;
  plan.latency_quantile = r.latency_quantile;
  plan.kv_bytes_per_token = ServeKvBytesPerToken(r.model, IsKvFp8(r));
  plan.usable_bytes_per_gpu = kServeUsableMemoryFraction * gpu.memory_bytes;

  std::vector<Candidate> fits;         // weights and one whole sequence fit
  std::vector<Candidate> feasible;     // and some rate meets the targets
  std::optional<ServeLayout> leanest;  // the layout with the least memory per accelerator
  // More stages, or TP across servers, only to hold what one server's stage cannot; then both
  // compete (TP over the scale-out network against pipeline hand-offs).
  bool is_held = false;
  for (int pp : PpCandidates(r)) {
    if (is_held) break;
    std::vector<ServeLayout> layouts = Layouts(r, pp, 1, MaxTp(gpu));
    const size_t within = layouts.size();
    if (pp == PpCandidates(r).front()) {
      // After the single-stage layouts within a server: TP spanning servers, tried once.
      for (const ServeLayout& l : Layouts(r, pp, 2 * MaxTp(gpu), kMaxServeTp)) layouts.push_back(l);
    }
    for (size_t i = 0; i < layouts.size(); ++i) {
      const ServeLayout& l = layouts[i];
      if (i >= within && is_held) break;
      if (r.num_gpus > 0 && l.gpus() > r.num_gpus) continue;
      ++plan.configs_evaluated;
      const double need = ServeWeightBytesPerGpu(r, l) +
                          KvBytesPerTokenPerGpu(r, l) * (r.prompt_tokens + r.output_tokens);
      if (!leanest || need < plan.required_bytes_per_gpu) {
        leanest = l;
        plan.required_bytes_per_gpu = need;
      }
      Candidate c;
      c.layout = l;
      c.max_batch = ServeMaxSequences(r, gpu, l);
      c.kv_budget_bytes = std::max(0.0, KvBudgetBytes(r, gpu, l));
      if (c.max_batch == 0) continue;
      if (i < within) is_held = true;
      fits.push_back(c);
      c.capacity = ServeCapacity(r, gpu, l);
      if (c.capacity.requests_per_s <= 0) continue;
      c.offline_requests_per_s = EvaluateServeOffline(r, gpu, l).requests_per_s;
      feasible.push_back(c);
    }
  }
  if (fits.empty()) {
    plan.status = ServeStatus::kDoesNotFit;
    if (!leanest) {
      plan.status_message = fmt::format("no layout of '{}' fits within {} accelerators on '{}'",
                                        model_name, r.num_gpus, gpu.id);
      return plan;
    }
    plan.point.tp = leanest->tp;
    plan.point.pp = leanest->pp;
    plan.point.ep = leanest->ep;
    plan.point.is_attention_dp = leanest->is_attention_dp;
    plan.weight_bytes_per_gpu = ServeWeightBytesPerGpu(r, *leanest);
    plan.status_message = fmt::format(
        "model '{}' ({:.0f} GB of weights in {}) fits no layout on '{}'{}: the leanest, {}, needs "
        "{:.1f} GB per accelerator for weights and one {}-token sequence, and {:.0f} GB x {:.0f}% "
        "= {:.1f} GB is usable; try a smaller --precision, a larger accelerator, --pp, or more "
        "--gpus",
        model_name, ServeWeightBytes(r.model, r.precision) / 1e9, ToString(r.precision), gpu.id,
        r.num_gpus > 0 ? fmt::format(" within {} accelerators", r.num_gpus) : std::string(),
        LayoutText(*leanest), plan.required_bytes_per_gpu / 1e9, r.prompt_tokens + r.output_tokens,
        gpu.memory_bytes / 1e9, kServeUsableMemoryFraction * 100, plan.usable_bytes_per_gpu / 1e9);
    return plan;
  }
  if (feasible.empty()) {
    // The fastest any fitting layout gets: a light load at the widest.
    const Candidate& widest = *std::max_element(
        fits.begin(), fits.end(),
        [](const Candidate& a, const Candidate& b) { return a.layout.tp < b.layout.tp; });
    const double light = EvaluateServeOffline(r, gpu, widest.layout).requests_per_s * 1e-6;
    const ServePoint best = EvaluateServeLoad(r, gpu, widest.layout, light);
    auto target = [](double s) { return std::isfinite(s) ? Ms(s) : std::string("none"); };
    plan.status = ServeStatus::kLatencyUnreachable;
    plan.point = best;
    plan.max_batch = widest.max_batch;
    plan.weight_bytes_per_gpu = ServeWeightBytesPerGpu(r, widest.layout);
    plan.status_message = fmt::format(
        "latency targets unreachable for '{}' on '{}': at p{:g} the best is ttft {}, tpot {} and "
        "e2e {} ({}, light load); targets ttft {}, tpot {}, e2e {}",
        model_name, gpu.id, r.latency_quantile * 100, Ms(best.ttft_s), Ms(best.tpot_s),
        Ms(best.e2e_s), LayoutText(widest.layout), target(r.ttft_target_s), target(r.tpot_target_s),
        target(r.e2e_target_s));
    return plan;
  }

  std::optional<Candidate> chosen;
  int best_replicas = 0;
  for (const Candidate& c : feasible) {
    const double rate = c.capacity.requests_per_s;
    const int size = c.layout.gpus();
    if (r.requests_per_s > 0) {
      // A layout needing more replicas than an int counts (GPUs included) is no answer.
      if (r.requests_per_s / rate * size > kServeMaxGpus) continue;
      // The fewest accelerators; among equals, the most capacity (headroom at the load).
      const int replicas = static_cast<int>(std::ceil(r.requests_per_s / rate - 1e-9));
      const int best = chosen ? best_replicas * chosen->layout.gpus() : 0;
      if (!chosen || replicas * size < best ||
          (replicas * size == best &&
           replicas * rate > best_replicas * chosen->capacity.requests_per_s)) {
        chosen = c;
        best_replicas = replicas;
      }
    } else {
      const int replicas = r.num_gpus / size;
      if (!chosen || replicas * rate > best_replicas * chosen->capacity.requests_per_s) {
        chosen = c;
        best_replicas = replicas;
      }
    }
  }
  if (!chosen) {
    return Error{fmt::format("serving {:g} requests/s on '{}' needs more than {:g} accelerators",
                             r.requests_per_s, gpu.id, kServeMaxGpus)};
  }
  const Candidate& c = *chosen;
  const ServeLayout& layout = c.layout;
  plan.replicas = best_replicas;
  plan.gpus = best_replicas * layout.gpus();
  plan.nodes_per_replica = NodesPerReplica(gpu, layout);
  plan.max_batch = c.max_batch;
  plan.capacity_requests_per_s = best_replicas * c.capacity.requests_per_s;
  plan.offline_requests_per_s = best_replicas * c.offline_requests_per_s;
  if (r.requests_per_s > 0) {
    const double share = r.requests_per_s / best_replicas;
    plan.point = EvaluateServeLoad(r, gpu, layout, std::min(share, c.capacity.requests_per_s));
    plan.point.limit = c.capacity.limit;
    plan.requests_per_s = r.requests_per_s;
  } else {
    plan.point = c.capacity;
    plan.requests_per_s = plan.capacity_requests_per_s;
  }
  plan.output_tokens_per_s = plan.requests_per_s * r.output_tokens;
  plan.output_tokens_per_s_per_gpu = plan.output_tokens_per_s / plan.gpus;
  plan.weight_bytes_per_gpu = ServeWeightBytesPerGpu(r, layout);
  plan.expert_bytes_per_gpu =
      StageFraction(r.model, layout.pp) * SplitWeights(r).routed / layout.tp;
  plan.kv_cache_bytes_per_gpu = c.kv_budget_bytes;
  plan.required_bytes_per_gpu = plan.weight_bytes_per_gpu + KvBytesPerTokenPerGpu(r, layout) *
                                                                (r.prompt_tokens + r.output_tokens);

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
        "over {} years, plus {:.0f} W (its server's share) x PUE {} at ${:.2f}/kWh; override "
        "with --usd-per-gpu-hour",
        gpu.price_usd, kSystemCostMultiplier, kAmortizationYears,
        gpu.tdp_w * kCostPolicy.server_power_over_tdp, kPue, kUsdPerKwh));
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
  if (r.kv_admission == KvAdmission::kReserveFull) {
    plan.notes.push_back(
        "KV admission reserve: each sequence in flight holds room for its whole output "
        "(TensorRT-LLM's GUARANTEED_NO_EVICT)");
  }
  if (r.model.attention_chunk > 0) {
    const int total = r.prompt_tokens + r.output_tokens;
    plan.notes.push_back(fmt::format(
        "chunked local attention: {} of the {} layers attend within {}-token chunks{}; the KV "
        "cache still holds the whole context",
        r.model.num_layers - r.model.num_global_attention_layers, r.model.num_layers,
        r.model.attention_chunk,
        total > r.model.attention_chunk ? " (a shorter attended context past the first chunk)"
                                        : " (no effect below one chunk)"));
  }
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
  if (layout.tp > gpu.scaleup_domain) {
    plan.notes.push_back(
        fmt::format("tp {} exceeds the {}-accelerator scale-up domain: its {} cross {}", layout.tp,
                    gpu.scaleup_domain, layout.is_attention_dp ? "all-to-alls" : "all-reduces",
                    GroupLink(gpu, layout.tp).name));
  }
  if (layout.pp > 1) {
    plan.notes.push_back(fmt::format(
        "pp {}: {} microbatches take turns on the stages; each stage reads its weights per "
        "microbatch, so decode is no faster per token than on one stage (the pipeline bubble)",
        layout.pp, layout.pp));
  }
  if (layout.ep > 1) {
    plan.notes.push_back(fmt::format(
        "ep {}: {} experts per rank, the busiest rank carries {:.2f}x the mean routed tokens ({})",
        layout.ep, r.model.moe.num_experts / layout.ep, plan.point.expert_imbalance,
        r.expert_imbalance > 0 ? "as given" : "uniform routing, balls into bins; real skew adds"));
  }
  if (layout.is_attention_dp) {
    plan.notes.push_back(fmt::format(
        "attention data-parallel over {} ranks: each holds the attention, dense and shared weights "
        "and its own sequences' KV cache{}; the routed experts are split, an all-to-all per MoE "
        "layer",
        layout.tp, r.model.is_mla() ? " (the MLA latent once per sequence, not per rank)" : ""));
  }
  if (plan.nodes_per_replica > 1) {
    plan.notes.push_back(fmt::format(
        "a replica spans {} servers of {}: traffic between them crosses the scale-out network at "
        "{:.0f} GB/s per accelerator",
        plan.nodes_per_replica, gpu.gpus_per_node, gpu.scaleout_bytes_per_s / 1e9));
  }
  if (r.num_gpus > plan.gpus) {
    plan.notes.push_back(fmt::format("{} of the {} accelerators stay idle: replicas take {} each",
                                     r.num_gpus - plan.gpus, r.num_gpus, layout.gpus()));
  }
  return plan;
}

Result<ServePlan> SizeServing(const ServeRequest& r, const catalog::Accelerator& gpu) {
  auto plan = PlanServing(r, gpu);
  GPUPLAN_TRY(plan);
  if (plan->status != ServeStatus::kOk) return Error{plan->status_message};
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
  j["status"] = ToString(p.status);
  if (p.status != ServeStatus::kOk) {
    // The layout it was judged at: the leanest (does_not_fit) or the widest that fits.
    j["status_message"] = p.status_message;
    j["tp"] = p.point.tp;
    j["pp"] = p.point.pp;
    j["ep"] = p.point.ep;
    j["attention_dp"] = p.point.is_attention_dp;
    j["required_gib_per_gpu"] = p.required_bytes_per_gpu / kJsonBytesPerGib;
    j["usable_gib_per_gpu"] = p.usable_bytes_per_gpu / kJsonBytesPerGib;
    j["configs_evaluated"] = p.configs_evaluated;
    if (p.status == ServeStatus::kLatencyUnreachable) {
      j["ttft_ms"] = p.point.ttft_s * kJsonMsPerS;
      j["tpot_ms"] = p.point.tpot_s * kJsonMsPerS;
      j["e2e_ms"] = p.point.e2e_s * kJsonMsPerS;
    }
    j["notes"] = p.notes;
    return j;
  }
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
  j["pp"] = p.point.pp;
  j["ep"] = p.point.ep;
  j["attention_dp"] = p.point.is_attention_dp;
  j["expert_imbalance"] = p.point.expert_imbalance;
  j["nodes_per_replica"] = p.nodes_per_replica;
  j["configs_evaluated"] = p.configs_evaluated;
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
  j["experts_gib_per_gpu"] = p.expert_bytes_per_gpu / kJsonBytesPerGib;
  j["required_gib_per_gpu"] = p.required_bytes_per_gpu / kJsonBytesPerGib;
  j["usable_gib_per_gpu"] = p.usable_bytes_per_gpu / kJsonBytesPerGib;
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
