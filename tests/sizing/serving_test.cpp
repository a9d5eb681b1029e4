#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sizing/sizing.h"

namespace gpuplan::sizing {
namespace {

model::ModelShape Preset(const char* name) {
  auto m = model::LoadPreset(name);
  EXPECT_TRUE(m) << name << ": " << (m ? "" : m.error().message);
  return m ? *m : model::ModelShape{};
}

catalog::Accelerator Gpu(const char* id) {
  const auto cat = catalog::Catalog::LoadDefault();
  EXPECT_TRUE(cat) << (cat ? "" : cat.error().message);
  if (!cat) return catalog::Accelerator{};
  auto a = cat->Find(id);
  EXPECT_TRUE(a) << id;
  return a ? **a : catalog::Accelerator{};
}

// A toy accelerator with round numbers for hand calculations: H100-like rates, memory big
// enough for any model at TP 1.
catalog::Accelerator Toy() {
  catalog::Accelerator a;
  a.id = "toy";
  a.peak_bf16_flop_per_s = 1e15;
  a.peak_fp8_flop_per_s = 2e15;
  a.memory_bytes = 1e12;
  a.memory_bandwidth_bytes_per_s = 3.35e12;
  a.scaleup_bytes_per_s = 450e9;
  a.scaleup_domain = 8;
  a.gemm_efficiency = 0.75;
  a.serve_gemm_efficiency = 0.75;
  a.serve_hbm_efficiency = 0.8;
  a.tdp_w = 700;
  a.price_usd = 0;
  return a;
}

ServeRequest Request(const char* model, int prompt, int output) {
  ServeRequest r;
  r.model = Preset(model);
  r.prompt_tokens = prompt;
  r.output_tokens = output;
  return r;
}

TEST(ServeWeightBytes, MatchesHandCalculation) {
  const model::ModelShape m = Preset("llama3-70b");
  const double params = model::CountParams(m).total;  // 70.55e9 (model_test checks it)
  EXPECT_NEAR(params, 70.55e9, 0.05e9);
  EXPECT_DOUBLE_EQ(ServeWeightBytes(m, ServePrecision::kBf16), 2 * params);  // 141 GB
  EXPECT_DOUBLE_EQ(ServeWeightBytes(m, ServePrecision::kFp8), params);
  EXPECT_DOUBLE_EQ(ServeWeightBytes(m, ServePrecision::kInt8), params);
  // INT4: half a byte plus one FP16 scale per 128 weights = 0.515625 bytes.
  EXPECT_DOUBLE_EQ(ServeWeightBytes(m, ServePrecision::kInt4), 0.515625 * params);
}

TEST(ServeKvBytesPerToken, MatchesHandCalculation) {
  const struct {
    const char* model;
    ServePrecision p;
    double bytes;  // hand calculation from the preset's config
  } rows[] = {
      // K and V x 80 layers x 8 KV heads x 128 dims x 2 bytes (GQA).
      {"llama3-70b", ServePrecision::kBf16, 2.0 * 80 * 8 * 128 * 2},  // 327,680
      {"llama3-70b", ServePrecision::kFp8, 2.0 * 80 * 8 * 128 * 1},   // FP8 KV cache
      // Llama 2 7B is MHA: 32 layers x 32 heads x 128 dims.
      {"llama2-7b", ServePrecision::kBf16, 2.0 * 32 * 32 * 128 * 2},  // 524,288
      // DeepSeek-V3 MLA: 61 layers x (kv_lora_rank 512 + rope dim 64) x 2 bytes.
      {"deepseek-v3", ServePrecision::kBf16, 61.0 * (512 + 64) * 2},  // 70,272
  };
  for (const auto& r : rows) {
    EXPECT_DOUBLE_EQ(ServeKvBytesPerToken(Preset(r.model), r.p), r.bytes) << r.model;
  }
}

TEST(ServeStepS, DecodeAtBatchOneReadsTheWeights) {
  // A decode iteration of Llama 3 70B in BF16 at batch 1 reads 141.1 GB of weights plus one
  // sequence's KV cache (1000 + 200/2 = 1100 tokens x 327,680 B = 0.36 GB) at 80% of 3.35 TB/s:
  // 52.8 ms; its 141 GFLOP at 1e15 x 0.75 x kServeGemmDerate add ~0.2 ms.
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const double step = ServeStepS(r, Toy(), 1, 1, 0);
  const double weights = ServeWeightBytes(r.model, ServePrecision::kBf16);
  const double kv = 1100 * 327680.0;
  const double memory_s = (weights + kv) / (3.35e12 * 0.8 * kServeHbmScale);
  const double flop_s =
      model::ForwardWeightFlopPerToken(r.model) / (1e15 * 0.75 * kServeGemmDerate);
  EXPECT_NEAR(step, memory_s + flop_s, 1e-6);
  EXPECT_NEAR(step, 52.8e-3 / kServeHbmScale + flop_s, 0.3e-3);
}

TEST(ServeStepS, IterationTimeIsLinearInBatchedTokens) {
  // Above the weight-read floor every token adds its GEMM FLOPs (a max() roofline would make
  // tokens free until compute-bound): doubling the tokens adds the same increment again.
  const ServeRequest r = Request("llama3-8b", 500, 500);
  const catalog::Accelerator gpu = Toy();
  const double floor = ServeStepS(r, gpu, 1, 0, 0);
  const double at_256 = ServeStepS(r, gpu, 1, 256, 0);
  const double at_512 = ServeStepS(r, gpu, 1, 512, 0);
  EXPECT_GT(at_256, floor);
  EXPECT_NEAR(at_512 - at_256, at_256 - floor, 0.05 * (at_256 - floor));
  // A prompt token costs its GEMM FLOPs (attention over half the prompt is small); a decode
  // token costs them plus reading its sequence's KV cache (750 tokens x 131 kB).
  const double gemm_s =
      256 * model::ForwardWeightFlopPerToken(r.model) / (1e15 * 0.75 * kServeGemmDerate);
  const double prefill = ServeStepS(r, gpu, 1, 0, 256);
  EXPECT_NEAR(prefill - floor, gemm_s, 0.2 * gemm_s);
  const double kv_s = 256 * 750 * 131072.0 / (3.35e12 * 0.8 * kServeHbmScale);
  EXPECT_NEAR(at_256 - floor, gemm_s + kv_s, 0.05 * (gemm_s + kv_s));
}

TEST(ServeStepS, TensorParallelSplitsTheStepAndPaysForAllReduces) {
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const catalog::Accelerator gpu = Toy();
  const double tp1 = ServeStepS(r, gpu, 1, 1, 0);
  const double tp8 = ServeStepS(r, gpu, 8, 1, 0);
  // Weights and KV split 8 ways, plus 2 all-reduces per layer x 80 layers, each at least the
  // 10 us NCCL latency: 1.6 ms.
  EXPECT_GT(tp8, tp1 / 8 + 1.6e-3);
  EXPECT_LT(tp8, tp1 / 8 + 2.0e-3);
}

// Two cards without NVLink (8 to a server), PCIe Gen4 (32 GB/s) and Gen5 (64 GB/s).
std::pair<catalog::Accelerator, catalog::Accelerator> PcieCards() {
  catalog::Accelerator gen4 = Toy();
  gen4.scaleup_domain = 1;
  gen4.gpus_per_node = 8;
  gen4.scaleup_bytes_per_s = 32e9;
  catalog::Accelerator gen5 = gen4;
  gen5.scaleup_bytes_per_s = 64e9;
  return {gen4, gen5};
}

TEST(ServeStepS, PcieCollectivesRunAtTheirShareOfTheLink) {
  // A card without NVLink: TP4 all-reduces cross PCIe at 62.5% of its x16 link each way
  // (8-card nccl-tests busbw), so a Gen4 card (32 GB/s) pays twice a Gen5 card's (64 GB/s)
  // per byte: 2 all-reduces x 80 layers x 2 (3/4) x 1024 tokens x 8192 x 2 bytes.
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const auto [gen4, gen5] = PcieCards();
  const double bus_bytes = 2 * 0.75 * 1024 * 8192 * 2.0;
  const double expected = 2 * 80 * bus_bytes * (1 / (0.625 * 32e9) - 1 / (0.625 * 64e9));
  const double diff = ServeStepS(r, gen4, 4, 1024, 0) - ServeStepS(r, gen5, 4, 1024, 0);
  EXPECT_NEAR(diff, expected, 1e-6 * expected);
}

TEST(ServeStepS, PcieAllToAllsRunAtTheCollectiveShareOfTheLink) {
  // Attention DP over 4 cards without NVLink: the all-to-alls move at PCIe's measured collective
  // rate (62.5% of the x16 link), not that rate x the 80% all-to-alls reach of an NVLink peak.
  // Mixtral 8x7B in BF16, 1024 decode sequences, 256 per rank: each token goes to
  // 4 (1 - (3/4)^2) = 1.75 ranks, 3/4 of them others, 4096 x (2 + 2) bytes (dispatch and
  // combine), in each of 32 MoE layers.
  ServeRequest r = Request("mixtral-8x7b", 1000, 200);
  const auto [gen4, gen5] = PcieCards();
  const ServeLayout dep4{.tp = 4, .ep = 4, .is_attention_dp = true};
  const double bytes = 32 * 256 * 1.75 * 0.75 * 4096 * 4.0;
  const double expected = bytes * (1 / (0.625 * 32e9) - 1 / (0.625 * 64e9));
  const double diff = ServeStepS(r, gen4, dep4, 1024, 0) - ServeStepS(r, gen5, dep4, 1024, 0);
  EXPECT_NEAR(diff, expected, 1e-6 * expected);
}

TEST(AttendedContext, ChunkedLayersAttendWithinTheirChunk) {
  // 4 layers, 1 global, chunks of 8 tokens. Positions [8, 12): the global layer attends to 10 on
  // average, the chunked ones to x mod 8 in [0, 4), 2 on average: 1/4 x 10 + 3/4 x 2 = 4.
  model::ModelShape m = Preset("llama3-8b");
  m.num_layers = 4;
  EXPECT_DOUBLE_EQ(AttendedContext(m, 8, 12), 10);  // no chunks: the whole context
  m.attention_chunk = 8;
  m.num_global_attention_layers = 1;
  EXPECT_DOUBLE_EQ(AttendedContext(m, 8, 12), 4);
  // [4, 20): chunked offsets 4..8 (mean 6), 0..8 (4), 0..4 (2) over 4, 8, 4 tokens: 64 / 16 = 4;
  // global 12: 1/4 x 12 + 3/4 x 4 = 6. Within the first chunk chunks change nothing.
  EXPECT_DOUBLE_EQ(AttendedContext(m, 4, 20), 6);
  EXPECT_DOUBLE_EQ(AttendedContext(m, 0, 6), 3);
}

TEST(ServeStepS, ChunkedAttentionReadsOnlyTheChunkPastIt) {
  // Llama 4 Maverick's preset: 36 of 48 layers attend within 8192-token chunks.
  ServeRequest r = Request("llama4-maverick", 8192, 1024);
  ASSERT_EQ(r.model.attention_chunk, 8192);
  ASSERT_EQ(r.model.num_global_attention_layers, 12);
  ServeRequest whole = r;
  whole.model.attention_chunk = 0;
  // Decoding positions [8192, 9216): a chunked layer attends to 512 tokens on average, a global
  // one to 8704; each decode step reads 100 x (8704 - (12 x 8704 + 36 x 512) / 48) tokens' KV
  // less (FP8 KV; memory-bound on the toy part: 2 x 40 heads x 256 FLOP per 8 x 256 KV bytes,
  // 10 FLOP per byte, far below its ~475 FLOP per byte of HBM).
  r.precision = whole.precision = ServePrecision::kFp8;
  const double kv = ServeKvBytesPerToken(r.model, true);
  const double saved_tokens = 100 * (8704 - (12 * 8704 + 36 * 512) / 48.0);
  const double expected = saved_tokens * kv / (3.35e12 * 0.8 * kServeHbmScale);
  const double diff = ServeStepS(whole, Toy(), 1, 100, 0) - ServeStepS(r, Toy(), 1, 100, 0);
  EXPECT_NEAR(diff, expected, 1e-9 * expected);
  // Short sequences stay within the first chunk: nothing changes.
  ServeRequest short_r = Request("llama4-maverick", 1000, 1000), short_whole = short_r;
  short_whole.model.attention_chunk = 0;
  EXPECT_DOUBLE_EQ(ServeStepS(short_r, Toy(), 1, 100, 500),
                   ServeStepS(short_whole, Toy(), 1, 100, 500));
}

TEST(ServeStepS, TpPastTheScaleUpDomainCrossesPcie) {
  // L40S has no NVLink (domain 1): TP4 all-reduces cross PCIe (20 GB/s of its Gen4 link), slower
  // per byte than NVLink, and the plan says so.
  ServeRequest r = Request("llama2-70b", 500, 300);
  r.precision = ServePrecision::kFp8;
  r.num_gpus = 8;
  auto plan = SizeServing(r, Gpu("l40s"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_GE(plan->point.tp, 2);  // 70 GB of FP8 weights on 48 GB cards
  bool says_pcie = false;
  for (const auto& n : plan->notes) says_pcie |= n.find("PCIe") != std::string::npos;
  EXPECT_TRUE(says_pcie);
}

TEST(ServeStepS, MoeReadsOnlyTheRoutedExpertsAndPadsTheirTiles) {
  // Mixtral 8x7B: 46.7B weights, 12.9B active. At batch 1 an iteration reads the non-expert
  // weights and 2 of 8 experts per layer: about the active bytes, far below all of them.
  const ServeRequest r = Request("mixtral-8x7b", 100, 100);
  const catalog::Accelerator gpu = Toy();
  const model::ParamCounts c = model::CountParams(r.model);
  const double hbm = 3.35e12 * 0.8 * kServeHbmScale;
  const double step1 = ServeStepS(r, gpu, 1, 1, 0);
  EXPECT_GT(step1, 2 * c.active / hbm * 0.95);
  // (plus each touched expert's 64-row tile and the routing kernels: ~30% at batch 1)
  EXPECT_LT(step1, 2 * c.active / hbm * 1.35);
  // At batch 64 nearly every expert is touched (1 - (6/8)^64 ~ 1): all weights are read, and
  // each expert's 16 tokens compute a 64-row tile: 4x the expert FLOPs of a dense count.
  const double step64 = ServeStepS(r, gpu, 1, 64, 0);
  EXPECT_GT(step64, 2 * c.total / hbm);
  ServeRequest dense = Request("llama3-8b", 100, 100);
  const double tile_cost = ServeStepS(r, gpu, 1, 64, 0) - ServeStepS(r, gpu, 1, 63, 0);
  const double dense_cost = ServeStepS(dense, gpu, 1, 64, 0) - ServeStepS(dense, gpu, 1, 63, 0);
  EXPECT_LT(tile_cost, dense_cost);  // padded tiles: an extra token is free until a tile fills
}

TEST(ServeStepS, ExpertGemmsComputeWholeTiles) {
  // Mixtral on the toy part, prompt tokens only (no KV reads): n tokens touch all 8 experts,
  // each gets m = 2n / 8 rows. From m = 128 to 129 a second 128-row tile is computed whole:
  // 128 rows x 8 experts x 2 x 176M expert weights x 32 layers = 11.5 TFLOP more.
  const ServeRequest r = Request("mixtral-8x7b", 100, 100);
  const catalog::Accelerator gpu = Toy();
  const model::ParamCounts c = model::CountParams(r.model);
  const double rate = 1e15 * 0.75 * kServeGemmDerate;
  const double tile_s = 128.0 * 8 * 2 * c.expert * 32 / rate;
  const double at_512 = ServeStepS(r, gpu, 1, 0, 512);  // m = 128: one tile
  const double at_516 = ServeStepS(r, gpu, 1, 0, 516);  // m = 129: two
  const double at_260 = ServeStepS(r, gpu, 1, 0, 260);  // m = 65: one 128-row tile
  EXPECT_GT(at_516 - at_512, tile_s);
  EXPECT_LT(at_516 - at_512, 1.05 * tile_s);
  EXPECT_LT(at_512 - at_260, 0.3 * tile_s);  // 252 tokens more, in the tiles already paid
}

TEST(ServeStepS, RoutedTokensCostTheirActivationTraffic) {
  // Within one tile count (m from 130 to 250 rows per expert: two 128-row tiles) a Mixtral
  // prompt token costs its non-expert GEMMs, its prefill attention and its 2 routed copies'
  // trips through HBM between the MoE kernels: 8 x 4096 + 12 x 14336 = 204,800 bytes per copy
  // per layer, 13.1 MB per token over 32 layers.
  const ServeRequest r = Request("mixtral-8x7b", 100, 100);
  const catalog::Accelerator gpu = Toy();
  const model::ParamCounts c = model::CountParams(r.model);
  const double rate = 1e15 * 0.75 * kServeGemmDerate;
  const double hbm = 3.35e12 * 0.8 * kServeHbmScale;
  const double other_flop = model::ForwardWeightFlopPerToken(r.model) - 2.0 * 32 * 2 * c.expert;
  const double attention_flop = model::ForwardAttentionFlopPerToken(r.model, 50);
  const double copy_bytes = 8.0 * 4096 + 12.0 * 14336;
  const double per_token_s = (other_flop + attention_flop) / rate + 2 * 32 * copy_bytes / hbm;
  const double slope = (ServeStepS(r, gpu, 1, 0, 1000) - ServeStepS(r, gpu, 1, 0, 520)) / 480;
  EXPECT_NEAR(slope, per_token_s, 0.02 * per_token_s);
  EXPECT_GT(2 * 32 * copy_bytes / hbm, 0.3 * per_token_s);  // the traffic is no rounding error
}

TEST(ServeStepS, MlaDecodeAttentionRunsBf16MathOnAnFp8Cache) {
  // DeepSeek-V3's absorbed MLA decode is compute-bound (~480 FLOP per cached FP8 byte): an FP8
  // latent cache is dequantized to BF16 for the MMAs, so it saves memory, not attention time.
  // A GQA model's decode attention is bound by its KV reads, which FP8 halves.
  ServeRequest r = Request("deepseek-v3", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  const catalog::Accelerator gpu = Gpu("h200-sxm-141gb");
  const ServeLayout dp8{.tp = 8, .ep = 8, .is_attention_dp = true};
  r.kv_cache = KvCachePrecision::kFp8;
  const double fp8 = ServeStepS(r, gpu, dp8, 1024, 0);
  r.kv_cache = KvCachePrecision::kBf16;
  EXPECT_DOUBLE_EQ(ServeStepS(r, gpu, dp8, 1024, 0), fp8);
  ServeRequest gqa = Request("llama3-70b", 1000, 1000);
  gqa.precision = ServePrecision::kFp8;
  gqa.kv_cache = KvCachePrecision::kFp8;
  const double gqa_fp8 = ServeStepS(gqa, gpu, 8, 256, 0);
  gqa.kv_cache = KvCachePrecision::kBf16;
  EXPECT_LT(gqa_fp8, ServeStepS(gqa, gpu, 8, 256, 0));
}

TEST(ServeStepS, AttentionProjectionsRunAtTheCheckpointsPrecision) {
  // NVIDIA's NVFP4 DeepSeek-R1 keeps MLA's projections in BF16 (v1), or all but the output
  // projection (v2): their bytes on every attention-DP rank, and their GEMMs at the BF16 rate.
  ServeRequest r = Request("deepseek-v3", 1024, 2048);
  r.precision = ServePrecision::kFp4;
  const catalog::Accelerator gpu = Gpu("b200");
  const ServeLayout dp8{.tp = 8, .ep = 8, .is_attention_dp = true};
  const double all_fp4_bytes = ServeWeightBytesPerGpu(r, dp8);
  const double all_fp4_step = ServeStepS(r, gpu, dp8, 4096, 0);
  r.attention_precision = ServePrecision::kBf16;
  const double v1_bytes = ServeWeightBytesPerGpu(r, dp8);
  const double v1_step = ServeStepS(r, gpu, dp8, 4096, 0);
  r.attention_output_precision = ServePrecision::kFp4;
  const double v2_bytes = ServeWeightBytesPerGpu(r, dp8);
  const double v2_step = ServeStepS(r, gpu, dp8, 4096, 0);
  const double attention = 61 * model::CountParams(r.model).attention_per_layer;  // ~11.4B
  const double out = 61.0 * 128 * 128 * 7168;                                     // wo: 7.2B
  EXPECT_NEAR(v1_bytes - all_fp4_bytes, attention * (2 - 0.5625), 1e3);
  EXPECT_NEAR(v1_bytes - v2_bytes, out * (2 - 0.5625), 1e3);
  // BF16 GEMMs at a quarter of the FP4 rate: 512 tokens per rank x 2 x 11.4B FLOPs, 3/4 more.
  const double flop_per_s = 9e15 * gpu.serve_gemm_efficiency * kServeGemmDerate;
  const double extra_s = 512 * 2 * attention * (4 - 1) / flop_per_s;
  const double extra_read_s =
      (v1_bytes - all_fp4_bytes) / (gpu.memory_bandwidth_bytes_per_s * gpu.serve_hbm_efficiency);
  EXPECT_NEAR(v1_step - all_fp4_step, extra_s + extra_read_s, 1e-3 * all_fp4_step);
  EXPECT_GT(v1_step, v2_step);
  EXPECT_GT(v2_step, all_fp4_step);
  // A precision the part does not run is an error.
  r.precision = ServePrecision::kFp8;
  r.num_gpus = 8;
  r.attention_precision = ServePrecision::kFp4;
  r.attention_output_precision.reset();
  EXPECT_FALSE(PlanServing(r, Gpu("h200-sxm-141gb")));
}

TEST(ServeStepS, Int4AndFp4ShrinkTheBatchOneStep) {
  ServeRequest r = Request("llama3-70b", 100, 100);
  r.precision = ServePrecision::kFp8;
  const double fp8 = ServeStepS(r, Toy(), 1, 1, 0);
  r.precision = ServePrecision::kInt4;
  const double int4 = ServeStepS(r, Toy(), 1, 1, 0);
  // Weight bytes 0.516 vs 1 per parameter; the KV cache (BF16 for INT4) is small at batch 1.
  EXPECT_NEAR(int4 / fp8, 0.516, 0.03);
  EXPECT_DOUBLE_EQ(ServeWeightBytes(r.model, ServePrecision::kFp4),
                   0.5625 * model::CountParams(r.model).total);  // NVFP4: FP8 scale per 16
}

TEST(SizeServing, Fp4NeedsAnFp4Rate) {
  ServeRequest r = Request("llama2-70b", 500, 300);
  r.precision = ServePrecision::kFp4;
  r.num_gpus = 1;
  auto h100 = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_FALSE(h100);
  EXPECT_NE(h100.error().message.find("no FP4"), std::string::npos);
  auto b200 = SizeServing(r, Gpu("b200"));
  ASSERT_TRUE(b200) << b200.error().message;
  r.precision = ServePrecision::kFp8;
  auto b200_fp8 = SizeServing(r, Gpu("b200"));
  ASSERT_TRUE(b200_fp8);
  EXPECT_GT(b200->output_tokens_per_s, 1.3 * b200_fp8->output_tokens_per_s);
  EXPECT_TRUE(b200->is_kv_cache_fp8);
}

// Published MLPerf Server/Offline ratios (serving_runs.csv, llama2-70b): 0.79-1.01 at the
// 2000 ms / 200 ms p99 limits; MLPerf v5.0's interactive limits (450 ms / 40 ms) give 0.32-0.67.
TEST(ServeCapacity, ServerOverOfflineFallsAsLimitsTighten) {
  ServeRequest r = Request("llama2-70b", 500, 290);
  r.precision = ServePrecision::kFp8;
  const catalog::Accelerator gpu = Gpu("h200-sxm-141gb");
  const double offline = ServeCapacity(r, gpu, 1).requests_per_s;
  ASSERT_GT(offline, 0);
  const struct {
    double ttft_s, tpot_s, lo, hi;
  } limits[] = {{2.0, 0.2, 0.75, 1.0}, {0.45, 0.04, 0.25, 0.7}, {0.3, 0.025, 0, 0.4}};
  double previous = 1.0 + 1e-9;
  for (const auto& l : limits) {
    r.ttft_target_s = l.ttft_s;
    r.tpot_target_s = l.tpot_s;
    const ServePoint p = ServeCapacity(r, gpu, 1);
    const double ratio = p.requests_per_s / offline;
    EXPECT_GE(ratio, l.lo) << l.tpot_s;
    EXPECT_LE(ratio, l.hi) << l.tpot_s;
    EXPECT_LT(ratio, previous) << l.tpot_s;
    if (p.requests_per_s > 0) {
      EXPECT_LE(p.tpot_s, l.tpot_s * (1 + 1e-9));
      EXPECT_LE(p.ttft_s, l.ttft_s * (1 + 1e-9));
    }
    previous = ratio;
  }
}

TEST(ServeCapacity, HigherPercentileAndSpreadCostCapacity) {
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.precision = ServePrecision::kFp8;
  r.ttft_target_s = 0.5;
  r.tpot_target_s = 0.03;
  const catalog::Accelerator gpu = Gpu("h100-sxm5-80gb");
  r.latency_quantile = 0.9;
  const double p90 = ServeCapacity(r, gpu, 1).requests_per_s;
  r.latency_quantile = 0.99;
  const double p99 = ServeCapacity(r, gpu, 1).requests_per_s;
  r.prompt_tokens_std = 800;
  const double spread = ServeCapacity(r, gpu, 1).requests_per_s;
  EXPECT_GT(p90, p99);
  EXPECT_GT(p99, spread);
  EXPECT_GT(spread, 0);
}

TEST(ServeCapacity, EndToEndTargetBinds) {
  ServeRequest r = Request("llama3-8b", 1000, 500);
  r.precision = ServePrecision::kFp8;
  const catalog::Accelerator gpu = Gpu("h100-sxm5-80gb");
  r.tpot_target_s = 0.05;
  const ServePoint loose = ServeCapacity(r, gpu, 1);
  r.e2e_target_s = 0.6 * loose.e2e_s;
  const ServePoint tight = ServeCapacity(r, gpu, 1);
  EXPECT_LT(tight.requests_per_s, loose.requests_per_s);
  EXPECT_LE(tight.e2e_s, r.e2e_target_s * (1 + 1e-9));
  EXPECT_EQ(tight.limit, "e2e");
}

TEST(RequestsPerSFromUsers, DailyUsersWithAPeak) {
  // 1M users x 10 requests a day = 115.7 req/s on average, 2x at the peak hour.
  auto rps = RequestsPerSFromUsers(1e6, 10, 2);
  ASSERT_TRUE(rps);
  EXPECT_NEAR(*rps, 1e7 / 86400 * 2, 1e-9);
  EXPECT_FALSE(RequestsPerSFromUsers(1e6, 10, 0.5));
  EXPECT_FALSE(RequestsPerSFromUsers(0, 10, 2));
}

TEST(SizeServing, KvCacheLimitsTheBatch) {
  // Llama 3 70B FP8 on one H100: 0.9 x 80 GB - 70.55 GB of weights = 1.45 GB of KV cache;
  // 1000 + 1000/2 = 1500 tokens x 163,840 B = 246 MB per sequence: 5 sequences.
  // (Offline: every sequence the cache holds decodes.)
  ServeRequest r = Request("llama3-70b", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  r.num_gpus = 1;
  r.tensor_parallel = 1;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->max_batch, 5);
  EXPECT_EQ(plan->point.batch, 5);  // no latency target: the whole cache is used
  r.max_batch = 3;
  auto capped = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->point.batch, 3);
  EXPECT_LT(capped->output_tokens_per_s, plan->output_tokens_per_s);
  // TensorRT-LLM's GUARANTEED_NO_EVICT sets aside each sequence's whole output: 2000 tokens x
  // 163,840 B = 328 MB per sequence, 4 in 1.45 GB.
  r.max_batch = 0;
  r.kv_admission = KvAdmission::kReserveFull;
  auto reserved = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(reserved);
  EXPECT_EQ(reserved->max_batch, 4);
  EXPECT_EQ(reserved->point.batch, 4);
  EXPECT_TRUE(std::any_of(reserved->notes.begin(), reserved->notes.end(), [](const std::string& n) {
    return n.find("KV admission reserve") != std::string::npos;
  }));
  EXPECT_EQ(*ParseKvAdmission("reserve"), KvAdmission::kReserveFull);
  EXPECT_EQ(*ParseKvAdmission("current"), KvAdmission::kCurrent);
  EXPECT_FALSE(ParseKvAdmission("evict"));
}

TEST(SizeServing, SizesForARequestRate) {
  ServeRequest r = Request("llama3-70b", 1000, 200);
  r.requests_per_s = 50;
  r.ttft_target_s = 0.5;
  r.tpot_target_s = 0.05;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->gpus, plan->replicas * plan->point.tp);
  EXPECT_GE(plan->point.tp, 2);  // 141 GB of BF16 weights need at least 2 x 80 GB
  EXPECT_GE(plan->capacity_requests_per_s, 50);
  // One replica fewer would not carry the load.
  EXPECT_LT(plan->capacity_requests_per_s * (plan->replicas - 1) / plan->replicas, 50);
  EXPECT_LE(plan->point.ttft_s, 0.5);
  EXPECT_LE(plan->point.tpot_s, 0.05);
  EXPECT_NEAR(plan->output_tokens_per_s, 50 * 200, 1e-6);
  EXPECT_GT(plan->usd_per_million_output_tokens, 0);  // H100 has a catalog price
}

TEST(SizeServing, RateThatGpusSustain) {
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.num_gpus = 8;
  r.ttft_target_s = 0.5;
  r.tpot_target_s = 0.05;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_LE(plan->gpus, 8);
  EXPECT_DOUBLE_EQ(plan->requests_per_s, plan->capacity_requests_per_s);
  EXPECT_GT(plan->requests_per_s, 0);
}

TEST(SizeServing, TighterTpotMeansSmallerBatch) {
  // Poisson load: the TPOT target caps the mean batch (and so the capacity).
  ServeRequest r = Request("llama3-70b", 1000, 200);
  r.num_gpus = 8;
  r.tensor_parallel = 8;
  r.tpot_target_s = 0.1;
  auto loose = SizeServing(r, Gpu("h100-sxm5-80gb"));
  r.tpot_target_s = 0.02;
  auto tight = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(loose && tight);
  EXPECT_LT(tight->point.batch, loose->point.batch);
  EXPECT_LE(tight->point.tpot_s, 0.02);
}

TEST(SizeServing, CostAndEnergyFollowFromThroughput) {
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.num_gpus = 1;
  r.price_usd_per_gpu_hour = 2;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  const double tokens_per_gpu_hour = plan->output_tokens_per_s_per_gpu * 3600;
  EXPECT_NEAR(plan->usd_per_million_output_tokens, 2 / tokens_per_gpu_hour * 1e6, 1e-9);
  // 700 W for the hour those tokens take, in kWh per million.
  EXPECT_NEAR(plan->energy_kwh_per_million_output_tokens, 0.7 / tokens_per_gpu_hour * 1e6, 1e-9);
}

TEST(SizeServing, RejectsBadRequests) {
  ServeRequest r = Request("llama3-70b", 1000, 200);
  EXPECT_FALSE(SizeServing(r, Gpu("h100-sxm5-80gb")));  // neither rate nor GPUs
  r.requests_per_s = 10;
  r.num_gpus = 8;
  EXPECT_FALSE(SizeServing(r, Gpu("h100-sxm5-80gb")));  // both
  r.num_gpus = 0;
  r.requests_per_s = -1;
  EXPECT_FALSE(SizeServing(r, Gpu("h100-sxm5-80gb")));
  r.requests_per_s = 10;
  r.precision = ServePrecision::kFp8;
  auto no_fp8 = SizeServing(r, Gpu("a100-sxm4-80gb"));
  ASSERT_FALSE(no_fp8);
  EXPECT_NE(no_fp8.error().message.find("no FP8"), std::string::npos);
}

TEST(PlanServing, DoesNotFitIsAStatusWithTheMemoryItNeeds) {
  // Llama 3 405B in BF16 is 811 GB; eight A100 40GB hold 288 GB, and one stage is all --pp 1
  // allows: a value, not an error, naming what the leanest layout (tp 8) needs per accelerator.
  ServeRequest r = Request("llama3-405b", 1000, 200);
  r.num_gpus = 8;
  r.pipeline_parallel = 1;
  auto plan = PlanServing(r, Gpu("a100-sxm4-40gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->status, ServeStatus::kDoesNotFit);
  EXPECT_EQ(plan->point.tp, 8);
  const double weights = ServeWeightBytes(r.model, ServePrecision::kBf16);
  const double kv = 1200 * ServeKvBytesPerToken(r.model, false) / 8;
  EXPECT_NEAR(plan->required_bytes_per_gpu, weights / 8 + kv, 1e6);  // 101 GB
  EXPECT_DOUBLE_EQ(plan->usable_bytes_per_gpu, 0.9 * 40e9);
  EXPECT_NE(plan->status_message.find("fits no layout"), std::string::npos) << plan->status_message;
  EXPECT_NE(plan->status_message.find("within 8 accelerators"), std::string::npos);
  EXPECT_NE(plan->status_message.find("needs 10"), std::string::npos) << plan->status_message;
  // SizeServing (for callers that take any plan as feasible) keeps it an error.
  auto sized = SizeServing(r, Gpu("a100-sxm4-40gb"));
  ASSERT_FALSE(sized);
  EXPECT_EQ(sized.error().message, plan->status_message);
}

TEST(PlanServing, PastOneServerTpAcrossServersCompetesWithPipelineStages) {
  // Llama 3 405B BF16 (811 GB) on A100 40GB servers of 8: no single-stage layout in a server
  // holds it. With --pp 1, TP spans servers: tp 32 (25.3 GB each) over 4 servers, its
  // all-reduces on the scale-out network. Left to search, four stages of tp 8 (the same 25.7 GB
  // each, hand-offs only between servers) carry far more for the same 32 accelerators and win.
  ServeRequest r = Request("llama3-405b", 1000, 200);
  r.requests_per_s = 1;
  const catalog::Accelerator gpu = Gpu("a100-sxm4-40gb");
  r.pipeline_parallel = 1;
  auto wide = PlanServing(r, gpu);
  ASSERT_TRUE(wide);
  ASSERT_EQ(wide->status, ServeStatus::kOk) << wide->status_message;
  EXPECT_EQ(wide->point.tp, 32);
  EXPECT_EQ(wide->nodes_per_replica, 4);
  bool says_scaleout = false;
  for (const auto& n : wide->notes) says_scaleout |= n.find("scale-out") != std::string::npos;
  EXPECT_TRUE(says_scaleout);
  r.pipeline_parallel = 0;
  auto staged = PlanServing(r, gpu);
  ASSERT_TRUE(staged);
  ASSERT_EQ(staged->status, ServeStatus::kOk) << staged->status_message;
  EXPECT_EQ(staged->point.pp, 4);
  EXPECT_EQ(staged->point.tp, 8);
  EXPECT_EQ(staged->nodes_per_replica, 4);
  const double weights = ServeWeightBytes(r.model, ServePrecision::kBf16);
  EXPECT_NEAR(staged->weight_bytes_per_gpu, weights * 32 / 126 / 8, 1e6);
  EXPECT_EQ(staged->gpus, staged->replicas * 32);
  EXPECT_LE(staged->gpus, wide->gpus);
  EXPECT_GT(staged->capacity_requests_per_s, 2 * wide->capacity_requests_per_s);
  // The search sized the wide layouts too, and more than one pipeline depth.
  EXPECT_GT(staged->configs_evaluated, wide->configs_evaluated);
}

TEST(PlanServing, SearchesEveryExpertParallelDegree) {
  // Mixtral's 8 experts on 8 H200 at tp 8: ep 1, 2, 4 and 8 are all tried (ep divides tp and
  // the expert count), once each; the plan is the best of them, as a brute force over --ep
  // finds.
  ServeRequest r = Request("mixtral-8x7b", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  r.num_gpus = 8;
  r.tensor_parallel = 8;
  r.ttft_target_s = 2;
  r.tpot_target_s = 0.08;
  const catalog::Accelerator gpu = Gpu("h200-sxm-141gb");
  auto searched = PlanServing(r, gpu);
  ASSERT_TRUE(searched);
  ASSERT_EQ(searched->status, ServeStatus::kOk) << searched->status_message;
  EXPECT_EQ(searched->configs_evaluated, 4);
  double best = 0;
  for (int ep : {1, 2, 4, 8}) {
    ServeRequest fixed = r;
    fixed.expert_parallel = ep;
    auto plan = PlanServing(fixed, gpu);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->status, ServeStatus::kOk);
    EXPECT_EQ(plan->configs_evaluated, 1);
    best = std::max(best, plan->capacity_requests_per_s);
  }
  EXPECT_DOUBLE_EQ(searched->capacity_requests_per_s, best);
}

TEST(PlanServing, UnreachableLatencyIsAStatus) {
  // Reading 16 GB of weights takes at least 6 ms per token on an H100; 1 ms cannot be met.
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.requests_per_s = 1;
  r.tpot_target_s = 0.001;
  auto plan = PlanServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->status, ServeStatus::kLatencyUnreachable);
  EXPECT_GT(plan->point.tpot_s, 0.001);
  auto sized = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_FALSE(sized);
  EXPECT_NE(sized.error().message.find("latency targets unreachable"), std::string::npos)
      << sized.error().message;
}

TEST(ServeStepS, PipelineStagesCutMemoryButNotDecodeLatency) {
  // Llama 3 70B BF16 on the toy part. pp 2 halves each accelerator's weights; a decode token
  // still passes both stages, each reading its half of the weights per microbatch: the batch-1
  // step is the pp-1 step plus two hand-offs (10 us each on NVLink), not half of it.
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const catalog::Accelerator gpu = Toy();
  const ServeLayout one{.tp = 1}, two{.tp = 1, .pp = 2};
  EXPECT_NEAR(ServeWeightBytesPerGpu(r, two), ServeWeightBytesPerGpu(r, one) / 2, 1);
  const double step1 = ServeStepS(r, gpu, one, 1, 0);
  const double step2 = ServeStepS(r, gpu, two, 1, 0);
  // The 52.8 ms weight stream stays serial; only the small KV read and GEMMs (0.3 ms) split.
  EXPECT_GT(step2, 0.99 * step1);
  EXPECT_LT(step2, step1 + 2 * 12e-6);
  // Compute-bound prefill pipelines: 8192 prompt tokens run about twice as fast on two stages.
  const double big1 = ServeStepS(r, gpu, one, 0, 8192);
  const double big2 = ServeStepS(r, gpu, two, 0, 8192);
  EXPECT_NEAR(big2 / big1, 0.5, 0.05);
  // tp 2 splits the same weights and does halve the batch-1 step (plus all-reduces).
  EXPECT_LT(ServeStepS(r, gpu, ServeLayout{.tp = 2}, 1, 0), 0.6 * step1);
}

TEST(ServeStepS, HandOffsBetweenServersCrossTheScaleOutNetwork) {
  // tp 8 x pp 2 on 8-GPU H100 servers: the two stages sit on two servers, so both hand-offs of a
  // cycle cross the 50 GB/s NIC. A slower NIC makes the step longer; within one server (tp 4 x
  // pp 2) it does not matter.
  ServeRequest r = Request("llama3-405b", 1000, 200);
  r.precision = ServePrecision::kFp8;
  catalog::Accelerator gpu = Gpu("h100-sxm5-80gb");
  const ServeLayout across{.tp = 8, .pp = 2}, within{.tp = 4, .pp = 2};
  const double fast = ServeStepS(r, gpu, across, 256, 2048);
  const double fast_within = ServeStepS(r, gpu, within, 256, 2048);
  gpu.scaleout_bytes_per_s /= 10;
  EXPECT_GT(ServeStepS(r, gpu, across, 256, 2048), fast * 1.001);
  EXPECT_DOUBLE_EQ(ServeStepS(r, gpu, within, 256, 2048), fast_within);
}

TEST(ServeExpertImbalance, MatchesUniformRoutingByMonteCarlo) {
  // n tokens x k picks over ep ranks: the busiest rank holds mu + z sigma, z Blom's expected
  // maximum of ep normals (1.42 for 8). Checked against seeded uniform top-8 routing over
  // DeepSeek-V3's 256 experts, 32 per rank.
  ServeRequest r = Request("deepseek-v3", 1000, 1000);
  EXPECT_DOUBLE_EQ(ServeExpertImbalance(r, 1, 100), 1);
  Rng rng(15);
  for (const auto& [ep, tokens] : {std::pair{8, 1024}, {8, 64}, {32, 256}, {8, 4}}) {
    double sum = 0;
    const int trials = tokens >= 1024 ? 60 : 300;
    const int per_rank_experts = 256 / ep;
    for (int t = 0; t < trials; ++t) {
      std::vector<int> per_rank(ep, 0);
      for (int token = 0; token < tokens; ++token) {
        std::set<int> experts;
        while (experts.size() < 8) experts.insert(static_cast<int>(rng.UniformInt(256)));
        for (int e : experts) ++per_rank[e / per_rank_experts];
      }
      const double mean = tokens * 8.0 / ep;
      sum += *std::max_element(per_rank.begin(), per_rank.end()) / mean;
    }
    const double simulated = sum / trials;
    // Within 8% of the excess from 64 picks per rank up; the normal approximation runs 6% low
    // at 4 (one busy rank of few picks is more skewed than a normal tail).
    const double tolerance = (tokens * 8 / ep >= 64 ? 0.08 : 0.15) * (simulated - 1) + 0.01;
    EXPECT_NEAR(ServeExpertImbalance(r, ep, tokens), simulated, tolerance)
        << "ep " << ep << " tokens " << tokens;
  }
  EXPECT_GT(ServeExpertImbalance(r, 64, 1024), ServeExpertImbalance(r, 8, 1024));
  r.expert_imbalance = 1.3;  // as measured for a workload, given
  EXPECT_DOUBLE_EQ(ServeExpertImbalance(r, 8, 1024), 1.3);
}

TEST(ServeStepS, ExpertParallelPaysTheBusiestRankAndAllToAlls) {
  ServeRequest r = Request("deepseek-v3", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  const catalog::Accelerator gpu = Gpu("h200-sxm-141gb");
  // Attention TP: EP only reshuffles whole experts onto ranks, so the busiest rank's extra
  // load makes it slower than slicing every expert (ep 1); memory is the same.
  const ServeLayout tp8{.tp = 8}, ep8{.tp = 8, .ep = 8};
  EXPECT_DOUBLE_EQ(ServeWeightBytesPerGpu(r, tp8), ServeWeightBytesPerGpu(r, ep8));
  EXPECT_GT(ServeStepS(r, gpu, ep8, 64, 0), ServeStepS(r, gpu, tp8, 64, 0));
  // Attention DP over 16 ranks on two servers: the all-to-all's off-server share rides the NIC.
  catalog::Accelerator slow = gpu;
  slow.scaleout_bytes_per_s /= 10;
  const ServeLayout dp16{.tp = 16, .ep = 16, .is_attention_dp = true};
  const ServeLayout dp8{.tp = 8, .ep = 8, .is_attention_dp = true};
  EXPECT_GT(ServeStepS(r, slow, dp16, 1024, 0), 1.01 * ServeStepS(r, gpu, dp16, 1024, 0));
  EXPECT_DOUBLE_EQ(ServeStepS(r, slow, dp8, 1024, 0), ServeStepS(r, gpu, dp8, 1024, 0));
}

TEST(ServeMaxSequences, AttentionDataParallelHoldsTheMlaLatentOnce) {
  // DeepSeek-V3 FP8 on 8 H200: under attention TP every rank holds every sequence's latent
  // (MLA has one KV head); under attention DP each holds only its own sequences', for the price
  // of a full copy of the non-expert weights per rank (about 17 GB more).
  ServeRequest r = Request("deepseek-v3", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  r.max_batch = 100000;
  const catalog::Accelerator gpu = Gpu("h200-sxm-141gb");
  const ServeLayout tp8{.tp = 8, .ep = 8}, dp8{.tp = 8, .ep = 8, .is_attention_dp = true};
  const double extra = ServeWeightBytesPerGpu(r, dp8) - ServeWeightBytesPerGpu(r, tp8);
  EXPECT_GT(extra, 10e9);
  EXPECT_LT(extra, 20e9);
  const double kv_seq = ServeKvBytesPerToken(r.model, true) * 1500;  // 35,136 B x 1500 tokens
  const double usable = 0.9 * gpu.memory_bytes;
  const int tp_seqs = ServeMaxSequences(r, gpu, tp8);
  const int dp_seqs = ServeMaxSequences(r, gpu, dp8);
  EXPECT_EQ(tp_seqs, static_cast<int>((usable - ServeWeightBytesPerGpu(r, tp8)) / kv_seq));
  EXPECT_NEAR(dp_seqs, 8 * std::floor((usable - ServeWeightBytesPerGpu(r, dp8)) / kv_seq), 1);
  EXPECT_GT(dp_seqs, 5 * tp_seqs);  // 8x the sequences per byte, in a smaller budget
  // It shows in the plan: the search picks attention DP for throughput.
  r.max_batch = 0;
  r.num_gpus = 8;
  r.tensor_parallel = 8;
  auto plan = PlanServing(r, gpu);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->status, ServeStatus::kOk) << plan->status_message;
  EXPECT_TRUE(plan->point.is_attention_dp);
  EXPECT_EQ(plan->point.ep, 8);
  EXPECT_GT(plan->max_batch, 5 * std::min(tp_seqs, kServeDefaultMaxBatch));
}

// data/serving_results.toml: flat [[result]] tables of `key = value` lines.
std::vector<std::map<std::string, std::string>> ReadResults(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::map<std::string, std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("[[result]]", 0) == 0) {
      rows.emplace_back();
      continue;
    }
    const size_t eq = line.find(" = ");
    if (rows.empty() || line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string value = line.substr(eq + 3);
    if (!value.empty() && value.front() == '"') value = value.substr(1, value.size() - 2);
    rows.back()[line.substr(0, eq)] = value;
  }
  return rows;
}

// A minimal CSV reader for ../shared/reference/serving_runs.csv (quoted cells with commas).
std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  auto split = [](const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '"') {
        if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
          cells.back() += '"';
          ++i;
        } else {
          quoted = !quoted;
        }
      } else if (c == ',' && !quoted) {
        cells.emplace_back();
      } else {
        cells.back() += c;
      }
    }
    return cells;
  };
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// One published throughput, predicted at its layout and limits.
struct Published {
  std::string id, campaign, vendor;
  ServeRequest request;
  std::string accelerator;
  double output_tokens_per_s = 0;
  bool is_offline = true;
  // Expert-parallel layouts (ep > 1 or attention DP): checked apart and never calibrating the
  // GEMM and HBM efficiencies, whose misses they would absorb (see the test below).
  bool IsExpertParallel() const {
    return request.expert_parallel > 1 || request.attention_dp == AttentionDp::kOn;
  }
};

// Mean prompt lengths of the MLPerf datasets, which serving_runs.csv leaves blank (no primary
// source states them): ASSUMED, and the largest doubt in these checks. Llama 2 70B's OpenOrca
// subset is capped at 1024 tokens, and physics bounds the mean far below: the H200 v4.1 Offline
// row (13.4 requests/s/GPU of 291 output tokens) at a mean of S prompt tokens needs
// 13.4 (S + 291) x 138 GFLOP/s of weight GEMMs, over 80% of the FP8 peak beyond S = 400; most
// OpenOrca prompts are one short instruction under a system prompt: 300 taken. Mixtral's mix adds
// GSM8K's few-shot prompts and MBXP's code: 450 taken.
constexpr int kOpenOrcaPromptTokens = 300;
constexpr int kMixtralPromptTokens = 450;

std::vector<Published> LoadPublished() {
  std::vector<Published> out;
  const std::map<std::string, std::string> ids = {
      {"H100-SXM-80GB", "h100-sxm5-80gb"},  {"H100-NVL-94GB", "h100-nvl-94gb"},
      {"H200-SXM-141GB", "h200-sxm-141gb"}, {"B200-SXM-180GB", "b200"},
      {"GH200-144GB", "gh200-144gb"},       {"L40S-48GB", "l40s"},
      {"MI300X-192GB", "mi300x"},           {"Gaudi2-96GB", "gaudi2"}};
  for (const auto& row : ReadCsv(std::string(GPUPLAN_SHARED_DIR) + "/reference/serving_runs.csv")) {
    const std::string& bench = row.at("benchmark");
    const bool is_llama = bench.rfind("llama2-70b", 0) == 0;
    if ((!is_llama && bench != "mixtral-8x7b") || row.at("tokens_per_s").empty()) continue;
    Published p;
    p.id = row.at("id");
    p.campaign = row.at("round");
    p.vendor = row.at("accelerator").rfind("MI", 0) == 0      ? "AMD"
               : row.at("accelerator").rfind("Gaudi", 0) == 0 ? "Intel"
                                                              : "NVIDIA";
    p.accelerator = ids.at(row.at("accelerator"));
    p.request = Request(is_llama ? "llama2-70b" : "mixtral-8x7b",
                        is_llama ? kOpenOrcaPromptTokens : kMixtralPromptTokens,
                        static_cast<int>(std::lround(std::stod(row.at("output_tokens_mean")))));
    // The B200 preview does not state its precision; NVIDIA's v4.1 announcement says FP4 and
    // FP8 alone would need more than its FP8 peak (see SERVING_RUNS.md).
    p.request.precision = p.accelerator == "b200" ? ServePrecision::kFp4 : ServePrecision::kFp8;
    const std::string& layout = row.at("parallelism");
    p.request.tensor_parallel = layout.rfind("TP", 0) == 0 ? std::stoi(layout.substr(2)) : 0;
    p.request.num_gpus = std::stoi(row.at("num_accelerators"));
    p.is_offline = row.at("scenario") == "Offline";
    if (!p.is_offline) {
      p.request.ttft_target_s = std::stod(row.at("ttft_limit_ms")) / 1e3;
      p.request.tpot_target_s = std::stod(row.at("tpot_limit_ms")) / 1e3;
      p.request.latency_quantile = std::stod(row.at("latency_percentile")) / 100;
    }
    p.output_tokens_per_s = std::stod(row.at("tokens_per_s"));
    out.push_back(std::move(p));
  }
  for (const auto& row : ReadResults(DefaultDataDir() + "/serving_results.toml")) {
    Published p;
    p.id = row.at("model") + " " + row.at("accelerator") + " " + row.at("precision") + " " +
           row.at("prompt_tokens") + "/" + row.at("output_tokens") +
           (row.count("kv_cache") ? " kv " + row.at("kv_cache") : "");
    p.campaign = row.at("campaign");
    p.accelerator = row.at("accelerator");
    p.vendor = p.accelerator.rfind("mi", 0) == 0 ? "AMD" : "NVIDIA";
    p.request = Request(row.at("model").c_str(), std::stoi(row.at("prompt_tokens")),
                        std::stoi(row.at("output_tokens")));
    p.request.precision = *ParseServePrecision(row.at("precision"));
    p.request.tensor_parallel = std::stoi(row.at("tp"));
    p.request.num_gpus = std::stoi(row.at("gpus"));
    if (row.count("max_batch")) p.request.max_batch = std::stoi(row.at("max_batch"));
    if (row.count("max_tokens_per_step")) {
      p.request.max_tokens_per_step = std::stoi(row.at("max_tokens_per_step"));
    }
    if (row.count("ep")) p.request.expert_parallel = std::stoi(row.at("ep"));
    if (row.count("pp")) p.request.pipeline_parallel = std::stoi(row.at("pp"));
    if (row.count("attention_dp")) {
      p.request.attention_dp =
          row.at("attention_dp") == "true" ? AttentionDp::kOn : AttentionDp::kOff;
    }
    if (row.count("kv_cache")) p.request.kv_cache = *ParseKvCachePrecision(row.at("kv_cache"));
    // TensorRT-LLM's capacity scheduler (GUARANTEED_NO_EVICT, the default trtllm-bench keeps)
    // sets aside each request's whole output; vLLM holds what a sequence has.
    if (row.at("software") == "tensorrt-llm") p.request.kv_admission = KvAdmission::kReserveFull;
    if (row.count("attention_precision")) {
      p.request.attention_precision = *ParseServePrecision(row.at("attention_precision"));
    }
    if (row.count("attention_output_precision")) {
      p.request.attention_output_precision =
          *ParseServePrecision(row.at("attention_output_precision"));
    }
    p.output_tokens_per_s = std::stod(row.at("output_tokens_per_s"));
    out.push_back(std::move(p));
  }
  return out;
}

double Predict(const Published& p, const catalog::Catalog& cat, double gemm, double hbm) {
  ServeRequest r = p.request;
  r.gemm_efficiency_scale = gemm;
  r.hbm_efficiency_scale = hbm;
  auto plan = SizeServing(r, **cat.Find(p.accelerator));
  EXPECT_TRUE(plan) << p.id << ": " << (plan ? "" : plan.error().message);
  return plan ? plan->output_tokens_per_s : 0;
}

struct Scales {
  double gemm = 1, hbm = 1;
};
constexpr double kNvidiaHbmSpread = 0.1;
constexpr double kOtherHbmSpread = 0.4;  // no streaming figure for their serving kernels
double Spread(const std::string& vendor) {
  return vendor == "NVIDIA" ? kNvidiaHbmSpread : kOtherHbmSpread;
}
std::string Profile(const Published& p, const catalog::Catalog& cat) {
  return (*cat.Find(p.accelerator))->profile;
}

// The efficiency multipliers that minimize the mean absolute log error on `rows` (a grid:
// physics parameters, two numbers, never per-row factors). Offline rows only: they are cheap and
// carry the efficiencies; the latency model has no fitted parameter. The HBM multiplier stays
// within +-10% (`hbm_spread`) of the catalog's where streaming benchmarks pin it (NVIDIA: decode
// kernels reach 0.72-0.88 of peak); compute-bound rows alone cannot tell the two apart.
Scales Fit(const std::vector<const Published*>& rows, const catalog::Catalog& cat,
           double hbm_spread) {
  Scales best;
  double best_error = 1e300;
  for (double g = 0.6; g < 1.41; g += 0.05) {
    for (double h = 1 - hbm_spread; h < 1 + hbm_spread + 0.01; h += 0.05) {
      double error = 0;
      for (const Published* p : rows) {
        error += std::abs(std::log(Predict(*p, cat, g, h) / p->output_tokens_per_s));
      }
      if (error < best_error) {
        best_error = error;
        best = {g, h};
      }
    }
  }
  return best;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::lround(q * (v.size() - 1)))];
}

