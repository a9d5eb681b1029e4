// Training sizing: FLOPs, memory per GPU and step time of one parallel layout, and the search for
// the fastest layout that fits.
//
// Sets and parameters. A decoder of L layers, hidden h, FFN width f, vocab V, attention widths
// w_qk, w_v (heads x head size), KV width w_kv; MoE: k routed + S shared experts of width f_e out
// of E. Sequence s, microbatch b sequences, global batch B sequences. Layout: tensor t, context c,
// pipeline p (v interleaved chunks), data d, expert e parallel; GPUs N = t c p d. Per microbatch a
// GPU holds n = b s / c tokens. Accelerator: peak F (FLOP/s at the precision), GEMM efficiency g,
// memory bandwidth M, scale-up bandwidth U and scale-out bandwidth O (bytes/s per direction).
//
// Step time on the slowest stage (the one with ceil(L/p) layers and the LM head):
//   (T1) GEMM and attention compute: each weight GEMM of a layer by its shape (rows = the n tokens
//        of a microbatch; QKV and FFN-up column-parallel, output and FFN-down row-parallel / t),
//        forward, data-gradient and weight-gradient GEMMs apart, on GemmS's roofline: the best of
//        the tile shapes libraries choose, in whole waves over the part's sm_count or with
//        stream-K for the last partial wave, at F g per unit, and never faster than its HBM
//        traffic (small GEMMs are memory-bound); each tile also pays its pipeline fill and
//        epilogue. A routed expert's GEMMs are one grouped launch
//        of the E/e local experts, e n k / E rows each (the tokens its EP group routes to it).
//        Attention: 2 n s (w_qk + w_v)/t FLOPs per layer forward (Narayanan et al. SC'21 eq. 3
//        counts the same), backward 2x forward (Kaplan et al. 2020 sec. 2.1). FP8 runs weight
//        GEMMs at the FP8 peak, attention at BF16 (Transformer Engine keeps attention in BF16).
//   (T2) recompute: full = one more forward (Chen et al. 2016; Korthikanti et al. 2022 sec. 5);
//        selective = norms and activation functions again (memory-bound, (T3)).
//   (T3) memory-bound work at kHbmEfficiency M: per token and layer, norms and residuals ~10h,
//        RoPE 2(w_qk + w_kv), the activation function 3f (gated) or 2f, MoE permutes 4kh, FP8
//        casts of GEMM inputs; 2 bytes per element, backward 2x forward (Korthikanti et al. 2022,
//        Table 2 counts the same tensors); optimizer step ~30 bytes per local parameter.
//   (T4) tensor/sequence parallel: 2 all-reduce-equivalent collectives per layer forward and 2
//        backward (Shoeybi et al. 2019 fig. 4; Korthikanti et al. 2022 sec. 4.2.2) of n h x 2
//        bytes, alpha-beta: the faster of ring (2 (t-1) steps + 2 (t-1)/t bytes / (U x
//        kCollectiveEfficiency)) and tree (2 log2 t steps + 2 bytes / ...), per-step latency of
//        the fabric (Thakur et al. 2005; NCCL's tuning model). (T8) uses the same curve.
//   (T5) context parallel: ring attention passes (c-1) KV chunks per layer (Liu et al. 2023),
//        overlapped with attention compute; only the excess is exposed.
//   (T6) MoE all-to-all: dispatch and combine of k copies of each token's h-vector, the share
//        that leaves the node over O, the rest over U (Lepikhin et al. 2020 GShard); with
//        node-limited routing (<= M nodes per token) the dispatch is hierarchical: one copy per
//        distinct remote node over O, concurrent with the fan-out of k copies over U (DeepSeek-V3
//        report sec. 2.1.2, 3.2.2), overlapped with another microbatch's compute (DualPipe, 1F1B
//        a2a overlap); only the excess is exposed.
//   (T7) pipeline: (m + (p-1)/v) x per-microbatch stage time, i.e. bubble (p-1)/(v m)
//        (Narayanan et al. SC'21 sec. 2.2.2, interleaved 1F1B); stage sends n h x 2 / t bytes.
//   (T8) data parallel: reduce-scatter of gradients + all-gather of parameters (ZeRO-1/2,
//        Rajbhandari et al. 2020 sec. 5), 2 (d-1)/d x 2 bytes x local params over O (or U when the
//        replicas share a node), overlapped with the last microbatch's backward and the first's
//        forward (per interleaved chunk where the stack does it, (T8')); ZeRO-3 gathers weights per
//        microbatch (1.5x the volume), overlapped per microbatch.
//   (T10) overlap realism, for every overlapped class ((T5) CP, (T6) all-to-all, (T7) interleaved
//        sends, (T8) DP/ZeRO-3): only kOverlapWindowFraction of a compute window can hide a
//        collective, the hidden part slows the concurrent compute by kOverlapComputeSlowdown
//        (NCCL kernels hold SMs and HBM bandwidth; Lee et al. 2025, arXiv:2507.03114), and the
//        last gradient bucket / first parameter bucket (first/last layer under ZeRO-3) cannot
//        overlap at all. The optimizer step is never overlapped.
//   (S1) software stack (SoftwareStack, SoftwareStacks()): what the training software fuses and
//        overlaps, declared per generation. FlashAttention stacks run attention causally (the
//        masked half of the scores skipped: Dao 2023 sec. 3.1) with no s x s scores in HBM;
//        unfused stacks (Megatron-LM 2021 and its 2022 forks) compute the full s x s scores with
//        batched GEMMs and move them through HBM: forward kScoreBytesForward per score (GEMM
//        write, softmax read and write, PV read), backward kScoreBytesBackward, and keep 5 a s
//        bytes per token and layer of activations unless recomputed (Korthikanti et al. 2022
//        eq. 1; dropout masks not counted). TP overlap hides (T4) under the layer's GEMMs, (T10)
//        rules; without DP overlap (T8) runs after the backward.
//   (T9) step = sum of the above; tokens/s = B s / step; MFU = 3 x forward FLOPs x tokens/s /
//        (N F) (PaLM, Chowdhery et al. 2022 app. B); HFU adds recompute FLOPs.
//   (R1) whole runs: a job of N GPUs is interrupted Lambda = N lambda times a second (lambda per
//        GPU: kDefaultInterruptionsPerGpuS, Llama 3's, unless the request says otherwise); each
//        interruption costs the stack's restart time R and, on average, half a checkpoint interval
//        of lost work; each checkpoint stalls training C seconds. At Young's optimum interval
//        tau = sqrt(2 C / Lambda) (Young 1974; Daly 2006) the useful share of wall time is
//        goodput = (1 - Lambda (R + tau / 2)) / (1 + C / tau). It depends on N and the stack, not
//        on the run's length: on the default stack 2,048 GPUs lose ~2%, 16,384 ~10%.
//   (Q1) sizing quantile: with a deadline, the fewest nodes whose duration at quantile q of its
//        lognormal interval (I1), point x exp(z_q sd), meets it (plan/buy --sizing-quantile).
//
// Memory on the most loaded GPU (first or last stage):
//   (M1) weights 2 bytes, gradients 2, Adam fp32 master + moments 12 per local parameter (ZeRO
//        paper's 16 bytes/param), sharded over the data-parallel group by the ZeRO stage (routed
//        experts only over the expert-data-parallel group of d c / e ranks); FP8 adds a 1-byte
//        weight copy.
//   (M2) activations per layer and token (Korthikanti et al. 2022 eq. 2 with sequence parallel and
//        flash attention, generalised to GQA and gated FFN): 4h norms + 2h + 2(w_qk + 2 w_kv) + 4h
//        attention + 2h + 6f (gated) or 4f FFN, x (k + S) for experts, / t; selective recompute
//        drops the norm and activation outputs; full keeps the 2h layer input. The first stage
//        holds L layers' worth of one microbatch under 1F1B (x (1 + (p-1)/(p v)) interleaved), the
//        last stage also fp32 logits n V x 6 / t bytes.
//   (M3) fits if total <= capacity x (1 - kMemoryHeadroomFraction).
//
// Search: t in powers of two within the scale-up domain, c, p, e, b, v, recompute and ZeRO
// stage; the fastest layout that fits wins, ties to the first found (deterministic order).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "sizing/sizing.h"

