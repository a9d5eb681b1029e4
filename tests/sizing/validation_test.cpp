// Validation against ../shared/reference/training_runs.csv: every published row predicted by one
// physical model (ValidateTrainingRuns), and two published runs that are not in the file.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sizing/sizing.h"

namespace gpuplan::sizing {
namespace {

const catalog::Catalog& Catalog() {
  static const catalog::Catalog* c = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  return *c;
}

const std::vector<ValidationRow>& Rows() {
  static const auto* rows = new std::vector<ValidationRow>(
      *ValidateTrainingRuns(DefaultSharedDir() + "/reference/training_runs.csv", Catalog()));
  return *rows;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}
double Rms(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return v.empty() ? 0 : std::sqrt(s / double(v.size()));
}
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double at = q * double(v.size() - 1);
  const size_t i = size_t(at);
  return i + 1 < v.size() ? v[i] + (at - double(i)) * (v[i + 1] - v[i]) : v.back();
}

// The interval spreads SizeTraining ships (training.cpp (I1)) from `rows`: RMS of e per class.
// Nothing else is fitted on rows: whole runs' goodput comes from the interruption model (R1),
// whose constants come from Llama 3's and OPT's published failure accounting.
struct Fit {
  double whole_run_sd = 0, throughput_sd = 0;
};
Fit FitOn(const std::vector<const ValidationRow*>& rows) {
  std::vector<double> whole, bench;
  for (const auto* r : rows) (r->is_whole_run ? whole : bench).push_back(r->log_error);
  return Fit{.whole_run_sd = Rms(whole), .throughput_sd = Rms(bench)};
}

TEST(ValidateTrainingRuns, EveryRowIsPredictedWithItsCampaign) {
  const auto& rows = Rows();
  EXPECT_EQ(rows.size(), 30u);  // the CSV's README: 30 runs
  std::set<std::string> campaigns;
  for (const auto& r : rows) {
    campaigns.insert(r.campaign);
    fmt::print("  {:<52} {:<17} predicted {:9.4g} published {:9.4g} log-error {:+.3f}  {}\n", r.id,
               r.metric, r.predicted, r.published, r.log_error, r.config);
  }
  EXPECT_EQ(campaigns, (std::set<std::string>{"llama2", "opt-175b", "bloom-176b", "megatron-sc21",
                                              "mlperf-v3.0"}));
}

// The shipped spreads are the fit on every row: refitting reproduces them to their printed
// precision, seen through the interval each row's plan carries (point x exp(+-1.645 s) on
// calibrated ground).
TEST(ValidateTrainingRuns, ShippedSpreadsAreTheFitOnAllRows) {
  std::vector<const ValidationRow*> all;
  for (const auto& r : Rows()) all.push_back(&r);
  const Fit f = FitOn(all);
  std::vector<double> whole;
  for (const auto& r : Rows()) {
    if (r.is_whole_run) whole.push_back(r.log_error);
  }
  fmt::print(
      "fit on all rows: whole-run log-RMS {:.3f} (mean {:+.3f}), throughput log-RMS {:.3f}\n",
      f.whole_run_sd, Mean(whole), f.throughput_sd);
  for (const auto& r : Rows()) {
    const double s = r.is_whole_run ? f.whole_run_sd : f.throughput_sd;
    EXPECT_NEAR(std::log(r.interval.hi / r.interval.lo) / (2 * 1.645), s, 0.01) << r.id;
  }
}

// Leave-one-campaign-out (issue 10): each paper / MLPerf round is predicted with the spreads
// fitted on the others (errors as |predicted / published - 1| of throughput for benchmarks, of
// GPU-hours for whole runs). The targets: median <= 10%, p90 <= 25%, coverage >= 80%,
// median hi/lo <= 1.8. This model reaches median 5.2%, p90 13.5%, coverage 87% (26/30), median
// hi/lo 1.18; the bounds below assert those figures. They were median 4.2%, p90 9.5%, hi/lo 1.14
// while GEMMs ran at gemm_efficiency x m/(m + 128) of the smallest dimension, a derate under
// which the catalog's gemm_efficiency had been calibrated; the per-GEMM roofline (training.cpp
// (T1): tile shapes, waves, stream-K, per-tile overhead) replaced it without refitting those
// constants to these rows, so the A100 rows of Megatron SC'21's GPT-3 175B (8-15% over) and the
// Llama 2 runs (12-26% under) moved apart. No point prediction uses a constant fitted on these
// rows' GPU-hours: whole runs get goodput from interruptions (R1). What misses its interval:
// Llama 2 34B (26% under: its 350 W production cluster is not modelled) and three Megatron
// SC'21 GPT-3 175B rows (9-15% over).
TEST(ValidateTrainingRuns, LeaveOneCampaignOut) {
  const auto& rows = Rows();
  std::set<std::string> campaigns;
  for (const auto& r : rows) campaigns.insert(r.campaign);
  std::vector<double> errors, widths;
  int covered = 0;
  for (const std::string& held : campaigns) {
    std::vector<const ValidationRow*> train;
    for (const auto& r : rows) {
      if (r.campaign != held) train.push_back(&r);
    }
    const Fit f = FitOn(train);
    for (const auto& r : rows) {
      if (r.campaign != held) continue;
      const double e = r.log_error;
      const double sd = r.is_whole_run ? f.whole_run_sd : f.throughput_sd;
      const double err = std::abs(std::exp(-e) - 1);  // |predicted / published - 1|
      errors.push_back(err);
      widths.push_back(std::exp(2 * 1.645 * sd));
      const bool in = std::abs(e) <= 1.645 * sd;
      covered += in;
      fmt::print("  LOCO {:<52} {:<13} error {:5.1f}%  interval x{:.2f} {}\n", r.id, held,
                 100 * err, std::exp(1.645 * sd), in ? "covered" : "MISSED");
    }
  }
  const double median = Quantile(errors, 0.5), p90 = Quantile(errors, 0.9);
  const double coverage = double(covered) / double(errors.size());
  const double median_width = Quantile(widths, 0.5);
  fmt::print(
      "LOCO: median error {:.1f}%, p90 {:.1f}%, 90% intervals cover {}/{} ({:.0f}%), median "
      "hi/lo {:.2f}\n",
      100 * median, 100 * p90, covered, errors.size(), 100 * coverage, median_width);
  EXPECT_LE(median, 0.055);
  EXPECT_LE(p90, 0.14);
  EXPECT_GE(coverage, 0.85);
  EXPECT_LE(median_width, 1.2);
}

// Layout facts stated in a row's parallelism text are honoured (validation.cpp's header):
// BLOOM "3D parallelism (DP+TP+PP) + ZeRO stage 1", OPT "FSDP + Megatron-LM tensor parallelism".
TEST(ValidateTrainingRuns, HonoursStatedZeroStageAndDimensions) {
  auto config_of = [&](const std::string& id) {
    for (const auto& r : Rows()) {
      if (r.id == id) return r.config;
    }
    return std::string();
  };
  const std::string bloom = config_of("bloom-176b"), opt = config_of("opt-175b");
  EXPECT_NE(bloom.find("zero1"), std::string::npos) << bloom;
  EXPECT_EQ(bloom.find("tp1 "), std::string::npos) << bloom;
  EXPECT_EQ(bloom.find(" pp1 "), std::string::npos) << bloom;
  EXPECT_NE(opt.find("zero3"), std::string::npos) << opt;
  EXPECT_EQ(opt.find("tp1 "), std::string::npos) << opt;
}

// Llama 3 405B: 16,384 H100, BF16, TP8 CP1 PP16 DP128, 2048 x 8192-token sequences per step,
// 38-43% MFU and ~400 TFLOP/s per GPU (Dubey et al. 2024, arXiv:2407.21783, Table 4).
TEST(PublishedRunsNotInTheFile, Llama3On16kH100) {
  TrainRequest req;
  req.model = *model::LoadPreset("llama3-405b");
  req.tokens = 15.6e12;
  req.num_gpus = 16384;
  req.seq_len = 8192;
  req.global_batch_seqs = 2048;
  auto plan = SizeTraining(req, **Catalog().Find("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_GT(plan->mfu, 0.38 * 0.85);
  EXPECT_LT(plan->mfu, 0.43 * 1.15);
  EXPECT_NEAR(plan->flop_per_s_per_gpu / 400e12, 1.0, 0.2);
}

// Llama 3 70B on 2,048 H100 at 8K (searched): BF16 dense training at this scale is published at
// 38-43% MFU (Llama 3 405B, arXiv:2407.21783 Table 4, which reports no TP-comm overlap). On the
// 2023 stack the search lands in that range (+10% for a smaller model without a pipeline); the
// default stack's TP-comm overlap adds what torchtitan measured async TP to add (1.09x for 70B,
// kTpOverlapNetSaving; it added 1.19x, 54% MFU, while overlap hid 81% of TP traffic net).
TEST(PublishedRunsNotInTheFile, Llama3_70bOn2048H100HasPublishedMfu) {
  TrainRequest req;
  req.model = *model::LoadPreset("llama3-70b");
  req.tokens = 15e12;
  req.num_gpus = 2048;
  req.seq_len = 8192;
  req.stack = "megatron-2023";
  auto plan = SizeTraining(req, **Catalog().Find("h100-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_GT(plan->mfu, 0.38);
  EXPECT_LT(plan->mfu, 0.43 * 1.1);
  req.stack = std::string(kDefaultStack);
  auto current = SizeTraining(req, **Catalog().Find("h100-sxm5-80gb"));
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_GT(current->mfu, 1.04 * plan->mfu);
  EXPECT_LT(current->mfu, 1.12 * plan->mfu);
}

// DeepSeek-V3: 14.8T tokens on 2,048 H800 in FP8, 2.664M GPU-hours of pre-training (the 2.788M
// total includes context extension and post-training): arXiv:2412.19437 Table 1; its run had no
// rollbacks (sec. 1). Predicted on the default stack with the modelled goodput (0.98 on 2,048
// GPUs): ~0.87x (1.06x while a whole-run factor of 1.13 fitted on OPT-like losses sat on top;
// ~1.43x before node-limited routing, [moe] max_nodes_per_token = 4, made the cross-node
// all-to-all send one copy per target node, sec. 3.2.2). Still not modelled: DualPipe
// (all-to-all hidden under a second microbatch's forward AND backward) and DeepSeek's FP8
// activation caching, so the search picks TP rather than the published PP16 EP64.
TEST(PublishedRunsNotInTheFile, DeepSeekV3On2048H800) {
  TrainRequest req;
  req.model = *model::LoadPreset("deepseek-v3");
  req.tokens = 14.8e12;
  req.num_gpus = 2048;
  req.precision = catalog::Precision::kFp8;
  req.global_batch_seqs = 15360;  // the batch after its ramp (report sec. 4.2): 15,360 x 4K tokens
  auto plan = SizeTraining(req, **Catalog().Find("h800-sxm5-80gb"));
  ASSERT_TRUE(plan) << plan.error().message;
  const double gpu_hours = plan->gpu_seconds / kSecondsPerHour;
  fmt::print("deepseek-v3: {:.3g} GPU-hours, {:.0f} TFLOP/s/GPU, mfu {:.3f}\n", gpu_hours,
             plan->flop_per_s_per_gpu / 1e12, plan->mfu);
  EXPECT_GT(gpu_hours / 2.664e6, 0.8);
  EXPECT_LT(gpu_hours / 2.664e6, 1.2);
  EXPECT_LT(plan->interval_90.gpu_seconds.lo / kSecondsPerHour, 2.664e6);
  EXPECT_GT(plan->interval_90.gpu_seconds.hi / kSecondsPerHour, 2.664e6);
}

}  // namespace
}  // namespace gpuplan::sizing
