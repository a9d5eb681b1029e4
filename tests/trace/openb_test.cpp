#include <gtest/gtest.h>

#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

std::string OpenbDir() { return DefaultSharedDir() + "/traces/alibaba-openb-2023"; }

// The real trace (alibaba/clusterdata cluster-trace-gpu-v2023). Expected counts come from the
// file itself, counted with awk: 8,152 pods, of which 1,088 have num_gpu 0 (CPU-only) and one
// has deletion_time == creation_time; 897 are Pending (no scheduled_time).
TEST(OpenbPods, ReadsTheRealDefaultTrace) {
  auto t = ReadTrace(OpenbDir() + "/openb_pod_list_default.csv", TraceFormat::kOpenb);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->jobs.size(), 8152u - 1088u - 1u);
  EXPECT_EQ(t->tenants.size(), 4u);  // qos: LS, BE, Burstable, Guaranteed
  int64_t fractional = 0, eight = 0;
  for (const Job& j : t->jobs) {
    EXPECT_GT(j.duration_s, 0);
    fractional += j.gpu_milli < kWholeGpuMilli;
    eight += j.gpus == 8;
  }
  EXPECT_EQ(eight, 44);  // num_gpu == 8 rows, all GPU pods
  EXPECT_GT(fractional, 2000);
  ASSERT_FALSE(t->notes.empty());
  EXPECT_NE(t->notes[0].find("1088 CPU-only pods"), std::string::npos) << t->notes[0];
}

TEST(OpenbPods, GpuSpecBecomesAllowedTypes) {
  auto t = ReadTrace(OpenbDir() + "/openb_pod_list_gpuspec33.csv", TraceFormat::kOpenb);
  ASSERT_TRUE(t) << t.error().message;
  int64_t constrained = 0;
  for (const Job& j : t->jobs) constrained += j.allowed_mask != 0;
  EXPECT_GT(constrained, 2000);  // ~33% of GPU pods name a gpu_spec
  EXPECT_LE(t->type_names.size(), 7u);
}

TEST(OpenbPods, MultiGpu50LacksTimesAndSaysSo) {
  auto t = ReadTrace(OpenbDir() + "/openb_pod_list_multigpu50.csv", TraceFormat::kOpenb);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("lacks the required column 'creation_time'"), std::string::npos);
}

TEST(OpenbPods, TruncatedLineNamesLine) {
  auto t = ParseOpenbPods(
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
      "deletion_time,scheduled_time\n"
      "p0,1,1,1,1000,,LS,Running,0,100,0\n"
      "p1,1,1,1,1000,,LS,Run\n",
      "pods.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("pods.csv:3: expected 11 fields"), std::string::npos);
}

TEST(OpenbNodes, ReadsTheRealNodeList) {
  auto nodes = ReadOpenbNodes(OpenbDir() + "/openb_node_list_gpu_node.csv");
  ASSERT_TRUE(nodes) << nodes.error().message;
  EXPECT_EQ(nodes->size(), 1213u);  // README: 1,213 GPU nodes, 6,212 GPUs
  int64_t gpus = 0;
  for (const OpenbNode& n : *nodes) gpus += n.gpus;
  EXPECT_EQ(gpus, 6212);
}

TEST(OpenbNodes, BadGpuCount) {
  auto nodes = ParseOpenbNodes("sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,-2,T4\n", "nodes.csv");
  ASSERT_FALSE(nodes);
  EXPECT_NE(nodes.error().message.find("nodes.csv:2: field 'gpu'"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan::trace
