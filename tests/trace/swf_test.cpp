#include <gtest/gtest.h>

#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

// Lines in the Standard Workload Format (18 fields, -1 unknown).
constexpr char kSwf[] =
    "; Version: 2.2\n"
    ";\n"
    "1 0 5 3600 64 -1 -1 64 7200 -1 1 7 1 -1 1 -1 -1 -1\n"
    "2 60 0 -1 8 -1 -1 8 600 -1 5 8 1 -1 1 -1 -1 -1\n"  // cancelled: no run time
    "3 120 0 100 -1 -1 -1 16 -1 -1 1 7 1 -1 1 -1 -1 -1\n";

TEST(Swf, ReadsJobs) {
  auto t = ParseSwf(kSwf, "log.swf");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].gpus, 64);
  EXPECT_DOUBLE_EQ(t->jobs[0].estimate_s, 7200);
  EXPECT_EQ(t->jobs[1].gpus, 16);  // allocated unknown: requested processors
  EXPECT_DOUBLE_EQ(t->jobs[1].estimate_s, 0);
  EXPECT_EQ(t->tenants[0].name, "user-7");
  EXPECT_EQ(t->tenants.size(), 1u);
  EXPECT_EQ(t->notes.size(), 1u);
}

TEST(Swf, TruncatedLine) {
  auto t = ParseSwf("1 0 5 3600 64 -1\n", "log.swf");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("log.swf:1: expected 18 SWF fields, got 6"), std::string::npos);
}

TEST(Swf, OnlyCommentsIsEmpty) {
  auto t = ParseSwf("; nothing\n", "log.swf");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("no jobs"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::trace
