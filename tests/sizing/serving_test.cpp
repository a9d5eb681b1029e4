#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
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

TEST(EvaluateServePoint, DecodeAtBatchOneReadsTheWeights) {
  // A decode step of Llama 3 70B in BF16 at batch 1 reads 141.1 GB of weights plus one
  // sequence's KV cache (1000 + 200/2 = 1100 tokens x 327,680 B = 0.36 GB) at 80% of 3.35 TB/s:
  // (141.1e9 + 0.36e9) / 2.68e12 = 52.8 ms. Its FLOPs take 0.3 ms, so it is memory-bound.
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const ServePoint p = EvaluateServePoint(r, Toy(), 1, 1);
  const double weights = ServeWeightBytes(r.model, ServePrecision::kBf16);
  const double kv = 1100 * 327680.0;
  EXPECT_NEAR(p.decode_step_s, (weights + kv) / (3.35e12 * kServeHbmEfficiency), 1e-6);
  EXPECT_NEAR(p.decode_step_s, 52.8e-3, 0.3e-3);
  EXPECT_FALSE(p.is_decode_compute_bound);
}

TEST(EvaluateServePoint, PrefillIsComputeBound) {
  // Prefill of 4000 tokens of Llama 3 8B: 4000 x (2 x 7.5e9 matmul weights + attention at a mean
  // 2000-token context) FLOPs at 1e15 x 0.75 x kServePrefillGemmDerate FLOP/s.
  const ServeRequest r = Request("llama3-8b", 4000, 100);
  const ServePoint p = EvaluateServePoint(r, Toy(), 1, 1);
  const double flop = 4000 * (model::ForwardWeightFlopPerToken(r.model) +
                              model::ForwardAttentionFlopPerToken(r.model, 2000));
  EXPECT_NEAR(p.prefill_s, flop / (1e15 * 0.75 * kServePrefillGemmDerate), 1e-9);
  // About 70 ms, far above reading the 16 GB of weights once (6 ms).
  EXPECT_GT(p.prefill_s, 0.05);
}

TEST(EvaluateServePoint, ThroughputGrowsWithBatchUntilComputeBound) {
  const ServeRequest r = Request("llama3-8b", 500, 500);
  const catalog::Accelerator gpu = Toy();
  double previous = 0;
  for (int batch : {1, 8, 64, 256}) {
    const ServePoint p = EvaluateServePoint(r, gpu, 1, batch);
    EXPECT_GT(p.requests_per_s, previous) << batch;
    previous = p.requests_per_s;
  }
  // At batch 1 the step reads 16 GB of weights; at 4096 the matmul FLOPs dominate.
  EXPECT_FALSE(EvaluateServePoint(r, gpu, 1, 1).is_decode_compute_bound);
  EXPECT_TRUE(EvaluateServePoint(r, gpu, 1, 4096).is_decode_compute_bound);
}

TEST(EvaluateServePoint, TensorParallelSplitsTheStepAndPaysForAllReduces) {
  const ServeRequest r = Request("llama3-70b", 1000, 200);
  const catalog::Accelerator gpu = Toy();
  const double tp1 = EvaluateServePoint(r, gpu, 1, 1).decode_step_s;
  const double tp8 = EvaluateServePoint(r, gpu, 8, 1).decode_step_s;
  // Weights and KV split 8 ways, plus 2 all-reduces per layer x 80 layers, each at least the
  // 10 us NCCL latency: 1.6 ms.
  EXPECT_GT(tp8, tp1 / 8 + 1.6e-3);
  EXPECT_LT(tp8, tp1 / 8 + 2.0e-3);
}

TEST(EvaluateServePoint, MoeDecodeAtBatchOneReadsOnlyTheRoutedExperts) {
  // Mixtral 8x7B: 46.7B weights, 12.9B active. At batch 1 a step reads the non-expert weights
  // and 2 of 8 experts per layer: about the active bytes, far below all of them.
  const ServeRequest r = Request("mixtral-8x7b", 100, 100);
  const catalog::Accelerator gpu = Toy();
  const model::ParamCounts c = model::CountParams(r.model);
  const double hbm = 3.35e12 * kServeHbmEfficiency;
  const double step = EvaluateServePoint(r, gpu, 1, 1).decode_step_s;
  EXPECT_GT(step, 2 * c.active / hbm * 0.95);
  EXPECT_LT(step, 2 * c.active / hbm * 1.1);
  // At batch 64 nearly every expert is touched (1 - (6/8)^64 ~ 1): all weights are read.
  EXPECT_GT(EvaluateServePoint(r, gpu, 1, 64).decode_step_s, 2 * c.total / hbm);
}

