#include "trace/trace.h"

#include <gtest/gtest.h>

namespace gpuplan::trace {
namespace {

TEST(TraceFormat, ParsesNamesAndSuggests) {
  EXPECT_EQ(*ParseTraceFormat("openb"), TraceFormat::kOpenb);
  auto bad = ParseTraceFormat("opnb");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("did you mean 'openb'"), std::string::npos);
}

TEST(TenantClass, FromNamePrefix) {
  EXPECT_EQ(TenantClassFromName("startup-3"), TenantClass::kStartup);
  EXPECT_EQ(TenantClassFromName("academia"), TenantClass::kAcademia);
  EXPECT_EQ(TenantClassFromName("publicity"), TenantClass::kUnclassified);  // not "public-"
  EXPECT_EQ(TenantClassFromName("LS"), TenantClass::kUnclassified);
}

TEST(Summarize, NearestRankPercentiles) {
  // 1..100: nearest-rank p50 is the 50th value, p90 the 90th, p99 the 99th.
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const Distribution d = Summarize(v);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.p50, 50);
  EXPECT_EQ(d.p90, 90);
  EXPECT_EQ(d.p99, 99);
  EXPECT_EQ(d.max, 100);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  EXPECT_EQ(Summarize({}).max, 0);
}

TEST(ComputeStats, CountsGpuHoursAndSizes) {
  auto t = ParseGpuplanCsv(
      "job_id,tenant,submit_s,gpus,duration_s,gpu_milli\n"
      "a,x,0,8,3600,1000\n"
      "b,y,10,1,7200,500\n"
      "c,x,30,8,1800,1000\n",
      "s.csv");
  ASSERT_TRUE(t) << t.error().message;
  const TraceStats s = ComputeStats(*t);
  EXPECT_EQ(s.num_jobs, 3);
  EXPECT_EQ(s.num_tenants, 2);
  EXPECT_EQ(s.num_fractional, 1);
  EXPECT_DOUBLE_EQ(s.span_s, 30);
  // 8 x 1 h + 0.5 x 2 h + 8 x 0.5 h = 13 GPU-hours
  EXPECT_DOUBLE_EQ(s.gpu_hours, 13);
  ASSERT_EQ(s.by_size.size(), 2u);
  EXPECT_EQ(s.by_size[1].gpus, 8);
  EXPECT_EQ(s.by_size[1].num_jobs, 2);
  EXPECT_DOUBLE_EQ(s.by_size[1].gpu_hours, 12);
}

TEST(ReadTrace, MissingFileNamesIt) {
  auto t = ReadTrace("/nonexistent/jobs.csv", TraceFormat::kGpuplan);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("/nonexistent/jobs.csv"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::trace
