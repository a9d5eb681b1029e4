#include <gtest/gtest.h>

#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

// Rows in the layout of pai_task_table.csv (cluster-trace-gpu-v2020).
constexpr char kSample[] =
    "job1,worker,2,Terminated,1000,4600,600,29.3,50,V100\n"
    "job2,ps,1,Terminated,1100,2000,600,29.3,,\n"  // CPU task: skipped
    "job3,worker,1,Terminated,1200,1300,600,29.3,800,MISC\n"
    "job4,worker,1,Running,1300,,600,29.3,100,T4\n";  // never ended: skipped

TEST(Pai2020, ReadsTasks) {
  auto t = ParsePai2020(kSample, "pai.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  const Job& a = t->jobs[0];
  EXPECT_EQ(a.id, "job1/worker");
  EXPECT_DOUBLE_EQ(a.submit_s, 0);  // shifted to the first start
  EXPECT_DOUBLE_EQ(a.duration_s, 3600);
  EXPECT_EQ(a.gpus, 1);  // 2 instances x 50% = one GPU's worth
  EXPECT_EQ(a.gpu_milli, 1000);
  EXPECT_EQ(t->type_names[0], "V100");
  const Job& b = t->jobs[1];
  EXPECT_EQ(b.gpus, 8);           // 800% = 8 GPUs
  EXPECT_EQ(b.allowed_mask, 0u);  // MISC: any type
  EXPECT_DOUBLE_EQ(b.submit_s, 200);
  EXPECT_EQ(t->notes.size(), 2u);
}

TEST(Pai2020, FractionalTask) {
  auto t = ParsePai2020("j,w,1,Terminated,10,20,1,1,25,T4\n", "pai.csv");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->jobs[0].gpu_milli, 250);
}

TEST(Pai2020, TruncatedLine) {
  auto t = ParsePai2020("j,w,1,Terminated,10,20,1\n", "pai.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("pai.csv:1: expected 10 fields"), std::string::npos);
}

TEST(Pai2020, BadNumber) {
  auto t = ParsePai2020("j,w,x,Terminated,10,20,1,1,25,T4\n", "pai.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("pai.csv:1: field 'inst_num'"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::trace
