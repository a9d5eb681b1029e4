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
  EXPECT_EQ(a.gpus, 2);  // 2 instances x 50%: two shares of half a GPU, not one whole GPU
  EXPECT_EQ(a.gpu_milli, 500);
  EXPECT_EQ(a.instances, 2);
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

// The PAI 2020 simulator's job table: header required, columns in any order, extras ignored.
TEST(Pai2020, ReadsTheSimulatorsJobTable) {
  auto t = ParsePai2020(
      "user,job_id,duration,num_gpu,num_inst,submit_time,gpu_type,num_cpu,group\n"
      "u1,7,3600,1.5,3,100,V100,6,g\n"  // 3 instances of half a GPU
      "u2,8,0,8,2,150,MISC,12,g\n"      // 2 x 4 whole GPUs; 0 s runs 1 s
      "u1,9,60,0,1,160,,4,g\n",         // CPU only: skipped
      "jobs.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  const Job& a = t->jobs[0];
  EXPECT_EQ(a.id, "7");
  EXPECT_EQ(t->tenants[static_cast<size_t>(a.tenant_idx)].name, "u1");
  EXPECT_DOUBLE_EQ(a.submit_s, 0);
  EXPECT_DOUBLE_EQ(a.duration_s, 3600);
  EXPECT_EQ(a.gpus, 3);
  EXPECT_EQ(a.gpu_milli, 500);
  EXPECT_EQ(a.instances, 3);
  EXPECT_EQ(t->type_names[0], "V100");
  const Job& b = t->jobs[1];
  EXPECT_EQ(b.gpus, 8);
  EXPECT_EQ(b.gpu_milli, 1000);
  EXPECT_EQ(b.allowed_mask, 0u);
  EXPECT_DOUBLE_EQ(b.submit_s, 50);
  EXPECT_DOUBLE_EQ(b.duration_s, 1);
  EXPECT_EQ(t->notes.size(), 2u);
}

TEST(Pai2020, JobTableErrorsNameLineAndField) {
  auto t = ParsePai2020("job_id,num_gpu,submit_time,duration\n1,x,0,5\n", "jobs.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("jobs.csv:2"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("num_gpu"), std::string::npos) << t.error().message;
  t = ParsePai2020("job_id,num_gpu,submit_time,duration\n1,1,0\n", "jobs.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("jobs.csv:2: expected 4 fields"), std::string::npos)
      << t.error().message;
  t = ParsePai2020("job_id,num_gpu,submit_time,duration,num_inst\n1,1,0,5,0\n", "jobs.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("num_inst"), std::string::npos) << t.error().message;
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
