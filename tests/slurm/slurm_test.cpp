#include "slurm/slurm.h"

#include <gtest/gtest.h>

namespace gpuplan::slurm {
namespace {

sim::ClusterSpec TwoTypes() {
  sim::ClusterSpec c;
  c.groups.push_back({.accelerator = "h100-sxm5-80gb", .num_nodes = 16, .gpus_per_node = 8});
  c.groups.push_back({.accelerator = "mi300x",
                      .num_nodes = 4,
                      .gpus_per_node = 8,
                      .available_from_s = 90 * kSecondsPerDay});
  // A second delivery of the first type: same partition, numbered on.
  c.groups.push_back({.accelerator = "h100-sxm5-80gb",
                      .num_nodes = 8,
                      .gpus_per_node = 8,
                      .available_from_s = 180 * kSecondsPerDay});
  // Retired before the end: not in the final fleet.
  c.groups.push_back({.accelerator = "a100-sxm4-80gb",
                      .num_nodes = 2,
                      .gpus_per_node = 8,
                      .retired_at_s = 100 * kSecondsPerDay});
  return c;
}

std::vector<trace::Tenant> Tenants() {
  return {
      {.name = "Universities", .tenant_class = trace::TenantClass::kAcademia, .share_weight = 0.3},
      {.name = "startups",
       .tenant_class = trace::TenantClass::kStartup,
       .share_weight = 0.1,
       .quota_gpus = 64}};
}

TEST(SlurmConfig, OnePartitionPerTypeWithTypedGpus) {
  SlurmConfigOptions options;
  options.vendor_of = {{"h100-sxm5-80gb", "NVIDIA"}, {"mi300x", "AMD"}};
  auto c = MakeSlurmConfig(TwoTypes(), Tenants(), options);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->partitions.size(), 2u);
  EXPECT_EQ(c->partitions[0].name, "h100-sxm5-80gb");
  EXPECT_EQ(c->partitions[0].num_nodes, 24);
  EXPECT_EQ(c->partitions[0].nodes, "h100-sxm5-80gb-[001-024]");
  EXPECT_TRUE(c->partitions[0].is_default);
  EXPECT_EQ(c->partitions[1].nodes, "mi300x-[001-004]");
  EXPECT_FALSE(c->partitions[1].is_default);
  const std::string& conf = c->slurm_conf;
  EXPECT_NE(conf.find("GresTypes=gpu\n"), std::string::npos);
  EXPECT_NE(conf.find("AccountingStorageTRES=gres/gpu\n"), std::string::npos);
  EXPECT_NE(conf.find("NodeName=h100-sxm5-80gb-[001-016] Gres=gpu:h100-sxm5-80gb:8"),
            std::string::npos);
  EXPECT_NE(conf.find("NodeName=h100-sxm5-80gb-[017-024] Gres=gpu:h100-sxm5-80gb:8"),
            std::string::npos);
  EXPECT_NE(conf.find("PartitionName=h100-sxm5-80gb Nodes=h100-sxm5-80gb-[001-024] "
                      "MaxTime=UNLIMITED State=UP Default=YES"),
            std::string::npos);
  EXPECT_EQ(conf.find("a100"), std::string::npos) << "a retired group is not in the final fleet";
  EXPECT_NE(c->gres_conf.find("NodeName=h100-sxm5-80gb-[001-016] Name=gpu Type=h100-sxm5-80gb "
                              "File=/dev/nvidia[0-7]"),
            std::string::npos);
  EXPECT_NE(c->gres_conf.find("NodeName=mi300x-[001-004] Name=gpu Type=mi300x "
                              "File=/dev/dri/renderD[128-135]"),
            std::string::npos);
}

TEST(SlurmConfig, SnapshotAtATime) {
  SlurmConfigOptions options;
  options.at_s = 95 * kSecondsPerDay;  // after the mi300x delivery, before the a100 retirement
  auto c = MakeSlurmConfig(TwoTypes(), Tenants(), options);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->partitions.size(), 3u);
  EXPECT_EQ(c->partitions[0].num_nodes, 16);
  EXPECT_EQ(c->partitions[2].name, "a100-sxm4-80gb");
  // Without a vendor, gres.conf counts the GPUs and says what to add.
  EXPECT_NE(c->gres_conf.find("Type=a100-sxm4-80gb Count=8  # add File="), std::string::npos);
  options.at_s = -1;
  EXPECT_FALSE(MakeSlurmConfig(TwoTypes(), Tenants(), options));
}

TEST(SlurmConfig, AccountsCarrySharesInPercentAndQuotas) {
  auto c = MakeSlurmConfig(TwoTypes(), Tenants(), {});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->accounts.size(), 2u);
  EXPECT_EQ(c->accounts[0].name, "universities");
  EXPECT_EQ(c->accounts[0].fairshare, 75);
  EXPECT_EQ(c->accounts[1].fairshare, 25);
  EXPECT_NE(c->sacctmgr.find("sacctmgr -i add account universities Description='universities' "
                             "Organization=academia Fairshare=75\n"),
            std::string::npos);
  EXPECT_NE(c->sacctmgr.find("sacctmgr -i add account startups Description='startups' "
                             "Organization=startup Fairshare=25 GrpTRES=gres/gpu=64\n"),
            std::string::npos);
}

TEST(SlurmConfig, RefusesNamesThatCollide) {
  auto tenants = Tenants();
  tenants.push_back({.name = "Start ups"});
  tenants.push_back({.name = "start-ups"});
  auto c = MakeSlurmConfig(TwoTypes(), tenants, {});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("start-ups"), std::string::npos);
  sim::ClusterSpec odd;
  odd.groups.push_back({.accelerator = "x_1", .num_nodes = 1});
  odd.groups.push_back({.accelerator = "x.1", .num_nodes = 1});
  EXPECT_FALSE(MakeSlurmConfig(odd, {}, {}));
}

}  // namespace
}  // namespace gpuplan::slurm
