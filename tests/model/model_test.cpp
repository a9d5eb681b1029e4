#include "model/model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gpuplan::model {
namespace {

ModelShape Preset(const char* name) {
  auto m = LoadPreset(name);
  EXPECT_TRUE(m) << name << ": " << (m ? "" : m.error().message);
  return m ? *m : ModelShape{};
}

// Computed totals vs the totals each model's authors publish (the preset files cite each source).
TEST(CountParams, MatchesPublishedTotals) {
  const struct {
    const char* name;
    double published;  // params, from the paper/model card cited in data/models/<name>.toml
    double tolerance;  // relative
  } rows[] = {
      {"llama2-7b", 6.74e9, 0.005},     // model card: 6,738,415,616
      {"llama2-13b", 13.0e9, 0.01},     // model card: 13,015,864,320
      {"llama2-34b", 33.7e9, 0.01},     // Code Llama 34B card
      {"llama2-70b", 68.98e9, 0.005},   // model card: 68,976,648,192
      {"llama3-8b", 8.03e9, 0.005},     // model card
      {"llama3-70b", 70.6e9, 0.005},    // model card
      {"llama3-405b", 405.9e9, 0.005},  // config: 405,853,388,800
      {"gpt3-175b", 175e9, 0.01},       // Brown et al. 2020 Table 2.1
      {"opt-175b", 175e9, 0.01},        // Zhang et al. 2022 Table 1
      {"mixtral-8x7b", 46.7e9, 0.005},  // Jiang et al. 2024 sec. 2.1
      {"deepseek-v3", 671e9, 0.005},    // DeepSeek-V3 report, abstract
      {"megatron-1.7b", 1.7e9, 0.03},   // Megatron SC21 Table 1 (their eq. 2 rounds)
      {"megatron-18.4b", 18.4e9, 0.01},
      {"megatron-145.6b", 145.6e9, 0.005},
      {"megatron-1008b", 1008e9, 0.005},
      {"megatron-174.6b", 174.6e9, 0.005},  // Megatron SC21 Table 2
  };
  for (const auto& r : rows) {
    const ParamCounts c = CountParams(Preset(r.name));
    EXPECT_NEAR(c.total / r.published, 1.0, r.tolerance) << r.name << " computed " << c.total;
  }
}

TEST(CountParams, BloomMatchesTheModelCardExactly) {
  // bigscience/bloom model card: 176,247,271,424 parameters; the count includes BLOOM's
  // embedding LayerNorm (2 x 14336) and the final LayerNorm.
  EXPECT_DOUBLE_EQ(CountParams(Preset("bloom-176b")).total, 176247271424.0);
}

TEST(CountParams, Llama2SevenBMatchesTheCheckpointExactly) {
  // The HF checkpoint meta-llama/Llama-2-7b-hf holds 6,738,415,616 weights:
  // 32 x (4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096) + 2 x 32000 x 4096 + 4096.
  EXPECT_DOUBLE_EQ(CountParams(Preset("llama2-7b")).total, 6738415616.0);
}

TEST(CountParams, MoeActiveParamsMatchPublished) {
  // Mixtral: 12.9B active (arXiv:2401.04088 sec. 2.1); DeepSeek-V3: 37B (arXiv:2412.19437).
  EXPECT_NEAR(CountParams(Preset("mixtral-8x7b")).active / 12.9e9, 1.0, 0.01);
  EXPECT_NEAR(CountParams(Preset("deepseek-v3")).active / 37e9, 1.0, 0.03);
  const ParamCounts dense = CountParams(Preset("llama3-70b"));
  EXPECT_DOUBLE_EQ(dense.active, dense.total);
}

TEST(ForwardFlopPerToken, MatchesMegatronEquation3) {
  // Narayanan et al. 2021 eq. 3: a training iteration with full recompute costs
  // 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) FLOPs, i.e. 4 forward passes of
  // 24 l h^2 + 4 s l h + 2 V h per token (biases and norms not counted).
  const ModelShape m = Preset("megatron-145.6b");
  const double l = 80, h = 12288, s = 2048, v = 51200;
  const double expected = 24 * l * h * h + 4 * s * l * h + 2 * v * h;
  EXPECT_NEAR(ForwardFlopPerToken(m, 2048) / expected, 1.0, 1e-9);
}

TEST(ForwardFlopPerToken, IsAboutTwicePerActiveParam) {
  // Kaplan et al. 2020 (eq. 2.2): C_forward ~ 2N + 2 n_layer n_ctx d_attn.
  const ModelShape m = Preset("llama3-8b");
  const ParamCounts c = CountParams(m);
  const double weights_only = ForwardWeightFlopPerToken(m);
  // Only the input embedding lookup (128256 x 4096) is a weight without a matmul.
  EXPECT_NEAR(weights_only, 2 * (c.total - 128256.0 * 4096 - 65 * 4096), 1);
  EXPECT_DOUBLE_EQ(ForwardAttentionFlopPerToken(m, 8192), 32 * 2.0 * 8192 * (4096 + 4096));
}

TEST(ParseModel, ErrorsNameFileLineAndField) {
  const struct {
    const char* text;
    const char* expect;
  } rows[] = {
      {"layers = 2\nhidden = -8\nheads = 1\nvocab = 10\n", "m.toml:2: 'hidden' must be between"},
      {"layers = 2\nhidden = 8\nheads = 1\nvocab = 10\nhiden = 3\n",
       "m.toml:5: unknown key 'hiden' (did you mean 'hidden'?)"},
      {"layers = 2\nhidden = 8\nheads = 1\n", "missing 'vocab'"},
      {"layers = 2\nhidden = \"big\"\nheads = 1\nvocab = 10\n",
       "m.toml:2: 'hidden': expected a number such as 70B"},
      {"layers = 2\nhidden = 8.5\nheads = 1\nvocab = 10\n",
       "m.toml:2: 'hidden' must be a whole number"},
      // A shape error names the line of the field it is about.
      {"layers = 2\nhidden = 8\nheads = 3\nvocab = 10\n",
       "m.toml:3: 'heads' (3) must divide 'hidden' (8)"},
      {"layers = 2\nhidden = 8\nheads = 4\nkv_heads = 3\nvocab = 10\n",
       "m.toml:4: 'kv_heads' must divide 'heads'"},
      {"layers = [2\n", "m.toml:"},
      {"layers = 2\nhidden = 8\nheads = 1\nvocab = 10\n[moe]\nexperts = 4\nexperts_per_token = 5\n"
       "expert_ffn_hidden = 4\n",
       "m.toml:7: [moe] 'experts_per_token' must be between 1 and 'experts' (4), got 5"},
      {"layers = 2\nhidden = 8\nheads = 1\nvocab = 10\n[moe]\nexperts = 4\nexperts_per_token = 2\n"
       "expert_ffn_hidden = 4\nmax_nodes_per_token = -1\n",
       "m.toml:9: moe: 'max_nodes_per_token' must be between 0 and"},
      {"layers = 2\nhidden = 8\nheads = 1\nvocab = 10\n[moe]\nexperts = 4\nexperts_per_token = 2\n"
       "expert_ffn_hidden = 4\nmax_nodes = 4\n",
       "m.toml:9: moe: unknown key 'max_nodes' (did you mean 'max_nodes_per_token'?)"},
      {"layers = 0\nhidden = 8\nheads = 1\nvocab = 10\n", "m.toml:1: 'layers' must be between 1"},
  };
  for (const auto& r : rows) {
    auto m = ParseModel(r.text, "m.toml");
    ASSERT_FALSE(m) << r.text;
    EXPECT_NE(m.error().message.find(r.expect), std::string::npos) << m.error().message;
  }
}

// Node-limited routing is a property of the model's router: DeepSeek-V3 sends each token to at
// most 4 nodes (arXiv:2412.19437 sec. 3.2.2 and 4.2); Mixtral's plain top-2 has no limit.
TEST(LoadPreset, NodeLimitedRoutingIsReadFromTheMoeTable) {
  EXPECT_EQ(LoadPreset("deepseek-v3")->moe.max_nodes_per_token, 4);
  EXPECT_EQ(LoadPreset("mixtral-8x7b")->moe.max_nodes_per_token, 0);
  auto m = ParseModel(
      "layers = 2\nhidden = 8\nheads = 1\nvocab = 10\n[moe]\nexperts = 4\n"
      "experts_per_token = 2\nexpert_ffn_hidden = 4\nmax_nodes_per_token = 2\n",
      "m.toml");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->moe.max_nodes_per_token, 2);
}

