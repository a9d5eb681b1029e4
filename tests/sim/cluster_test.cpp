#include "sim/cluster.h"

#include <gtest/gtest.h>

namespace gpuplan::sim::detail {
namespace {

ClusterSpec Nodes(int n, int per_node) {
  return ClusterSpec{
      .groups = {NodeGroup{.accelerator = "t", .num_nodes = n, .gpus_per_node = per_node}}};
}

Cluster Installed(const ClusterSpec& spec, Placement p) {
  Cluster c(spec, p);
  for (size_t n = 0; n < c.nodes().size(); ++n) c.SetInstalled(static_cast<int32_t>(n), true);
  return c;
}

TEST(Cluster, PackFillsThePartlyUsedNodeSpreadTheEmptiest) {
  for (Placement p : {Placement::kPack, Placement::kSpread}) {
    Cluster c = Installed(Nodes(2, 8), p);
    std::vector<Piece> a, b;
    ASSERT_TRUE(c.Place(0, 4, 1000, a));
    ASSERT_TRUE(c.Place(0, 2, 1000, b));
    // pack: the 2 GPUs go beside the 4 (best fit); spread: to the other, empty node.
    EXPECT_EQ(a[0].node == b[0].node, p == Placement::kPack);
    c.CheckInvariants();
  }
}

TEST(Cluster, GangJobTakesWholeNodesPlusOneRemainder) {
  Cluster c = Installed(Nodes(4, 8), Placement::kPack);
  std::vector<Piece> small, gang;
  ASSERT_TRUE(c.Place(0, 3, 1000, small));  // node X has 5 free
  // 20 GPUs = 2 whole nodes + 4 on one node: fits (the remainder goes on node X).
  ASSERT_TRUE(c.Place(0, 20, 1000, gang));
  ASSERT_EQ(gang.size(), 3u);
  EXPECT_EQ(gang[0].gpus, 8);
  EXPECT_EQ(gang[1].gpus, 8);
  EXPECT_EQ(gang[2].gpus, 4);
  EXPECT_EQ(gang[2].node, small[0].node);  // consolidated: best-fit remainder
  EXPECT_EQ(c.pool(0).free_gpus, 32 - 23);
  // Left: one empty node and node X's last GPU. 10 GPUs do not fit (all or nothing); 9 do, as
  // the empty node plus X's GPU.
  std::vector<Piece> nine;
  EXPECT_FALSE(c.CanPlace(0, 10, 1000));
  EXPECT_FALSE(c.Place(0, 10, 1000, nine));
  EXPECT_EQ(c.pool(0).free_gpus, 9);
  ASSERT_TRUE(c.Place(0, 9, 1000, nine));
  ASSERT_EQ(nine.size(), 2u);
  EXPECT_EQ(nine[1].node, small[0].node);
  EXPECT_EQ(c.pool(0).free_gpus, 0);
  c.CheckInvariants();
  c.Release(nine);
  c.Release(gang);
  c.Release(small);
  EXPECT_EQ(c.pool(0).free_gpus, 32);
  c.CheckInvariants();
}

TEST(Cluster, FractionalJobsShareGpus) {
  Cluster c = Installed(Nodes(1, 2), Placement::kPack);
  std::vector<Piece> a, b, d, e;
  ASSERT_TRUE(c.Place(0, 1, 600, a));
  ASSERT_TRUE(c.Place(0, 1, 400, b));  // best fit: the 400 left on a's GPU
  EXPECT_EQ(a[0].slot, b[0].slot);
  EXPECT_EQ(c.pool(0).free_gpus, 1);
  ASSERT_TRUE(c.Place(0, 1, 500, d));  // opens the second GPU
  EXPECT_EQ(c.pool(0).free_gpus, 0);
  EXPECT_FALSE(c.CanPlace(0, 1, 600));  // 500 left at most
  EXPECT_FALSE(c.CanPlace(0, 1, 1000));
  c.CheckInvariants();
  c.Release(a);
  c.Release(b);
  EXPECT_EQ(c.pool(0).free_gpus, 1);  // the shared GPU is whole again
  ASSERT_TRUE(c.Place(0, 1, 1000, e));
  c.CheckInvariants();
}

TEST(Cluster, DownAndRetiredNodesLeaveTheIndexes) {
  Cluster c = Installed(Nodes(2, 8), Placement::kPack);
  c.SetUp(0, false);
  EXPECT_EQ(c.pool(0).free_gpus, 8);
  EXPECT_EQ(c.up_gpus(), 8);
  EXPECT_EQ(c.installed_gpus(), 16);
  c.SetInstalled(0, false);  // retired while under repair
  c.SetUp(0, true);          // the repair finishing does not bring it back
  EXPECT_EQ(c.up_gpus(), 8);
  EXPECT_EQ(c.installed_gpus(), 8);
  c.CheckInvariants();
}

}  // namespace
}  // namespace gpuplan::sim::detail