TEST(EvaluateServePoint, Int4HalvesTheBatchOneStepOfFp8) {
  ServeRequest r = Request("llama3-70b", 100, 100);
  r.precision = ServePrecision::kFp8;
  const double fp8 = EvaluateServePoint(r, Toy(), 1, 1).decode_step_s;
  r.precision = ServePrecision::kInt4;
  const double int4 = EvaluateServePoint(r, Toy(), 1, 1).decode_step_s;
  // Weight bytes 0.516 vs 1 per parameter; the KV cache (BF16 for INT4) is small at batch 1.
  EXPECT_NEAR(int4 / fp8, 0.516, 0.02);
}

TEST(SizeServing, KvCacheLimitsTheBatch) {
  // Llama 3 70B FP8 on one H100: 0.9 x 80 GB - 70.55 GB of weights = 1.45 GB of KV cache;
  // 1000 + 1000/2 = 1500 tokens x 163,840 B = 246 MB per sequence: 5 sequences.
  ServeRequest r = Request("llama3-70b", 1000, 1000);
  r.precision = ServePrecision::kFp8;
  r.num_gpus = 1;
  r.tensor_parallel = 1;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->max_batch, 5);
  EXPECT_EQ(plan->point.batch, 5);  // no latency target: the whole cache is used
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

TEST(SizeServing, ModelThatFitsNoTpIsAnError) {
  // Llama 3 405B in BF16 is 811 GB; eight A100 40GB hold 288 GB.
  ServeRequest r = Request("llama3-405b", 1000, 200);
  r.requests_per_s = 1;
  auto plan = SizeServing(r, Gpu("a100-sxm4-40gb"));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("fits no tensor-parallel degree up to 8"), std::string::npos)
      << plan.error().message;
}

TEST(SizeServing, UnreachableLatencyIsAnError) {
  // Reading 16 GB of weights takes at least 6 ms per token on an H100; 1 ms cannot be met.
  ServeRequest r = Request("llama3-8b", 1000, 200);
  r.requests_per_s = 1;
  r.tpot_target_s = 0.001;
  auto plan = SizeServing(r, Gpu("h100-sxm5-80gb"));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("latency targets unreachable"), std::string::npos)
      << plan.error().message;
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

// Published maximum-throughput results (sources in the data file) vs the model at the published
// TP, with no latency target. Tolerances are what the model reaches, stated honestly:
// TensorRT-LLM rows within -10% .. +35%; vLLM on ROCm rows are over-predicted 1.5-2x (the
// model assumes NVIDIA-grade kernels; MI300X's measured software reaches about half).
TEST(SizeServing, MatchesPublishedThroughputs) {
  const auto rows = ReadResults(DefaultDataDir() + "/serving_results.toml");
  ASSERT_GE(rows.size(), 15u);
  int num_checked = 0;
  double log_error_sum = 0;
  for (const auto& row : rows) {
    ServeRequest r = Request(row.at("model").c_str(), std::stoi(row.at("prompt_tokens")),
                             std::stoi(row.at("output_tokens")));
    r.precision = *ParseServePrecision(row.at("precision"));
    r.tensor_parallel = std::stoi(row.at("tp"));
    r.num_gpus = std::stoi(row.at("gpus"));
    auto plan = SizeServing(r, Gpu(row.at("accelerator").c_str()));
    ASSERT_TRUE(plan) << plan.error().message;
    const double published = std::stod(row.at("output_tokens_per_s"));
    const double ratio = plan->output_tokens_per_s / published;
    const std::string what = row.at("model") + " on " + row.at("accelerator") + " " +
                             row.at("prompt_tokens") + "/" + row.at("output_tokens") + ": ratio " +
                             std::to_string(ratio);
    const bool is_calibration = row.count("calibration") && row.at("calibration") == "true";
    if (row.at("software") == "tensorrt-llm") {
      EXPECT_GT(ratio, is_calibration ? 0.95 : 0.9) << what;
      EXPECT_LT(ratio, is_calibration ? 1.1 : 1.35) << what;
    } else {
      EXPECT_GT(ratio, 1.2) << what;
      EXPECT_LT(ratio, 2.2) << what;
    }
    if (!is_calibration && row.at("software") == "tensorrt-llm") {
      log_error_sum += std::abs(std::log(ratio));
      ++num_checked;
    }
  }
  // Mean absolute log error over the TensorRT-LLM check rows: within ~12%.
  ASSERT_GT(num_checked, 8);
  EXPECT_LT(std::exp(log_error_sum / num_checked), 1.12);
}

}  // namespace
}  // namespace gpuplan::sizing