TEST(LoadPreset, UnknownNameSuggestsNearest) {
  auto m = LoadPreset("lama3-405b");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("did you mean 'llama3-405b'"), std::string::npos)
      << m.error().message;
}

TEST(LoadPreset, EveryPresetLoadsAndIsNearItsPublishedSize) {
  const std::vector<std::string> names = PresetNames();
  EXPECT_GE(names.size(), 20u);
  for (const std::string& name : names) {
    auto m = LoadPreset(name);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_FALSE(m->source.empty()) << name;
    ASSERT_GT(m->published_params, 0) << name;
    EXPECT_NEAR(CountParams(*m).total / m->published_params, 1.0, 0.03) << name;
  }
}

TEST(InferShape, HitsTheRequestedSizeAndSaysSo) {
  for (double params : {1e9, 7e9, 70e9, 405e9, 1e12}) {
    auto m = InferShape(params);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_NEAR(CountParams(*m).total / params, 1.0, 0.03) << params;
    // The documented rule: hidden/layers near 128 (GPT-3: 12288/96).
    EXPECT_GT(double(m->hidden) / m->num_layers, 64) << params;
    EXPECT_LE(double(m->hidden) / m->num_layers, 256) << params;
    ASSERT_FALSE(m->notes.empty());
    EXPECT_NE(m->notes[0].find("inferred"), std::string::npos);
  }
}

TEST(InferShape, MoeFillsTotalWithExperts) {
  auto m = InferShape(671e9, 37e9);
  ASSERT_TRUE(m) << m.error().message;
  const ParamCounts c = CountParams(*m);
  EXPECT_TRUE(m->is_moe());
  EXPECT_NEAR(c.active / 37e9, 1.0, 0.05);
  EXPECT_NEAR(c.total / 671e9, 1.0, 0.05);
}

TEST(InferShape, RejectsAbsurdSizes) {
  EXPECT_FALSE(InferShape(0));
  EXPECT_FALSE(InferShape(-7e9));
  EXPECT_FALSE(InferShape(1e20));
  EXPECT_FALSE(InferShape(7e9, 8e9));
}

}  // namespace
}  // namespace gpuplan::model
