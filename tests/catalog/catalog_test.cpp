#include "catalog/catalog.h"

#include <gtest/gtest.h>

namespace gpuplan::catalog {
namespace {

const Catalog& Default() {
  static const Catalog* catalog = [] {
    auto c = Catalog::LoadDefault();
    if (!c) ADD_FAILURE() << c.error().message;
    return new Catalog(std::move(*c));
  }();
  return *catalog;
}

TEST(Catalog, HasTheAcceleratorsSizingNeeds) {
  for (const char* id :
       {"v100-sxm2-32gb", "a100-sxm4-40gb", "a100-sxm4-80gb", "h100-sxm5-80gb", "h100-pcie-80gb",
        "h800-sxm5-80gb", "h20-96gb", "h200-sxm-141gb", "b200", "gb200-nvl72", "mi250x", "mi300x",
        "mi325x", "gaudi2", "gaudi3", "ascend-910c", "tpu-v4", "tpu-v5p"}) {
    auto a = Default().Find(id);
    ASSERT_TRUE(a) << id;
    EXPECT_GT((*a)->peak_bf16_flop_per_s, 0) << id;
    EXPECT_GT((*a)->memory_bytes, 0) << id;
    EXPECT_GT((*a)->scaleout_bytes_per_s, 0) << id;
    EXPECT_FALSE((*a)->source.empty()) << id;
  }
}

// Expected TPP from ../shared/reference/accelerators.csv (its "TPP basis" notes).
// Every price says who published it (catalog list prints it beside the price).
TEST(Catalog, EveryPriceNamesItsSource) {
  int priced = 0;
  for (const Accelerator& a : Default().accelerators()) {
    if (a.price_usd <= 0) continue;
    ++priced;
    EXPECT_GT(a.price_source.size(), 10u) << a.id;
  }
  EXPECT_GE(priced, 12);
}

// Wave quantization needs every part's compute-unit count, each with who published it.
TEST(Catalog, EveryPartHasItsComputeUnitsAndTheirSource) {
  for (const Accelerator& a : Default().accelerators()) {
    EXPECT_GE(a.sm_count, 1) << a.id;
    EXPECT_GT(a.sm_source.size(), 20u) << a.id;
  }
  // Published counts (whitepapers): V100 80, A100 108, H100 SXM5 132 / PCIe 114, MI300X 304.
  for (const auto& [id, sms] : {std::pair<const char*, int>{"v100-sxm2-32gb", 80},
                                {"a100-sxm4-80gb", 108},
                                {"h100-sxm5-80gb", 132},
                                {"h100-pcie-80gb", 114},
                                {"mi300x", 304}}) {
    EXPECT_EQ((*Default().Find(id))->sm_count, sms) << id;
  }
}

TEST(ComputeTpp, MatchesReferenceTable) {
  const struct {
    const char* id;
    double tpp;
  } rows[] = {{"v100-sxm2-32gb", 2000}, {"a100-sxm4-80gb", 4992}, {"h100-sxm5-80gb", 15832},
              {"h20-96gb", 2368},       {"b200", 36000},          {"b300", 56000},
              {"mi300x", 20919.2},      {"mi355x", 60398.4},      {"gaudi3", 29360},
              {"tpu-v5p", 7344},        {"mi250x", 6128},         {"gb300-nvl72", 60000}};
  for (const auto& r : rows) {
    auto a = Default().Find(r.id);
    ASSERT_TRUE(a) << r.id;
    EXPECT_NEAR((*a)->tpp, r.tpp, 1.0) << r.id;
  }
}

TEST(Catalog, UnknownIdSuggestsNearest) {
  auto a = Default().Find("h100");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("did you mean 'h100-sxm5-80gb'"), std::string::npos);
  EXPECT_NE(a.error().message.find("mi300x"), std::string::npos);  // lists valid ids
}

TEST(Catalog, ScaleupIsPerDirection) {
  // NVLink 4: 900 GB/s bidirectional per H100 (reference table) = 450 each way.
  EXPECT_DOUBLE_EQ((*Default().Find("h100-sxm5-80gb"))->scaleup_bytes_per_s, 450e9);
}

constexpr const char* kProfile =
    "[profile.p]\nscaleout_gbps = 50\ngpus_per_node = 8\ngemm_efficiency = 0.7\n";

TEST(CatalogParse, BadInputNamesFileLineAndField) {
  const struct {
    std::string text;
    std::string expect;
  } cases[] = {
      {"[[accelerator]\nid = 1", "x.toml:1: malformed TOML"},
      {kProfile, "no [[accelerator]]"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "source = \"s\"\ndense_bf16_tflops = 100\nmemory_gb = -8\n",
       "x.toml:11: accelerator 'a': 'memory_gb' must be > 0 and <= 1000000000, got -8"},
      {std::string(kProfile) +
           "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"q\"\nsource = \"s\"\n",
       "unknown profile 'q'"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "memry_gb = 8\n",
       "unknown key 'memry_gb' (did you mean 'memory_gb'?)"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "dense_bf16_tflops = 100\nmemory_gb = 80\nmemory_tbps = 2\n"
                               "scaleup_link_gbps = 900\nscaleup_domain = 8\ntdp_w = 700\n",
       "missing 'source'"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "source = \"s\"\ndense_bf16_tflops = 100\nmemory_gb = 80\n"
                               "memory_tbps = 2\nscaleup_link_gbps = 900\nscaleup_domain = 8\n"
                               "tdp_w = 700\nsm_count = 0\nsm_source = \"s\"\n",
       "x.toml:16: accelerator 'a': 'sm_count' must be between 1 and 100000, got 0"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "source = \"s\"\ndense_bf16_tflops = 100\nmemory_gb = 80\n"
                               "memory_tbps = 2\nscaleup_link_gbps = 900\nscaleup_domain = 8\n"
                               "tdp_w = 700\nsm_count = 132.5\n",
       "x.toml:16: accelerator 'a': 'sm_count' must be a whole number"},
      {std::string(kProfile) + "[[accelerator]]\nid = \"a\"\nvendor = \"V\"\nprofile = \"p\"\n"
                               "source = \"s\"\ndense_bf16_tflops = 100\nmemory_gb = 80\n"
                               "memory_tbps = 2\nscaleup_link_gbps = 900\nscaleup_domain = 8\n"
                               "tdp_w = 700\nsm_count = 132\n",
       "x.toml:16: accelerator 'a': 'sm_count' needs 'sm_source'"},
  };
  for (const auto& c : cases) {
    auto cat = Catalog::Parse(c.text, "x.toml");
    ASSERT_FALSE(cat) << c.text;
    EXPECT_NE(cat.error().message.find(c.expect), std::string::npos)
        << "got: " << cat.error().message;
  }
}

}  // namespace
}  // namespace gpuplan::catalog