// Leave one campaign out (one MLPerf round, or one benchmark page, is a campaign): fit the
// efficiency multipliers on the other campaigns' Offline rows, per catalog profile (vendor and
// generation) where the other campaigns have that profile, else per vendor, then predict every
// row of the held-out campaign, Server rows at their p99 limits.
TEST(SizeServing, MatchesPublishedResultsLeavingEachCampaignOut) {
  const auto cat = catalog::Catalog::LoadDefault();
  ASSERT_TRUE(cat);
  const std::vector<Published> rows = LoadPublished();
  ASSERT_GE(rows.size(), 40u);
  std::set<std::string> campaigns;
  for (const Published& p : rows) campaigns.insert(p.campaign);
  ASSERT_GE(campaigns.size(), 5u);
  std::vector<double> errors, ep_errors, unchecked;
  for (const std::string& held_out : campaigns) {
    // Calibration rows by vendor and by catalog profile (vendor and generation).
    std::map<std::string, std::vector<const Published*>> by_vendor_rows, by_profile_rows;
    for (const Published& p : rows) {
      if (p.campaign == held_out || !p.is_offline || p.IsExpertParallel()) continue;
      by_vendor_rows[p.vendor].push_back(&p);
      by_profile_rows[Profile(p, *cat)].push_back(&p);
    }
    std::map<std::string, Scales> by_vendor, by_profile;
    for (const auto& [vendor, list] : by_vendor_rows)
      by_vendor[vendor] = Fit(list, *cat, Spread(vendor));
    for (const auto& [profile, list] : by_profile_rows) {
      by_profile[profile] = Fit(list, *cat, Spread(list.front()->vendor));
    }
    for (const Published& p : rows) {
      if (p.campaign != held_out) continue;
      // The profile's fit where other campaigns measured that generation, else the vendor's. A
      // profile whose catalog efficiencies were fitted on this campaign alone (Gaudi2, H100 NVL)
      // is not a check, so reported apart.
      const std::string profile = Profile(p, *cat);
      const catalog::Accelerator& gpu = **cat->Find(p.accelerator);
      const bool has_fitted_profile =
          gpu.serve_gemm_efficiency != gpu.gemm_efficiency || gpu.serve_hbm_efficiency != 0.8;
      const bool is_check =
          by_profile.count(profile) > 0 || (by_vendor.count(p.vendor) > 0 && !has_fitted_profile);
      const Scales s = by_profile.count(profile) ? by_profile.at(profile)
                       : is_check                ? by_vendor.at(p.vendor)
                                                 : Scales{};
      const double ratio = Predict(p, *cat, s.gemm, s.hbm) / p.output_tokens_per_s;
      (!is_check              ? unchecked
       : p.IsExpertParallel() ? ep_errors
                              : errors)
          .push_back(std::abs(ratio - 1));
      std::printf("  %-88s %-30s %5.2f%s\n", p.id.c_str(), held_out.c_str(), ratio,
                  !is_check              ? " (not a check)"
                  : p.IsExpertParallel() ? " (EP)"
                                         : "");
    }
  }
  const double median = Quantile(errors, 0.5), p90 = Quantile(errors, 0.9);
  std::printf(
      "leave-one-campaign-out: %zu check rows, median error %.1f%%, p90 %.1f%% (%zu rows "
      "of profiles fitted on one campaign only, not checks)\n",
      errors.size(), 100 * median, 100 * p90, unchecked.size());
  EXPECT_LE(median, 0.15);
  EXPECT_LE(p90, 0.35);
  // Expert-parallel rows (DeepSeek-R1, Qwen3-235B, Llama 4 Maverick under attention DP), with no
  // constant fitted on them: tiles, activation traffic, all-to-all, MLA decode, the checkpoints'
  // BF16 attention projections and TensorRT-LLM's admission from physics. Both meet the issue's
  // targets; the worst row, Qwen3 on B200 (1.5x fast, as on GB200), is past the p90.
  ASSERT_GE(ep_errors.size(), 10u);
  const double ep_median = Quantile(ep_errors, 0.5), ep_p90 = Quantile(ep_errors, 0.9);
  std::printf("expert-parallel rows: %zu, median error %.1f%%, p90 %.1f%%\n", ep_errors.size(),
              100 * ep_median, 100 * ep_p90);
  EXPECT_LE(ep_median, 0.15);
  EXPECT_LE(ep_p90, 0.35);
  // All check rows together, dense and expert-parallel (the opening figure, 20% / 100%,
  // was of this pool).
  std::vector<double> pooled = errors;
  pooled.insert(pooled.end(), ep_errors.begin(), ep_errors.end());
  const double pooled_median = Quantile(pooled, 0.5), pooled_p90 = Quantile(pooled, 0.9);
  std::printf("pooled: %zu check rows, median error %.1f%%, p90 %.1f%%\n", pooled.size(),
              100 * pooled_median, 100 * pooled_p90);
  EXPECT_LE(pooled_median, 0.15);
  EXPECT_LE(pooled_p90, 0.35);
}