namespace gpuplan::sizing {

namespace {

// Fraction of peak HBM bandwidth elementwise kernels reach (STREAM-like kernels reach 80-90%).
constexpr double kHbmEfficiency = 0.8;
// NCCL bus bandwidth / link bandwidth for large messages (nccl-tests on DGX A100/H100 reach
// ~75-85% of NVLink and InfiniBand line rate).
constexpr double kCollectiveEfficiency = 0.8;
// Fixed cost of one collective or send (kernel launch + protocol), seconds.
constexpr double kCollectiveLatencyS = 10e-6;
// Latency of one ring or tree step of a large-message (Simple protocol) collective: NCCL's tuning
// model (src/graph/tuning.cc hwLat, Simple) puts it at ~3.4 us over NVLink and ~14 us over the
// network.
constexpr double kScaleUpStepS = 3.4e-6;
constexpr double kScaleOutStepS = 14e-6;
// (T1) GEMM tiles. cuBLASLt's heuristics and CUTLASS pick, per shape, among several CTA output
// tiles (cublasLtMatmulTile_t lists 8x8 .. 512x64); large training GEMMs run 256x128 or 128x256
// (CUTLASS's default Ampere/Hopper tensor-op tiles), and smaller tiles are chosen when they waste
// fewer partial tiles or waves (NVIDIA "Matrix Multiplication Background" guide, sec. 2.3 and 3).
// Larger tiles reuse each loaded operand more (a 256x128 tile does 85 FLOPs per byte it loads, a
// 128x128 64, a 128x64 43), so smaller tiles run their main loop slower: `rel` is their per-SM
// throughput relative to 256x128, a judgement following the guide's ranking of tile efficiency
// (sec. 2.3), not fitted.
struct TileShape {
  double m, n, rel;
};
constexpr TileShape kTileShapes[] = {
    {256, 128, 1.0}, {128, 256, 1.0}, {128, 128, 0.9}, {128, 64, 0.8}, {64, 128, 0.8}};
// Stream-K (Osama et al., PPoPP'23; CUTLASS's stream-K and split-K kernels): the tiles of the last
// partial wave have their k-iterations spread evenly over all SMs, each SM then writes one fp32
// partial tile that another reads back (the "fixup"): 2 x tile x 4 bytes per SM, through L2.
// Used only where it beats whole waves.
constexpr double kStreamKFixupAccesses = 2;
// Per tile, a CTA first fills its multistage operand pipeline (CUTLASS sm80 tensor-op kernels:
// kStages = 3-4 of 32-64-deep k-blocks; here 4 x 32) and at the end writes its bf16 output tile
// (the epilogue); neither overlaps its own main loop, and with every SM doing the same at once
// each moves at its 1/sm_count share of L2 bandwidth (operand panels are shared by a row or
// column of tiles, so they mostly hit L2; the output is written back through it). This is the
// per-tile cost that makes short-k GEMMs (wgrad over one microbatch's tokens, row-parallel GEMMs of
// k = f / t) slower. Hopper's persistent warp-specialized kernels (CUTLASS 3) can hide part of it;
// not modelled: exempting Hopper put Llama 3 70B's MFU above its published range.
constexpr double kPipelineStages = 4;
// L2 bandwidth / HBM bandwidth: V100's L2 reads ~2.2 TB/s (Jia et al. 2018, "Dissecting the
// NVIDIA Volta GPU architecture via microbenchmarking"), A100's 2.3x that (NVIDIA A100 whitepaper)
// = ~5 TB/s against 2.0 TB/s of HBM.
constexpr double kL2OverHbmBandwidth = 2.4;
constexpr double kPipelineKBlock = 32;
// FP8 GEMMs reach a smaller share of their (2x BF16) peak than BF16 GEMMs do of theirs. This is
// a GEMM-level ratio: large cuBLASLt FP8 GEMMs on H100 run ~1.7-1.8x their BF16 counterparts
// (scaling and BF16 epilogues), so 0.87 of BF16's efficiency (1.74x). The end-to-end 1.3-1.5x of
// FP8 training (NVIDIA NeMo tables) is not used here: it already contains the attention, casts,
// norms and communication this model adds separately (the old 0.7 counted them twice).
constexpr double kFp8GemmEfficiencyRatio = 0.87;
// Attention kernels (softmax between two batched GEMMs) sustain less than plain GEMMs:
// FlashAttention-2 reaches 50-73% of A100 peak forward and less backward (Dao 2023, sec. 4.1)
// where cuBLAS GEMMs reach ~80%; unfused attention (Megatron 2021) is lower still.
constexpr double kAttentionEfficiencyRatio = 0.6;
// (S1) Unfused attention: bytes of HBM traffic per element of the s x s score matrix (bf16).
// Forward: the QK^T GEMM writes it (2), fused scale-mask-softmax reads and writes it (4), the PV
// GEMM reads it (2). Backward: the dP GEMM writes (2), softmax backward reads P and dP and writes
// dS (6), the dQ and dK GEMMs read dS (4), the dV GEMM reads P (2).
constexpr double kScoreBytesForward = 8;
constexpr double kScoreBytesBackward = 14;
// Activation bytes per score kept for the backward when scores are materialized (Korthikanti et
// al. 2022 eq. 1: softmax output 2, dropout mask 1 and output 2 = 5as per token and layer).
constexpr double kScoreActivationBytes = 5;
// A causal FlashAttention kernel computes about half of the s x s block (Dao 2023 sec. 3.1).
constexpr double kCausalShare = 0.5;
// (T10) Overlap realism. A collective overlapped with compute hides only inside the part of the
// compute window where it can actually run: collectives are queued on one NCCL stream in issue
// order, a bucket/layer can only start once its inputs exist (gradients produced, previous gather
// done), and FSDP/Megatron prefetch at most one unit ahead, so the window is never fully usable.
// We take 80% of the window as usable (a judgement: Lee et al. 2025, arXiv:2507.03114, find
// overlapped execution on A100/H100 only 10.2% faster on average than running compute and
// communication back to back, i.e. overlap hides far from all of it).
constexpr double kOverlapWindowFraction = 0.8;
// While a collective runs concurrently, compute kernels slow down: NCCL kernels hold SMs (one CTA
// per channel, 16-32 channels on DGX H100 of 132 SMs; DeepSeek-V3 report sec. 3.2.2 dedicates 20
// of 132 SMs to communication) and share HBM bandwidth. Lee et al. 2025 (arXiv:2507.03114) measure
// an average 18.9% compute slowdown during overlap (max 40%) on A100/H100. Applied to the
// overlapped (hidden) duration.
constexpr double kOverlapComputeSlowdown = 0.19;
// (S1) Net share of an overlappable TP collective that TP-comm overlap saves. Measured: async TP
// (decomposed collective matmul) speeds Llama 3 70B on 256 H100 (FSDP 32, TP 8, full
// recompute, BF16) up 1.09x over plain TP, and Llama 3 8B on 64 H100 (FSDP 8, TP 8) 1.10x
// (pytorch/torchtitan docs/async_tp.md, June 2025). In this model's breakdown of the 70B case
// TP collectives are 23% of the plain-TP step (recompute's included), so overlap saves 0.37 of
// them; the 8B case then predicts 1.12x (a test checks both). Before this, overlap hid 81% net
// (the generic (T10) rule), 1.23x for the 70B case.
constexpr double kTpOverlapNetSaving = 0.37;
// Megatron-LM DDP bucket: max(40M, 1M x DP size) parameters (megatron/core/distributed, default
// bucket_size). The last gradient bucket is reduced after the final backward and the first
// parameter bucket gathered before the first forward: neither can overlap compute.
constexpr double kMinBucketParams = 40e6;
constexpr double kBucketParamsPerDpRank = 1e6;
constexpr double kBf16Bytes = 2;
constexpr double kFp32Bytes = 4;
constexpr double kAdamBytesPerParam = 12;           // fp32 master weights, momentum, variance
constexpr double kOptimizerStepBytesPerParam = 30;  // read grad+master+m+v, write master+m+v+bf16
constexpr double kBytesPerGib = 1073741824.0;
constexpr int kMaxGpus = 1 << 20;
constexpr double kMaxTokens = 1e16;
constexpr double kMaxDeadlineDays = 3650;
constexpr int kMaxBatchSeqs = 1 << 24;
constexpr double kMaxBatchTokens = 1e10;
constexpr double kJoulesPerMwh = 3.6e9;
// Default global batch, a token budget whatever the sequence length (the critical batch is in
// tokens: McCandlish et al. 2018, Kaplan et al. 2020 sec. 5.1): at least 4M tokens (Llama 2,
// arXiv:2307.09288 sec. 2.2; GPT-3 3.2M) and 1K tokens per GPU (Llama 3 405B: 16M tokens on 16,384
// GPUs, arXiv:2407.21783 Table 4), in whole sequences (kDefaultBatchTokens* in sizing.h).
constexpr int kDefaultSeqLen = 4096;
// (I1)-(I3) 90% intervals. Residuals e = log(published / predicted) of the calibration rows
// (training_runs.csv via ValidateTrainingRuns; a test refits these): throughput of the benchmark
// rows (Megatron SC'21, MLPerf v3.0), GPU-hours of the whole runs with goodput (R1) (Llama 2,
// OPT, BLOOM). (I1) interval = point x exp(+- z s), z = 1.645, s = root-mean-square of e over the
// class: the RMS keeps each campaign's bias in the spread instead of correcting the point by it.
constexpr double kThroughputLogSd = 0.061;
constexpr double kWholeRunLogSd = 0.175;
constexpr double kZ90 = 1.645;
// (I2) Outside what was calibrated (A100, H100 and Gaudi 2; dense; contexts <= 4K; published
// shapes; the 2021 and 2023 stacks), the error has a part the rows cannot show: each reason adds
// this log-sd in quadrature (a judgement: DeepSeek-V3 on H800, MoE, is predicted 1.2x its published
// GPU-hours).
constexpr double kOutOfDomainLogSd = 0.15;
constexpr int kCalibratedMaxSeqLen = 4096;
// (R1) Restart and checkpoint costs per stack generation. 2023-2024 (automated recovery, hot
// spares, asynchronous checkpoints): R = 10 min from failure to steps resuming (a judgement:
// NCCL timeout or health check, node swap, relaunch, checkpoint reload); C = 13 s is then what
// makes Llama 3's 16,384 GPUs at its own interruption rate reach its published ">90% effective
// training time" (arXiv:2407.21783 sec. 3.3.4), goodput 0.90 (a test checks it). The 2023 stack
// is given the same costs (an assumption: Llama 2 ran on the same operator's recovery tooling a
// year earlier; MLPerf rows are benchmarks, without goodput).
constexpr double kRestartS2024 = 600;
constexpr double kCheckpointStallS2024 = 13;
// 2021-2022 (manual diagnostics, synchronous checkpoints to a shared filesystem): C = 4 min, a
// 2.3 TB 175B checkpoint (BLOOM's, BigScience model card) written at ~10 GB/s (a judgement).
// R = 72 min from OPT-175B's own accounting: ~178,000 GPU-hours lost to failures (Wang et al.,
// Gemini, SOSP'23, from the OPT logbook) over ~105 restarts (35 manual + 70+ automatic, OPT
// paper arXiv:2205.01068 sec. 2.5) on 992 GPUs = 1.71 h per restart, of which half a
// checkpoint interval at OPT's rate is 0.51 h (a test checks the 178,000).
constexpr double kRestartS2021 = 4320;
constexpr double kCheckpointStallS2021 = 240;
// Fewest useful share a job keeps: beyond it interruptions come faster than it can restart.
constexpr double kMinGoodput = 0.02;
constexpr double kMaxInterruptionsPerGpuYear = 365;

// Per-layer quantities of a model, averaged over its layers (dense and MoE layers differ).
struct LayerCosts {
  double attn_flop_per_token_per_s = 0;    // forward attention FLOPs per token per key
  double elementwise_elems_per_token = 0;  // forward, (T3)
  double fp8_cast_elems_per_token = 0;     // GEMM inputs to quantize
  double act_bytes_per_token = 0;          // (M2), no recompute, before / t
  double act_bytes_selective = 0;          // (M2), selective
  double dense_params = 0;                 // per layer, TP-sharded (non-expert)
  double expert_params = 0;                // per layer, all experts (EP- and TP-sharded)
  double shared_expert_params = 0;         // per layer
  double moe_fraction = 0;                 // share of layers with experts
  double routed_copies = 0;                // k: copies of each token sent by the all-to-all
  double kv_width = 0;
  // (T1) forward weight GEMMs per token row, before / t: column-parallel ones have out / t
  // columns, row-parallel ones in / t. `attn` and `dense_ffn` in every dense layer; MoE layers
  // have `attn`, `moe_other` (router, shared experts) and the routed experts' `routed` GEMMs.
  struct Gemm {
    double in = 0, out = 0;
    bool column_parallel = true;
  };
  std::vector<Gemm> attn, dense_ffn, moe_other, routed;
  double dense_fraction = 1;  // share of layers without experts
};

LayerCosts ComputeLayerCosts(const model::ModelShape& m) {
  LayerCosts c;
  const model::ParamCounts pc = model::CountParams(m);
  const double h = m.hidden;
  const double L = m.num_layers;
  double w_qk = 0, w_v = 0, w_kv = 0;
  if (m.is_mla()) {
    w_qk = double(m.num_heads) * (m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim);
    w_v = double(m.num_heads) * m.mla.v_head_dim;
    w_kv = m.mla.kv_lora_rank + m.mla.qk_rope_head_dim;
  } else {
    w_qk = w_v = double(m.num_heads) * m.head_size();
    w_kv = double(m.kv_heads()) * m.head_size();
  }
  c.kv_width = m.is_mla() ? w_qk + w_v : 2 * w_kv;  // MLA exchanges decompressed K and V
  c.attn_flop_per_token_per_s = 2 * (w_qk + w_v);
  const double gate = m.is_gated_ffn ? 3 : 2;
  const double attn_act = 2 * h + 2 * (w_qk + 2 * w_kv) + 4 * h;
  auto ffn_act = [&](double f) { return 2 * h + (m.is_gated_ffn ? 6 : 4) * f; };
  auto ffn_act_out = [&](double f) { return 2 * f; };
  const double dense_ffn = m.dense_ffn();
  // Dense layer.
  const double dense_elems = 10 * h + 2 * (w_qk + w_kv) + gate * dense_ffn;
  const double dense_act = 4 * h + attn_act + ffn_act(dense_ffn);
  const double dense_sel = dense_act - 4 * h - ffn_act_out(dense_ffn);
  const double dense_casts = 2 * h + w_v + dense_ffn;
  // (T1) QKV (MLA: its down and up projections as one GEMM of the same weights) and output.
  c.attn = {{h, (pc.attention_per_layer - w_v * h) / h, true}, {w_v, h, false}};
  c.dense_ffn = {{h, (gate - 1) * dense_ffn, true}, {dense_ffn, h, false}};
  if (!m.is_moe()) {
    c.elementwise_elems_per_token = dense_elems;
    c.fp8_cast_elems_per_token = dense_casts;
    c.act_bytes_per_token = dense_act;
    c.act_bytes_selective = dense_sel;
    c.dense_params = pc.attention_per_layer + pc.dense_ffn_per_layer;
    return c;
  }
  const double k = m.moe.experts_per_token + m.moe.num_shared_experts;
  const double fe = m.moe.expert_ffn_hidden;
  const double fs = m.moe.shared_expert_ffn_hidden > 0 ? m.moe.shared_expert_ffn_hidden : fe;
  // Widths summed over the experts one token visits (routed + shared).
  const double f_tok = m.moe.experts_per_token * fe + m.moe.num_shared_experts * fs;
  const double moe_elems = 10 * h + 2 * (w_qk + w_kv) + gate * f_tok + 4 * k * h;
  const double moe_act =
      4 * h + attn_act + k * 2 * h + (m.is_gated_ffn ? 6 : 4) * f_tok + 4 * k * h;
  const double moe_sel = moe_act - 4 * h - ffn_act_out(f_tok);
  const double moe_casts = 2 * h + w_v + k * h + f_tok;
  const double nd = m.moe.num_dense_layers, nm = L - nd;
  auto avg = [&](double dense, double moe) { return (nd * dense + nm * moe) / L; };
  c.elementwise_elems_per_token = avg(dense_elems, moe_elems);
  c.fp8_cast_elems_per_token = avg(dense_casts, moe_casts);
  c.act_bytes_per_token = avg(dense_act, moe_act);
  c.act_bytes_selective = avg(dense_sel, moe_sel);
  c.dense_params = pc.attention_per_layer + nd / L * pc.dense_ffn_per_layer;
  c.expert_params = nm / L * (pc.expert * m.moe.num_experts + h * m.moe.num_experts);
  c.shared_expert_params = nm / L * m.moe.num_shared_experts * gate * h * fs;
  c.moe_fraction = nm / L;
  c.routed_copies = m.moe.experts_per_token;
  c.dense_fraction = nd / L;
  const double up = gate - 1;  // gated FFNs fuse gate and up projections into one GEMM
  const double shared_w = m.moe.num_shared_experts * fs;
  c.moe_other.push_back({h, double(m.moe.num_experts), true});  // router
  if (shared_w > 0) {
    c.moe_other.push_back({h, up * shared_w, true});
    c.moe_other.push_back({shared_w, h, false});
  }
  c.routed = {{h, up * fe, true}, {fe, h, false}};
  return c;
}

// (T1) What GemmS needs of an accelerator at one precision.
struct GemmUnit {
  double flop_per_s = 0;       // sustained by large GEMMs: peak x gemm_efficiency (x FP8 ratio)
  int units = 0;               // sm_count; 0: unknown, no wave model
  double hbm_bytes_per_s = 0;  // at kHbmEfficiency
  double operand_bytes = 2;    // per element of A and B (C is bf16)
};

GemmUnit MakeGemmUnit(const catalog::Accelerator& gpu, catalog::Precision precision) {
  const bool fp8 = precision == catalog::Precision::kFp8 && gpu.has_fp8();
  return GemmUnit{.flop_per_s = gpu.PeakFlopPerS(precision) * gpu.gemm_efficiency *
                                (fp8 ? kFp8GemmEfficiencyRatio : 1.0),
                  .units = gpu.sm_count,
                  .hbm_bytes_per_s = gpu.memory_bandwidth_bytes_per_s * kHbmEfficiency,
                  .operand_bytes = fp8 ? 1.0 : kBf16Bytes};
}

// (T1) Seconds of `groups` GEMMs C[m x n] = A[m x k] B[k x n] in one (grouped) launch: each tile
// shape's tiles, over all groups, run in waves of `units` (one tile per SM at a time); the last
// partial wave runs whole or as stream-K; the fastest shape wins, as a library's heuristic picks,
// and no GEMM beats its HBM traffic.
double GemmS(const GemmUnit& u, double m, double n, double k, double groups = 1) {
  if (m <= 0 || n <= 0 || k <= 0 || groups <= 0) return 0;
  const double mem_s =
      groups * ((m * k + k * n) * u.operand_bytes + m * n * kBf16Bytes) / u.hbm_bytes_per_s;
  if (u.units <= 0) return std::max(2 * m * n * k * groups / u.flop_per_s, mem_s);
  const double unit_flop_per_s = u.flop_per_s / u.units;
  double best = std::numeric_limits<double>::infinity();
  for (const TileShape& ts : kTileShapes) {
    const double tiles = groups * std::ceil(m / ts.m) * std::ceil(n / ts.n);
    const double overhead_s = (kPipelineStages * kPipelineKBlock * (ts.m + ts.n) * u.operand_bytes +
                               ts.m * ts.n * kBf16Bytes) *
                              u.units / (kL2OverHbmBandwidth * u.hbm_bytes_per_s);
    const double tile_s = 2 * ts.m * ts.n * k / (unit_flop_per_s * ts.rel);
    const double waves = tiles / u.units;
    const double full = std::floor(waves);
    double s = std::ceil(waves) * (tile_s + overhead_s);
    if (waves > full) {
      const double fixup_s = kStreamKFixupAccesses * ts.m * ts.n * kFp32Bytes * u.units /
                             (kL2OverHbmBandwidth * u.hbm_bytes_per_s);
      s = std::min(s,
                   full * (tile_s + overhead_s) + (waves - full) * tile_s + overhead_s + fixup_s);
    }
    best = std::min(best, s);
  }
  return std::max(best, mem_s);
}

// All-reduce-equivalent time of `bytes` among `n` ranks at `bw`, alpha-beta (Thakur et al. 2005):
// ring = 2 (n-1) steps of latency + 2 (n-1)/n bytes / bw; double binary tree = 2 log2(n) steps +
// 2 bytes / bw (Sanders et al. 2009). NCCL picks the faster per size and rank count, so small
// messages over many ranks go by tree and large ones by ring. `step_s`: one step's latency.
double RingS(double bytes, int n, double bw, double step_s) {
  if (n <= 1 || bytes <= 0) return 0;
  const double beta = bytes / (bw * kCollectiveEfficiency);
  const double ring = 2.0 * (n - 1) * step_s + 2.0 * (n - 1) / n * beta;
  const double tree = 2.0 * std::ceil(std::log2(double(n))) * step_s + 2.0 * beta;
  return kCollectiveLatencyS + std::min(ring, tree);
}

// (T10) Time a collective of `comm_s` costs the step when overlapped with `window_s` of compute:
// what does not fit in the usable part of the window is exposed, and the hidden part slows the
// concurrent compute by kOverlapComputeSlowdown.
double OverlappedS(double comm_s, double window_s) {
  if (comm_s <= 0) return 0;
  const double hidden = std::min(comm_s, kOverlapWindowFraction * std::max(0.0, window_s));
  return comm_s - hidden + kOverlapComputeSlowdown * hidden;
}

// (T8') Data-parallel traffic `comm_s` of a stage of `chunks` interleaved model chunks (equal
// shares), each chunk's share ready when its last microbatch's backward ends. Interleaved 1F1B
// runs the last microbatches' backwards chunk by chunk, deepest first, `group` (min(m, p))
// microbatches per chunk (Narayanan et al. SC'21 sec. 2.2.2), so chunk j's gradients are ready
// (1 + j group) chunk-backwards before the step ends: the window between one chunk's and the
// next's is group chunk-backwards, the last chunk's is its own. One NCCL stream drains the shares
// in order; each window hides what fits in its usable part ((T10)), the rest waits for the next.
// Mirrored for the parameter all-gather under the next step's warm-up forwards. chunks = 1: the
// whole share under one microbatch's backward (`window_s`), as OverlappedS.
double ChunkedOverlapS(double comm_s, double window_s, int chunks, int group) {
  if (comm_s <= 0) return 0;
  const double step_s = std::max(0.0, window_s) / chunks;  // one chunk's microbatch
  double backlog = 0, hidden = 0;
  for (int j = chunks - 1; j >= 0; --j) {
    backlog += comm_s / chunks;
    const double slice_s = j > 0 ? group * step_s : step_s;
    const double h = std::min(backlog, kOverlapWindowFraction * slice_s);
    backlog -= h;
    hidden += h;
  }
  return backlog + kOverlapComputeSlowdown * hidden;
}

// (S1) TP-comm overlap: the collective is decomposed into t chunks pipelined with the GEMM next
// to it; of what fits under the GEMM only kTpOverlapNetSaving is saved net (one chunk stays
// exposed, the NVLink copies contend with the GEMMs for HBM bandwidth and SMs, the chunked GEMMs
// run less efficiently).
double TpOverlappedS(double comm_s, double window_s) {
  if (comm_s <= 0) return 0;
  const double hidden = std::min(comm_s, kOverlapWindowFraction * std::max(0.0, window_s));
  return comm_s - kTpOverlapNetSaving * hidden;
}

// (Q1) The standard normal quantile z with Phi(z) = q, 0 < q < 1, by bisection on erfc (to 1e-12;
// called once per sizing).
double NormalQuantile(double q) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 80; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

// Everything EvaluateConfig needs that does not depend on the layout.
struct Problem {
  const model::ModelShape* shape = nullptr;
  const catalog::Accelerator* gpu = nullptr;
  const SoftwareStack* stack = nullptr;
  catalog::Precision precision = catalog::Precision::kBf16;
  int seq_len = 0;
  int global_batch_seqs = 0;
  LayerCosts layer;
  double embedding_params = 0;  // input table (+ positions)
  double head_params = 0;       // output head (V h), held by the last stage even when tied
  double model_flop_per_token = 0;
  double forward_flop_per_token = 0;
  GemmUnit gemm_unit;
};

Problem MakeProblem(const model::ModelShape& shape, const catalog::Accelerator& gpu,
                    const SoftwareStack& stack, catalog::Precision precision, int seq_len,
                    int global_batch_seqs) {
  Problem pr;
  pr.shape = &shape;
  pr.gpu = &gpu;
  pr.stack = &stack;
  pr.precision = precision;
  pr.seq_len = seq_len;
  pr.global_batch_seqs = global_batch_seqs;
  pr.layer = ComputeLayerCosts(shape);
  pr.gemm_unit = MakeGemmUnit(gpu, precision);
  pr.embedding_params = double(shape.vocab + shape.num_learned_positions) * shape.hidden;
  pr.head_params = double(shape.vocab) * shape.hidden;
  pr.forward_flop_per_token = model::ForwardFlopPerToken(shape, seq_len);
  pr.model_flop_per_token = 3 * pr.forward_flop_per_token;
  return pr;
}

ConfigEval Evaluate(const Problem& pr, const Parallelism& par) {
  const model::ModelShape& m = *pr.shape;
  const catalog::Accelerator& gpu = *pr.gpu;
  const SoftwareStack& stack = *pr.stack;
  const LayerCosts& lc = pr.layer;
  ConfigEval ev;
  ev.parallelism = par;
  const int t = par.tp, c = par.cp, p = par.pp, d = par.dp, e = par.ep, b = par.microbatch;
  const int v = par.virtual_stages;
  const double s = pr.seq_len;
  const double h = m.hidden;
  const int mb = std::max(1, int(std::lround(double(pr.global_batch_seqs) / (double(d) * b))));
  ev.num_microbatches = mb;
  ev.global_batch_seqs = mb * b * d;
  const double n = b * s / c;  // tokens per microbatch per GPU
  const double layers = std::ceil(double(m.num_layers) / p);
  const bool fp8 = pr.precision == catalog::Precision::kFp8 && gpu.has_fp8();
  const double peak_attn = gpu.peak_bf16_flop_per_s;
  const double hbm = gpu.memory_bandwidth_bytes_per_s * kHbmEfficiency;
  const double gpn = gpu.gpus_per_node;
  auto bw_for_group = [&](double span) {  // span: GPUs covered by the group in rank order
    return span <= gpu.scaleup_domain ? gpu.scaleup_bytes_per_s : gpu.scaleout_bytes_per_s;
  };
  auto step_for_group = [&](double span) {
    return span <= gpu.scaleup_domain ? kScaleUpStepS : kScaleOutStepS;
  };

  // (T1) per layer, per microbatch: each weight GEMM forward, and its data- and weight-gradient
  // GEMMs backward (the same FLOPs, other shapes).
  const GemmUnit& gu = pr.gemm_unit;
  double gemm_fwd_s = 0, gemm_bwd_s = 0;
  auto add_gemms = [&](const std::vector<LayerCosts::Gemm>& gemms, double rows, double groups,
                       double share) {
    for (const LayerCosts::Gemm& g : gemms) {
      const double in = g.column_parallel ? g.in : g.in / t;
      const double out = g.column_parallel ? g.out / t : g.out;
      gemm_fwd_s += share * GemmS(gu, rows, out, in, groups);
      gemm_bwd_s += share * (GemmS(gu, rows, in, out, groups) + GemmS(gu, in, out, rows, groups));
    }
  };
  add_gemms(lc.attn, n, 1, 1);
  add_gemms(lc.dense_ffn, n, 1, lc.dense_fraction);
  if (m.is_moe()) {
    // Balanced routing: each of the E/e local experts gets e n k / E rows per microbatch from the
    // e ranks of its EP group, one grouped GEMM launch for all of them.
    const double moe_share = 1 - lc.dense_fraction;
    const double expert_rows = double(e) * n * lc.routed_copies / m.moe.num_experts;
    add_gemms(lc.moe_other, n, 1, moe_share);
    add_gemms(lc.routed, expert_rows, double(m.moe.num_experts) / e, moe_share);
  }
  const double attn_flop =
      n * s * lc.attn_flop_per_token_per_s / t * (stack.flash_attention ? kCausalShare : 1.0);
  const double attn_fwd_s =
      attn_flop / (peak_attn * gpu.gemm_efficiency * kAttentionEfficiencyRatio);
  const double compute_fwd_s = gemm_fwd_s + attn_fwd_s;
  // (T3)
  double elem_bytes = n * lc.elementwise_elems_per_token * kBf16Bytes / t;
  if (fp8) elem_bytes += n * lc.fp8_cast_elems_per_token * (kBf16Bytes + 1) / t;
  const double mem_fwd_s = elem_bytes / hbm;
  // (S1) unfused attention: the scores of the GPU's a / t heads through HBM.
  const double scores = stack.flash_attention ? 0 : n * s * std::max(1, m.num_heads / t);
  const double scores_fwd_s = scores * kScoreBytesForward / hbm;
  const double scores_bwd_s = scores * kScoreBytesBackward / hbm;
  // (T4)
  const double tp_bytes = n * h * kBf16Bytes;
  const double tp_one_s = RingS(tp_bytes, t, bw_for_group(t), step_for_group(t));
  const double tp_fwd_s =
      stack.tp_comm_overlap ? TpOverlappedS(2 * tp_one_s, gemm_fwd_s) : 2 * tp_one_s;
  // (T5) ring attention: receive (c-1) chunks of K and V, overlapped with attention compute.
  double cp_fwd_s = 0;
  if (c > 1) {
    const double kv_bytes = (c - 1) * n * lc.kv_width * kBf16Bytes / std::min(t, m.kv_heads());
    cp_fwd_s =
        OverlappedS(kv_bytes / (bw_for_group(double(t) * c) * kCollectiveEfficiency), attn_fwd_s);
  }
  // (T6) all-to-all: k copies of n tokens' h-vectors out and back, share leaving the node.
  double ep_fwd_s = 0;
  if (m.is_moe() && e > 1) {
    const double ranks_per_node = std::clamp(gpn / (double(t) * c), 1.0, double(e));
    const double ep_nodes = e / ranks_per_node;
    const double remote = 1 - 1 / ep_nodes;  // share of destinations off the sender's node
    const double copy_bytes = n * h * (fp8 ? 1.5 : 2.0) / t;  // fp8 dispatch, bf16 combine
    const double out_bw = gpu.scaleout_bytes_per_s * kCollectiveEfficiency;
    const double up_bw = gpu.scaleup_bytes_per_s * kCollectiveEfficiency;
    const double k_routed = lc.routed_copies;
    double a2a_s = 2 * kCollectiveLatencyS;
    if (m.moe.max_nodes_per_token > 0) {
      // Node-limited routing with hierarchical dispatch (DeepSeek-V3 sec. 3.2.2): a token crosses
      // the scale-out network once per distinct remote target node (to the GPU with the same
      // in-node index), then fans out to its experts over the scale-up network; the two run
      // concurrently. Distinct nodes of k uniformly routed experts over N nodes:
      // N (1 - (1 - 1/N)^k), capped at the routing limit.
      const double distinct = std::min<double>(
          ep_nodes * (1 - std::pow(1 - 1 / ep_nodes, k_routed)), m.moe.max_nodes_per_token);
      a2a_s += std::max(distinct * remote * copy_bytes / out_bw, k_routed * copy_bytes / up_bw);
    } else {
      // Plain all-to-all (GShard): each of the k copies goes to its expert's GPU, the share on
      // other nodes over the scale-out network, the rest over scale-up, one after the other.
      a2a_s += k_routed * copy_bytes * (remote / out_bw + (1 - remote) / up_bw);
    }
    ep_fwd_s = OverlappedS(2 * a2a_s * lc.moe_fraction, compute_fwd_s);
  }
  // Recompute (T2): full = the forward again; selective = the elementwise part again.
  double recompute_s = 0;
  if (par.recompute == Recompute::kFull) {
    recompute_s = compute_fwd_s + mem_fwd_s + scores_fwd_s + tp_fwd_s + cp_fwd_s + ep_fwd_s;
  } else if (par.recompute == Recompute::kSelective) {
    // Selective recompute is the attention core again (Korthikanti et al. 2022 sec. 4.3) and, with
    // fused attention, the cheap element-wise outputs.
    recompute_s = stack.flash_attention ? 0.5 * mem_fwd_s : attn_fwd_s + scores_fwd_s;
  }
  // Per microbatch on the slowest stage: forward + backward (2x compute and memory traffic).
  const double vocab_local = double(m.vocab) / t;
  const double head_s = GemmS(gu, n, vocab_local, h) + GemmS(gu, n, h, vocab_local) +
                        GemmS(gu, h, vocab_local, n) + 3 * n * m.vocab * kFp32Bytes * 2 / t / hbm;
  const double layer_compute = compute_fwd_s + gemm_bwd_s + 2 * attn_fwd_s;
  const double layer_mem = 3 * mem_fwd_s + scores_fwd_s + scores_bwd_s;
  const double layer_tp =
      stack.tp_comm_overlap ? TpOverlappedS(4 * tp_one_s, 2 * gemm_fwd_s) : 4 * tp_one_s;
  const double layer_cp = 3 * cp_fwd_s;
  const double layer_ep = 2 * ep_fwd_s;
  const double per_mb_compute = layers * layer_compute + head_s;
  const double per_mb_recompute = layers * recompute_s;
  const double per_mb_mem = layers * layer_mem;
  const double per_mb_tp = layers * layer_tp;
  const double per_mb_cp = layers * layer_cp;
  const double per_mb_ep = layers * layer_ep;
  // (T7) stage-to-stage: one activation each way per chunk boundary.
  const double pp_bytes = n * h * kBf16Bytes / t;
  const double pp_send_s =
      p > 1 ? 2 * v *
                  (pp_bytes / (gpu.scaleout_bytes_per_s * kCollectiveEfficiency) +
                   kCollectiveLatencyS)
            : 0;
  // Interleaved schedules overlap the sends with the next chunk's compute (Megatron-LM
  // --overlap-p2p-comm, interleaved schedule only, (T10)); plain 1F1B waits for them.
  const double per_mb_pp =
      v > 1 ? OverlappedS(pp_send_s, per_mb_compute + per_mb_recompute) : pp_send_s;
  const double per_mb = per_mb_compute + per_mb_recompute + per_mb_mem + per_mb_tp + per_mb_cp +
                        per_mb_ep + per_mb_pp;
  const double bubble_mb = double(p - 1) / v;

  // (M1) local parameters on the first stage (embedding) or the last (head).
  const double dense_local = lc.dense_params * layers / t;
  const double expert_local = (lc.expert_params / e + lc.shared_expert_params) * layers / t;
  const double body_params = dense_local + expert_local;
  const double local_params =
      p == 1
          ? body_params + pr.embedding_params / t + (m.has_tied_embeddings ? 0 : pr.head_params / t)
          : body_params + std::max(pr.embedding_params, pr.head_params) / t;
  // (T8) data parallel over d x c ranks (Megatron shards the optimizer over DP x CP).
  const int dp_ranks = d * c;
  const double dp_bw = bw_for_group(double(t) * c * d);
  double dp_s = 0;
  if (dp_ranks > 1) {
    // Reduce-scatter or all-gather of `params` bf16 values over the DP group.
    auto half_s = [&](double params) {
      return RingS(params * kBf16Bytes, dp_ranks, dp_bw, step_for_group(double(t) * c * d)) / 2;
    };
    const double half = half_s(local_params);
    const double mb_bwd = (per_mb - per_mb_pp) * 2 / 3;  // one microbatch's backward
    const double mb_fwd = (per_mb - per_mb_pp) / 3;      // and forward
    if (par.zero == 3) {
      // Per microbatch: gather weights under the forward; gather again and reduce-scatter the
      // gradients under the backward (FSDP prefetch, Zhao et al. 2023 sec. 3.3). The unit is one
      // layer: its first gather precedes any compute and its last reduce-scatter follows it.
      const double unit = half_s(local_params / layers);
      dp_s = mb * (OverlappedS(half - unit, mb_fwd) + unit + OverlappedS(2 * half - unit, mb_bwd) +
                   unit);
    } else {
      const double bucket = half_s(
          std::min(local_params, std::max(kMinBucketParams, kBucketParamsPerDpRank * dp_ranks)));
      // With per-chunk overlap an interleaved stage's chunks get their own windows (T8'), else
      // the whole stage's traffic hides under one microbatch's backward (forward).
      const int chunks = stack.dp_overlap_per_chunk ? v : 1;
      const int group = std::min(mb, p);
      if (!stack.dp_comm_overlap) {
        dp_s = 2 * half;  // after the last backward (Megatron-LM 2021 DDP, DeepSpeed ZeRO-1)
      } else if (par.zero == 0) {
        // All-reduce (2 halves) under the last microbatch's backward; last bucket exposed.
        dp_s = ChunkedOverlapS(2 * (half - bucket), mb_bwd, chunks, group) + 2 * bucket;
      } else {
        // Reduce-scatter under the last backward, parameter all-gather under the next step's
        // first forward (Megatron distributed optimizer, --overlap-grad-reduce/-param-gather);
        // the last gradient bucket and the first parameter bucket are exposed.
        dp_s = ChunkedOverlapS(half - bucket, mb_bwd, chunks, group) +
               ChunkedOverlapS(half - bucket, mb_fwd, chunks, group) + 2 * bucket;
      }
    }
  }
  // Optimizer step, memory-bound on the local shard.
  const double shard = par.zero >= 1 ? dp_ranks : 1;
  const double expert_shard = par.zero >= 1 ? std::max(1.0, double(dp_ranks) / e) : 1;
  const double routed_params = lc.expert_params / e * layers / t;
  const double opt_s = ((local_params - routed_params) / shard + routed_params / expert_shard) *
                       kOptimizerStepBytesPerParam / hbm;

  StepBreakdown& T = ev.time;
  const double k = mb + bubble_mb;
  T.compute_s = mb * per_mb_compute;
  T.recompute_s = mb * per_mb_recompute;
  T.memory_bound_s = mb * per_mb_mem + opt_s;
  T.tp_comm_s = mb * per_mb_tp;
  T.cp_comm_s = mb * per_mb_cp;
  T.ep_comm_s = mb * per_mb_ep;
  T.pp_comm_s = mb * per_mb_pp;
  T.pp_bubble_s = bubble_mb * per_mb;
  T.dp_comm_s = dp_s;
  T.step_s = k * per_mb + dp_s + opt_s;
  // Evaluation: the pipeline's forward pass only (a third of each per-microbatch term).
  ev.forward_only_s = k * (per_mb - per_mb_recompute) / 3;

  // (M1)-(M3)
  MemoryBreakdown& M = ev.memory;
  // Routed experts are replicated only over the expert-data-parallel group (d c / e ranks), so
  // ZeRO shards their states over that group, the rest over all d c (Megatron-Core
  // expert_data_parallel group; DeepSpeed-MoE, Rajbhandari et al. 2022 sec. 5).
  const double routed_local = lc.expert_params / e * layers / t;
  const double other_local = local_params - routed_local;
  const double expert_dp = std::max(1.0, double(dp_ranks) / e);
  auto sharded = [&](double bytes_per_param, bool is_sharded) {
    return is_sharded ? other_local * bytes_per_param / dp_ranks +
                            routed_local * bytes_per_param / expert_dp
                      : local_params * bytes_per_param;
  };
  const double w_bytes = kBf16Bytes + (fp8 ? 1 : 0);
  M.weights_bytes = sharded(w_bytes, par.zero >= 3);
  M.gradients_bytes = sharded(kBf16Bytes, par.zero >= 2);
  M.optimizer_bytes = sharded(kAdamBytesPerParam, par.zero >= 1);
  double act_per_layer_token = 0;
  switch (par.recompute) {
    case Recompute::kNone:
      act_per_layer_token =
          (lc.act_bytes_per_token +
           (stack.flash_attention ? 0 : kScoreActivationBytes * s * m.num_heads)) /
          t;
      break;
    case Recompute::kSelective:
      act_per_layer_token = lc.act_bytes_selective / t;
      break;
    case Recompute::kFull:
      act_per_layer_token = 2 * h / t;
      break;
  }
  const double in_flight = std::min<double>(mb, p) / p;
  const double interleave = p > 1 ? 1 + double(p - 1) / (double(p) * v) : 1;
  double first_act = m.num_layers * in_flight * interleave * n * act_per_layer_token;
  if (par.recompute == Recompute::kFull)
    first_act += n * lc.act_bytes_per_token / t;  // working set
  const double logits = n * m.vocab * (kBf16Bytes + kFp32Bytes) / t;
  const double last_act = layers * n * act_per_layer_token + logits;
  M.activations_bytes = p == 1 ? first_act + logits : std::max(first_act, last_act);
  M.total_bytes = M.weights_bytes + M.gradients_bytes + M.optimizer_bytes + M.activations_bytes;
  M.usable_bytes = gpu.memory_bytes * (1 - kMemoryHeadroomFraction);
  ev.fits = M.total_bytes <= M.usable_bytes;

  const double tokens_per_step = double(ev.global_batch_seqs) * s;
  ev.tokens_per_s = tokens_per_step / T.step_s;
  const double gpus = par.num_gpus();
  const double peak = gpu.PeakFlopPerS(pr.precision);
  ev.mfu = pr.model_flop_per_token * ev.tokens_per_s / (gpus * peak);
  const double recompute_flop_per_token =
      par.recompute == Recompute::kFull ? pr.forward_flop_per_token : 0;
  ev.hfu = (pr.model_flop_per_token + recompute_flop_per_token) * ev.tokens_per_s / (gpus * peak);
  return ev;
}

std::vector<int> PowersOfTwoUpTo(int limit) {
  std::vector<int> out;
  for (int x = 1; x <= limit; x *= 2) out.push_back(x);
  return out;
}

struct SearchResult {
  std::vector<ConfigEval> best;  // best first, up to keep
  int evaluated = 0;
  double min_memory_bytes = std::numeric_limits<double>::infinity();
};

// Searches every layout of `num_gpus` GPUs (fixed fields of the request pinned).
SearchResult Search(const Problem& pr, const TrainRequest& req, int num_gpus, int keep) {
  SearchResult res;
  const model::ModelShape& m = *pr.shape;
  const catalog::Accelerator& gpu = *pr.gpu;
  const int max_tp = std::min({gpu.scaleup_domain, m.num_heads, num_gpus});
  const std::vector<int> tps =
      req.fixed_tp > 0 ? std::vector<int>{req.fixed_tp} : PowersOfTwoUpTo(max_tp);
  std::vector<Recompute> recomputes = pr.stack->recompute_options;
  if (req.fixed_recompute) recomputes = {*req.fixed_recompute};
  const std::vector<int> microbatches = req.fixed_microbatch > 0
                                            ? std::vector<int>{req.fixed_microbatch}
                                            : std::vector<int>{1, 2, 4, 8};
  auto consider = [&](const ConfigEval& ev) {
    ++res.evaluated;
    res.min_memory_bytes = std::min(res.min_memory_bytes, ev.memory.total_bytes);
    if (!ev.fits) return;
    auto pos = std::find_if(res.best.begin(), res.best.end(),
                            [&](const ConfigEval& o) { return ev.tokens_per_s > o.tokens_per_s; });
    if (int(pos - res.best.begin()) >= keep) return;
    res.best.insert(pos, ev);
    if (int(res.best.size()) > keep) res.best.pop_back();
  };
  for (int t : tps) {
    if (num_gpus % t != 0 || t < req.min_tp) continue;
    for (int c = 1; c <= 32 && t * c <= num_gpus; c *= 2) {
      if ((num_gpus / t) % c != 0 || pr.seq_len % c != 0 || pr.seq_len / c < 1024) continue;
      if (c > 1 && pr.seq_len < 16384) continue;  // CP only pays for long contexts
      const int rest = num_gpus / (t * c);
      for (int p = 1; p <= std::min(rest, m.num_layers); ++p) {
        if (rest % p != 0) continue;
        if ((req.fixed_pp > 0 && p != req.fixed_pp) || p < req.min_pp) continue;
        const int d = rest / p;
        if (req.fixed_dp > 0 && d != req.fixed_dp) continue;
        if (d > pr.global_batch_seqs) continue;
        std::vector<int> eps = {1};
        if (m.is_moe()) {
          eps.clear();
          for (int e = 1; e <= std::min(m.moe.num_experts, d * c); e *= 2) {
            if ((d * c) % e == 0 && m.moe.num_experts % e == 0) eps.push_back(e);
          }
        }
        const int layers_per_stage = (m.num_layers + p - 1) / p;
        for (int e : eps) {
          for (int b : microbatches) {
            if (double(d) * b > pr.global_batch_seqs) continue;
            for (int v : {1, 2, 4}) {
              if (v > 1 && (p == 1 || layers_per_stage % v != 0)) continue;
              for (Recompute r : recomputes) {
                for (int z : {0, 1, 2, 3}) {
                  if (req.fixed_zero >= 0 && z != req.fixed_zero) continue;
                  if (req.fixed_zero < 0 && !pr.stack->distributed_optimizer && z > 0 &&
                      !(z == 1 && d * c == 1)) {
                    continue;
                  }
                  if (z >= 2 && p > 1) continue;  // ZeRO-2/3 do not combine with pipelines
                  if (z == 0 && d * c == 1) continue;
                  if (z > 0 && d * c == 1 && z != 1) continue;
                  Parallelism par{.tp = t,
                                  .pp = p,
                                  .dp = d,
                                  .ep = e,
                                  .cp = c,
                                  .microbatch = b,
                                  .virtual_stages = v,
                                  .recompute = r,
                                  .zero = z};
                  consider(Evaluate(pr, par));
                }
              }
            }
          }
        }
      }
    }
  }
  return res;
}

}  // namespace

const std::vector<SoftwareStack>& SoftwareStacks() {
  static const std::vector<SoftwareStack> kStacks = {
      {.name = std::string(kDefaultStack),
       .description = "Megatron-Core / NeMo 2024 and later: FlashAttention, TP-comm overlap, "
                      "DP overlap per pipeline chunk, distributed optimizer",
       .flash_attention = true,
       .tp_comm_overlap = true,
       .dp_comm_overlap = true,
       .distributed_optimizer = true,
       .restart_s = kRestartS2024,
       .checkpoint_stall_s = kCheckpointStallS2024},
      {.name = "megatron-2023",
       .description = "Megatron-LM / NeMo / PyTorch 2023 (Llama 2, MLPerf Training v3.0): "
                      "FlashAttention, DP overlap, distributed optimizer; TP collectives exposed",
       .flash_attention = true,
       .tp_comm_overlap = false,
       .dp_comm_overlap = true,
       .dp_overlap_per_chunk = false,
       .distributed_optimizer = true,
       .restart_s = kRestartS2024,
       .checkpoint_stall_s = kCheckpointStallS2024},
      {.name = "megatron-2021",
       .description = "Megatron-LM 2021 and its 2022 forks (Megatron-DeepSpeed, metaseq): "
                      "unfused attention, no TP or DP overlap, no distributed optimizer; full "
                      "activation recompute",
       .flash_attention = false,
       .tp_comm_overlap = false,
       .dp_comm_overlap = false,
       .dp_overlap_per_chunk = false,
       .distributed_optimizer = false,
       .recompute_options = {Recompute::kFull},
       .restart_s = kRestartS2021,
       .checkpoint_stall_s = kCheckpointStallS2021},
  };
  return kStacks;
}

Result<SoftwareStack> FindStack(std::string_view name) {
  std::string names;
  for (const SoftwareStack& st : SoftwareStacks()) {
    if (st.name == name) return st;
    names += (names.empty() ? "" : ", ") + st.name;
  }
  return Error{fmt::format("--stack: unknown software stack '{}' (known: {})", name, names)};
}

RunReliability WholeRunReliability(int num_gpus, double interruptions_per_gpu_s,
                                   const SoftwareStack& stack) {
  RunReliability r;
  r.interruptions_per_s = std::max(0, num_gpus) * std::max(0.0, interruptions_per_gpu_s);
  if (r.interruptions_per_s <= 0) return r;
  const double lambda = r.interruptions_per_s;
  const double stall = std::max(stack.checkpoint_stall_s, 1e-3);
  r.checkpoint_interval_s = std::sqrt(2 * stall / lambda);  // Young 1974
  const double useful = 1 - lambda * (stack.restart_s + r.checkpoint_interval_s / 2);
  r.goodput =
      std::max(kMinGoodput, useful / (1 + stack.checkpoint_stall_s / r.checkpoint_interval_s));
  return r;
}

std::string_view ToString(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "none";
}

double GemmSeconds(double m, double n, double k, const catalog::Accelerator& gpu,
                   catalog::Precision precision, double groups) {
  return GemmS(MakeGemmUnit(gpu, precision), m, n, k, groups);
}

double TrainFlopPerToken(const model::ModelShape& shape, int seq_len) {
  return 3 * model::ForwardFlopPerToken(shape, seq_len);
}

int DefaultGlobalBatchSeqs(int num_gpus, int seq_len) {
  const double tokens = std::max(kDefaultBatchTokens, kDefaultBatchTokensPerGpu * num_gpus);
  return std::max(1, int(std::lround(tokens / seq_len)));
}

ConfigEval EvaluateConfig(const model::ModelShape& shape, const catalog::Accelerator& gpu,
                          catalog::Precision precision, int seq_len, int global_batch_seqs,
                          const Parallelism& p, const SoftwareStack* stack) {
  const SoftwareStack& st = stack != nullptr ? *stack : SoftwareStacks().front();
  const Problem pr = MakeProblem(shape, gpu, st, precision, seq_len, global_batch_seqs);
  return Evaluate(pr, p);
}

Result<void> ValidateSizingQuantile(double q) {
  if (!(q >= kMinSizingQuantile) || q > kMaxSizingQuantile) {
    return Error{fmt::format("--sizing-quantile must be between {} and {}, got {}",
                             kMinSizingQuantile, kMaxSizingQuantile, q)};
  }
  return Ok{};
}

Result<void> Validate(const TrainRequest& req) {
  GPUPLAN_TRY(model::Validate(req.model, req.model.name));
  GPUPLAN_TRY(FindStack(req.stack));
  if (!(req.tokens > 0) || req.tokens > kMaxTokens) {
    return Error{fmt::format("--tokens must be between 1 and {}, got {}",
                             FormatQuantity(kMaxTokens), req.tokens)};
  }
  if ((req.num_gpus > 0) == (req.deadline_s > 0)) {
    return Error{"give exactly one of --gpus (> 0) or --days (> 0)"};
  }
  if (req.num_gpus < 0 || req.num_gpus > kMaxGpus) {
    return Error{fmt::format("--gpus must be between 1 and {}, got {}", kMaxGpus, req.num_gpus)};
  }
  if (req.deadline_s < 0 || req.deadline_s > kMaxDeadlineDays * kSecondsPerDay) {
    return Error{fmt::format("--days must be between 0 and {}, got {}", kMaxDeadlineDays,
                             req.deadline_s / kSecondsPerDay)};
  }
  if (!(req.goodput >= 0) || req.goodput > 1) {
    return Error{fmt::format("--goodput must be in (0, 1] (0: modelled), got {}", req.goodput)};
  }
  if (!(req.interruptions_per_gpu_s >= 0) ||
      req.interruptions_per_gpu_s > kMaxInterruptionsPerGpuYear / kSecondsPerYear) {
    return Error{fmt::format("--interruptions-per-gpu-year must be between 0 and {}, got {}",
                             kMaxInterruptionsPerGpuYear,
                             req.interruptions_per_gpu_s * kSecondsPerYear)};
  }
  if (!(req.pue >= 1) || req.pue > 3) {
    return Error{fmt::format("--pue must be between 1 and 3, got {}", req.pue)};
  }
  if (!(req.usd_per_gpu_hour >= 0) || req.usd_per_gpu_hour > 1000) {
    return Error{
        fmt::format("--usd-per-gpu-hour must be between 0 and 1000, got {}", req.usd_per_gpu_hour)};
  }
  if (req.seq_len < 0 || req.seq_len > (1 << 22)) {
    return Error{fmt::format("--seq must be between 1 and {}, got {}", 1 << 22, req.seq_len)};
  }
  if (req.fixed_zero < -1 || req.fixed_zero > 3) {
    return Error{fmt::format("ZeRO stage must be 0..3, got {}", req.fixed_zero)};
  }
  if (req.global_batch_seqs < 0 || req.global_batch_seqs > kMaxBatchSeqs) {
    return Error{fmt::format("--batch must be between 1 and {} sequences, got {}", kMaxBatchSeqs,
                             req.global_batch_seqs)};
  }
  if (!(req.global_batch_tokens >= 0) || req.global_batch_tokens > kMaxBatchTokens) {
    return Error{fmt::format("--batch-tokens must be between 1 and {}, got {}",
                             FormatQuantity(kMaxBatchTokens), req.global_batch_tokens)};
  }
  if (req.global_batch_seqs > 0 && req.global_batch_tokens > 0) {
    return Error{"give --batch (sequences) or --batch-tokens, not both"};
  }
  if (!(req.eval_tokens_per_token >= 0) || req.eval_tokens_per_token > 10) {
    return Error{fmt::format("evaluation tokens per trained token must be between 0 and 10, got {}",
                             req.eval_tokens_per_token)};
  }
  GPUPLAN_TRY(ValidateSizingQuantile(req.sizing_quantile));
  if (req.explain_top < 0 || req.explain_top > 100) {
    return Error{fmt::format("--explain must be between 0 and 100, got {}", req.explain_top)};
  }
  return Ok{};
}

Result<TrainPlan> SizeTraining(const TrainRequest& req, const catalog::Accelerator& gpu) {
  GPUPLAN_TRY(Validate(req));
  auto stack = FindStack(req.stack);
  GPUPLAN_TRY(stack);
  if (req.precision == catalog::Precision::kFp8 && !gpu.has_fp8()) {
    return Error{fmt::format("accelerator '{}' has no FP8; use --precision bf16", gpu.id)};
  }
  const int seq_len =
      req.seq_len > 0 ? req.seq_len
                      : (req.model.train_seq_len > 0 ? req.model.train_seq_len : kDefaultSeqLen);
  const int keep = std::max(1, req.explain_top);
  const int gpn = gpu.gpus_per_node;
  auto batch_for = [&](int gpus) {
    if (req.global_batch_seqs > 0) return req.global_batch_seqs;
    if (req.global_batch_tokens > 0) {
      return std::max(1, int(std::lround(req.global_batch_tokens / seq_len)));
    }
    return DefaultGlobalBatchSeqs(gpus, seq_len);
  };
  int evaluated = 0;
  double min_mem = std::numeric_limits<double>::infinity();
  auto search = [&](int gpus) {
    const Problem pr = MakeProblem(req.model, gpu, *stack, req.precision, seq_len, batch_for(gpus));
    SearchResult r = Search(pr, req, gpus, keep);
    evaluated += r.evaluated;
    min_mem = std::min(min_mem, r.min_memory_bytes);
    return r;
  };
  // (R1) goodput: stated, or what interruptions cost `gpus` GPUs on this stack.
  auto reliability = [&](int gpus) {
    RunReliability r = WholeRunReliability(gpus, req.interruptions_per_gpu_s, *stack);
    if (!req.is_full_run) r = RunReliability{};
    if (req.is_full_run && req.goodput > 0) r.goodput = req.goodput;
    return r;
  };
  auto seconds_of = [&](const ConfigEval& ev) {
    const double eval = 1 + req.eval_tokens_per_token * ev.forward_only_s / ev.time.step_s;
    return req.tokens / ev.tokens_per_s * eval / reliability(ev.parallelism.num_gpus()).goodput;
  };
  // (I1)-(I3) the 90% interval.
  std::vector<std::string> reasons;
  static const std::set<std::string> kCalibratedParts = {"a100-sxm4-80gb", "h100-sxm5-80gb",
                                                         "gaudi2"};
  if (!kCalibratedParts.contains(gpu.id)) reasons.push_back(fmt::format("accelerator {}", gpu.id));
  if (req.model.is_moe()) reasons.push_back("mixture of experts");
  if (seq_len > kCalibratedMaxSeqLen) reasons.push_back(fmt::format("context {}", seq_len));
  if (req.is_shape_inferred) reasons.push_back("inferred shape");
  // The calibration rows ran on the 2021 and 2023 stacks (validation.cpp); what later stacks
  // overlap (TP-comm overlap) is physics no row has checked.
  static const std::set<std::string> kCalibratedStacks = {"megatron-2021", "megatron-2023"};
  if (!kCalibratedStacks.contains(stack->name)) {
    reasons.push_back(fmt::format("stack {}", stack->name));
  }
  const double extra_var = double(reasons.size()) * kOutOfDomainLogSd * kOutOfDomainLogSd;
  // (I3) throughput: benchmark residuals; whole-run time: the whole-run residuals on top.
  const double tp_sd = std::sqrt(kThroughputLogSd * kThroughputLogSd + extra_var);
  const Range tp_factor{std::exp(-kZ90 * tp_sd), std::exp(kZ90 * tp_sd)};
  const double time_sd =
      req.is_full_run ? std::sqrt(kWholeRunLogSd * kWholeRunLogSd + extra_var) : tp_sd;
  // (Q1) A deadline met at quantile q of the duration: the interval is lognormal (I1), so the
  // q-quantile is the point x exp(z_q time_sd), z_q the standard normal quantile.
  const double deadline_factor = req.sizing_quantile == kDefaultSizingQuantile
                                     ? 1.0
                                     : std::exp(NormalQuantile(req.sizing_quantile) * time_sd);
  const double deadline_days = req.deadline_s / kSecondsPerDay / deadline_factor;
  auto days_of = [&](const ConfigEval& ev) { return seconds_of(ev) / kSecondsPerDay; };
  SearchResult chosen;
  int gpus = req.num_gpus;
  if (gpus > 0) {
    chosen = search(gpus);
  } else {
    // Smallest whole-node count meeting the deadline: double until met, then bisect on nodes.
    int lo_nodes = 0, hi_nodes = 1;
    SearchResult hi_res;
    while (true) {
      hi_res = search(hi_nodes * gpn);
      if (!hi_res.best.empty() && days_of(hi_res.best[0]) <= deadline_days) break;
      lo_nodes = hi_nodes;
      if (hi_nodes * gpn >= kMaxGpus / 2) {
        if (hi_res.best.empty()) break;
        return Error{fmt::format(
            "no cluster up to {} {} GPUs trains {} tokens within {} days (best: {:.1f} days)",
            hi_nodes * gpn, gpu.id, FormatQuantity(req.tokens), req.deadline_s / kSecondsPerDay,
            days_of(hi_res.best[0]))};
      }
      hi_nodes *= 2;
    }
    while (hi_nodes - lo_nodes > 1) {
      const int mid = (lo_nodes + hi_nodes) / 2;
      SearchResult r = search(mid * gpn);
      if (!r.best.empty() && days_of(r.best[0]) <= deadline_days) {
        hi_nodes = mid;
        hi_res = std::move(r);
      } else {
        lo_nodes = mid;
      }
    }
    chosen = std::move(hi_res);
    gpus = hi_nodes * gpn;
  }
  TrainPlan plan;
  const model::ParamCounts pc = model::CountParams(req.model);
  plan.model = req.model.name;
  plan.params = pc.total;
  plan.active_params = pc.active;
  plan.tokens = req.tokens;
  plan.accelerator = gpu.id;
  plan.stack = stack->name;
  plan.precision = req.precision;
  plan.seq_len = seq_len;
  plan.gpus = gpus;
  plan.configs_evaluated = evaluated;
  for (const std::string& note : req.model.notes) plan.notes.push_back(note);
  if (chosen.best.empty()) {
    plan.status = TrainStatus::kFitsNothing;
    plan.memory.total_bytes = min_mem;
    plan.memory.usable_bytes = gpu.memory_bytes * (1 - kMemoryHeadroomFraction);
    plan.status_message = fmt::format(
        "{} fits no parallel layout on {} {} GPUs ({:.0f} GB each, {:.0f}% kept as headroom): the "
        "leanest layout needs {:.1f} GiB per GPU; use more GPUs or an accelerator with more memory",
        req.model.name, gpus, gpu.id, gpu.memory_bytes / 1e9, kMemoryHeadroomFraction * 100,
        min_mem / kBytesPerGib);
    return plan;
  }
  const ConfigEval& best = chosen.best[0];
  const RunReliability rel = reliability(gpus);
  plan.goodput = rel.goodput;
  plan.interruptions_per_gpu_s = req.is_full_run ? req.interruptions_per_gpu_s : 0;
  plan.checkpoint_interval_s = rel.checkpoint_interval_s;
  plan.tokens_per_s = best.tokens_per_s;
  plan.duration_s = seconds_of(best);
  plan.interruptions = rel.interruptions_per_s * plan.duration_s;
  plan.gpu_seconds = plan.duration_s * gpus;
  plan.flop_per_token = TrainFlopPerToken(req.model, seq_len);
  plan.flop_per_s_per_gpu = plan.flop_per_token * best.tokens_per_s / gpus;
  plan.mfu = best.mfu;
  plan.hfu = best.hfu;
  plan.hardware_flop_per_s_per_gpu = best.hfu * gpu.PeakFlopPerS(req.precision);
  plan.step_s = best.time.step_s;
  plan.global_batch_seqs = best.global_batch_seqs;
  plan.parallelism = best.parallelism;
  plan.time = best.time;
  plan.memory = best.memory;
  plan.pue = req.pue;
  plan.energy_j = plan.gpu_seconds * gpu.tdp_w * req.pue;
  double price = req.usd_per_gpu_hour;
  if (price <= 0) {
    catalog::CostPolicy policy = catalog::kDefaultCostPolicy;  // at this request's PUE
    policy.pue = req.pue;
    price = AmortizedUsdPerGpuHour(gpu, policy);
  }
  if (price <= 0) {
    price = kFallbackUsdPerGpuHour;
    plan.notes.push_back(
        fmt::format("no price for {}: cost uses ${:.2f}/GPU-hour (override with "
                    "--usd-per-gpu-hour)",
                    gpu.id, price));
  }
  plan.usd_per_gpu_hour = price;
  plan.cost_usd = plan.gpu_seconds / kSecondsPerHour * price;
  if (req.explain_top > 0) plan.top = chosen.best;
  if (req.is_full_run && req.goodput > 0) {
    plan.notes.push_back(
        fmt::format("days and gpu_hours include the stated goodput {:.2f}; tokens_per_s does not",
                    rel.goodput));
  } else if (req.is_full_run) {
    plan.notes.push_back(fmt::format(
        "days and gpu_hours include goodput {:.3f}: {:.0f} expected interruptions ({:.3f} per "
        "GPU-year x {} GPUs), each costing {} restart {:.0f} min plus half a {:.0f}-min "
        "checkpoint interval; tokens_per_s does not",
        rel.goodput, plan.interruptions, req.interruptions_per_gpu_s * kSecondsPerYear, gpus,
        stack->name, stack->restart_s / 60, rel.checkpoint_interval_s / 60));
  }
  const Range time_factor{std::exp(-kZ90 * time_sd), std::exp(kZ90 * time_sd)};
  auto scaled = [](double v, const Range& f) { return Range{v * f.lo, v * f.hi}; };
  TrainInterval90& iv = plan.interval_90;
  iv.tokens_per_s = scaled(plan.tokens_per_s, tp_factor);
  iv.mfu = scaled(plan.mfu, tp_factor);
  iv.flop_per_s_per_gpu = scaled(plan.flop_per_s_per_gpu, tp_factor);
  iv.duration_s = scaled(plan.duration_s, time_factor);
  iv.gpu_seconds = scaled(plan.gpu_seconds, time_factor);
  std::string why;
  for (const std::string& r : reasons) why += (why.empty() ? "" : ", ") + r;
  plan.notes.push_back(fmt::format(
      "interval_90 from the calibration rows' errors ({}){}",
      req.is_full_run ? "whole runs" : "benchmarks",
      reasons.empty() ? "" : fmt::format("; widened outside what was calibrated: {}", why)));
  if (req.deadline_s > 0 && req.sizing_quantile != kDefaultSizingQuantile) {
    plan.notes.push_back(
        fmt::format("GPUs sized so the {:.2f} quantile of days ({:.1f} = {:.2f} x the point) meets "
                    "the {:g}-day "
                    "deadline",
                    req.sizing_quantile, plan.duration_s / kSecondsPerDay * deadline_factor,
                    deadline_factor, req.deadline_s / kSecondsPerDay));
  }
  plan.notes.push_back(fmt::format(
      "energy: accelerators at TDP ({:.0f} W) x PUE {:.2f}; hosts and network not included",
      gpu.tdp_w, req.pue));
  return plan;
}

nlohmann::ordered_json TrainPlanJson(const TrainPlan& p) {
  nlohmann::ordered_json j;
  j["model"] = p.model;
  j["params"] = p.params;
  j["active_params"] = p.active_params;
  j["tokens"] = p.tokens;
  j["accelerator"] = p.accelerator;
  j["stack"] = p.stack;
  j["precision"] = std::string(catalog::ToString(p.precision));
  j["seq_len"] = p.seq_len;
  j["gpus"] = p.gpus;
  j["status"] = p.status == TrainStatus::kOk ? "ok" : "fits_nothing";
  if (p.status != TrainStatus::kOk) {
    j["status_message"] = p.status_message;
    j["memory_needed_gib"] = p.memory.total_bytes / kBytesPerGib;
  }
  j["days"] = p.duration_s / kSecondsPerDay;
  j["gpu_hours"] = p.gpu_seconds / kSecondsPerHour;
  j["tflops_per_gpu"] = p.flop_per_s_per_gpu / 1e12;
  j["hardware_tflops_per_gpu"] = p.hardware_flop_per_s_per_gpu / 1e12;
  j["mfu"] = p.mfu;
  j["hfu"] = p.hfu;
  j["tokens_per_s"] = p.tokens_per_s;
  j["step_s"] = p.step_s;
  j["global_batch_seqs"] = p.global_batch_seqs;
  const Parallelism& par = p.parallelism;
  j["parallelism"] = {{"tp", par.tp},
                      {"pp", par.pp},
                      {"dp", par.dp},
                      {"ep", par.ep},
                      {"cp", par.cp},
                      {"microbatch", par.microbatch},
                      {"virtual_stages", par.virtual_stages},
                      {"recompute", std::string(ToString(par.recompute))},
                      {"zero", par.zero}};
  j["memory_per_gpu_gib"] = p.memory.total_bytes / kBytesPerGib;
  j["goodput"] = p.goodput;
  j["interruptions"] = p.interruptions;
  j["interruptions_per_gpu_year"] = p.interruptions_per_gpu_s * kSecondsPerYear;
  j["checkpoint_interval_s"] = p.checkpoint_interval_s;
  j["pue"] = p.pue;
  j["energy_mwh"] = p.energy_j / kJoulesPerMwh;
  j["usd_per_gpu_hour"] = p.usd_per_gpu_hour;
  j["cost_usd"] = p.cost_usd;
  j["configs_evaluated"] = p.configs_evaluated;
  const TrainInterval90& iv = p.interval_90;
  auto pair = [](const Range& r, double unit) {
    return nlohmann::ordered_json::array({r.lo / unit, r.hi / unit});
  };
  j["interval_90"] = {{"gpu_hours", pair(iv.gpu_seconds, kSecondsPerHour)},
                      {"days", pair(iv.duration_s, kSecondsPerDay)},
                      {"tokens_per_s", pair(iv.tokens_per_s, 1)},
                      {"mfu", pair(iv.mfu, 1)},
                      {"tflops_per_gpu", pair(iv.flop_per_s_per_gpu, 1e12)}};
  j["notes"] = p.notes;
  return j;
}

}  // namespace gpuplan::sizing
