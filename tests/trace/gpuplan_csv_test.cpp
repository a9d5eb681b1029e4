#include <gtest/gtest.h>

#include "param_name.h"
#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

TEST(GpuplanCsv, ReadsRequiredAndOptionalColumnsInAnyOrder) {
  auto t = ParseGpuplanCsv(
      "# a comment\n"
      "tenant,job_id,submit_s,gpus,duration_s,accelerator,allowed,priority\r\n"
      "lab,j2,5,16,100,h100-sxm5-80gb,h100-sxm5-80gb|h200-sxm-141gb,3\r\n"
      "lab,j1,0,1,30,,,\r\n",
      "jobs.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].id, "j1");  // sorted by submit time
  const Job& j = t->jobs[1];
  EXPECT_EQ(j.gpus, 16);
  EXPECT_EQ(j.priority, 3);
  EXPECT_EQ(j.line, 3);
  EXPECT_EQ(t->type_names[static_cast<size_t>(j.measured_on_idx)], "h100-sxm5-80gb");
  EXPECT_EQ(j.allowed_mask, 0b11u);
  EXPECT_EQ(t->jobs[0].allowed_mask, 0u);
}

struct BadCase {
  const char* text;
  const char* expected;  // a fragment of the message
};

class GpuplanCsvBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(GpuplanCsvBad, NamesFileLineAndField) {
  auto t = ParseGpuplanCsv(GetParam().text, "jobs.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find(GetParam().expected), std::string::npos) << t.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GpuplanCsvBad,
    ::testing::Values(
        BadCase{"", "jobs.csv: empty trace"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\n", "jobs.csv: the trace has no jobs"},
        BadCase{"job_id,tenant,submit_s,gpus\na,b,0,1\n",
                "header lacks the required column "
                "'duration_s'"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s,color\n", "1 column not read ('color')"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,0,1\n",
                "jobs.csv:2: expected 5 fields"},  // truncated line
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,0,1,0\n",
                "jobs.csv:2: field 'duration_s' must be > 0, got '0'"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,0,1,-5\n",
                "field 'duration_s' must be > 0, got '-5'"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,0,two,5\n",
                "jobs.csv:2: field 'gpus' must be an integer, got 'two'"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,-1,1,5\n",
                "field 'submit_s' must be >= 0"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\na,b,nan,1,5\n",
                "field 'submit_s' must be a time in seconds or ISO 8601 (2024-03-01T12:00:00), got "
                "'nan'"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s,gpu_milli\na,b,0,2,5,500\n",
                "below 1000 needs gpus = 1"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s\n,b,0,1,5\n",
                "field 'job_id' must not be empty"}),
    [](const auto& i) { return gpuplan::testing::ParamName(i.param.expected); });

TEST(GpuplanCsv, WriteThenReadRoundTrips) {
  auto t = ParseGpuplanCsv(
      "job_id,tenant,submit_s,gpus,duration_s,accelerator,gpu_milli\n"
      "a,x,0.1,8,3600.25,h100-sxm5-80gb,1000\n"
      "b,y,1e-3,1,1.0000000001,,250\n",
      "in.csv");
  ASSERT_TRUE(t);
  const std::string out = WriteGpuplanCsv(*t);
  auto back = ParseGpuplanCsv(out, "out.csv");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(WriteGpuplanCsv(*back), out);
  ASSERT_EQ(back->jobs.size(), 2u);
  EXPECT_EQ(back->jobs[0].duration_s, 1.0000000001);  // exact: shortest round-trip formatting
  EXPECT_EQ(back->jobs[0].gpu_milli, 250);
}

// Issue 11: the user's runtime estimate is the time_limit_s column (Slurm's time limit), written
// under that name; estimate_s, its old name, still reads; both at once is ambiguous.
TEST(GpuplanCsv, TimeLimitIsTheEstimateColumn) {
  const std::string head = "job_id,tenant,submit_s,gpus,duration_s,";
  for (const std::string name : {"time_limit_s", "estimate_s"}) {
    auto t = ParseGpuplanCsv(head + name + "\nj1,lab,0,8,100,3600\n", "jobs.csv");
    ASSERT_TRUE(t) << name << ": " << t.error().message;
    EXPECT_DOUBLE_EQ(t->jobs[0].estimate_s, 3600) << name;
    const std::string written = WriteGpuplanCsv(*t);
    EXPECT_EQ(written.substr(0, written.find('\n')), head + "time_limit_s");
  }
  auto both =
      ParseGpuplanCsv(head + "time_limit_s,estimate_s\nj1,lab,0,8,100,3600,3600\n", "jobs.csv");
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("jobs.csv:1: the header names both"), std::string::npos)
      << both.error().message;
}

}  // namespace
}  // namespace gpuplan::trace