// The checked-in constants (kServeGemmDerate, kServeHbmScale and the NVIDIA profiles' serving
// efficiencies) are the all-campaign fit: the multipliers fitted per profile stay near 1. (AMD's
// and Intel's rows keep pulling the HBM multiplier to the edge of any range while raising the GEMM
// one: their few rows cannot separate the two, so their profile values are a rounded fit.)
TEST(SizeServing, CheckedInEfficienciesAreTheFit) {
  const auto cat = catalog::Catalog::LoadDefault();
  ASSERT_TRUE(cat);
  const std::vector<Published> rows = LoadPublished();
  std::map<std::string, std::vector<const Published*>> by_profile;
  for (const Published& p : rows) {
    if (p.is_offline && p.vendor == "NVIDIA" && !p.IsExpertParallel()) {
      by_profile[Profile(p, *cat)].push_back(&p);
    }
  }
  ASSERT_GE(by_profile.size(), 3u);
  for (const auto& [profile, list] : by_profile) {
    const Scales s = Fit(list, *cat, kNvidiaHbmSpread);
    EXPECT_NEAR(s.gemm, 1, 0.11) << profile << " (" << list.size() << " rows)";
    EXPECT_NEAR(s.hbm, 1, 0.11) << profile;
  }
}

// Issue 12: a rate of 1e300 overflowed the replica count (an int) and aborted at an internal
// check; a tensor-parallel degree of 99999 was accepted ("12500 servers per replica").
TEST(PlanServing, RatesAndTensorParallelPastTheLimitsAreErrors) {
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.requests_per_s = 1e300;
  auto huge = PlanServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("'rps' must be at most 1e+08 requests/s, got 1e+300"),
            std::string::npos)
      << huge.error().message;
  r.requests_per_s = kServeMaxRequestsPerS;  // the limit itself is sized
  EXPECT_TRUE(PlanServing(r, Gpu("h100-sxm5-80gb")));
  r.requests_per_s = 1;
  r.tensor_parallel = 99999;
  auto tp = PlanServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_FALSE(tp);
  EXPECT_NE(tp.error().message.find("'tensor_parallel' must be in [0, 1024]"), std::string::npos)
      << tp.error().message;
}

}  // namespace
}  // namespace gpuplan::sizing
