// Hugging Face config.json reading (hf_config.cpp): each family's published config (the fields
// that matter, as in the model repositories) gives the same shape as the cited preset.
#include <gtest/gtest.h>

#include "model/model.h"

namespace gpuplan::model {
namespace {

double Total(const ModelShape& m) { return CountParams(m).total; }

void ExpectSameCounts(const char* json, const char* preset) {
  auto m = ParseHfConfig(json, "config.json");
  ASSERT_TRUE(m) << preset << ": " << m.error().message;
  auto p = LoadPreset(preset);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_NEAR(Total(*m) / Total(*p), 1.0, 1e-6) << preset;
  EXPECT_NEAR(CountParams(*m).active / CountParams(*p).active, 1.0, 1e-6) << preset;
}

TEST(ParseHfConfig, LlamaMixtralQwenDeepSeekLlama4MatchTheirPresets) {
  ExpectSameCounts(R"({"model_type": "llama", "num_hidden_layers": 126, "hidden_size": 16384,
      "num_attention_heads": 128, "num_key_value_heads": 8, "intermediate_size": 53248,
      "vocab_size": 128256, "tie_word_embeddings": false, "max_position_embeddings": 131072})",
                   "llama3.1-405b");
  ExpectSameCounts(R"({"model_type": "mixtral", "num_hidden_layers": 56, "hidden_size": 6144,
      "num_attention_heads": 48, "num_key_value_heads": 8, "intermediate_size": 16384,
      "num_local_experts": 8, "num_experts_per_tok": 2, "vocab_size": 32000})",
                   "mixtral-8x22b");
  ExpectSameCounts(R"({"model_type": "qwen2", "num_hidden_layers": 80, "hidden_size": 8192,
      "num_attention_heads": 64, "num_key_value_heads": 8, "intermediate_size": 29568,
      "vocab_size": 152064, "tie_word_embeddings": false})",
                   "qwen2.5-72b");
  ExpectSameCounts(R"({"model_type": "qwen3_moe", "num_hidden_layers": 94, "hidden_size": 4096,
      "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 128,
      "intermediate_size": 12288, "moe_intermediate_size": 1536, "num_experts": 128,
      "num_experts_per_tok": 8, "vocab_size": 151936, "mlp_only_layers": []})",
                   "qwen3-235b-a22b");
  ExpectSameCounts(R"({"model_type": "deepseek_v3", "num_hidden_layers": 61, "hidden_size": 7168,
      "num_attention_heads": 128, "num_key_value_heads": 128, "intermediate_size": 18432,
      "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1,
      "num_experts_per_tok": 8, "first_k_dense_replace": 3, "topk_group": 4,
      "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
      "v_head_dim": 128, "vocab_size": 129280, "tie_word_embeddings": false})",
                   "deepseek-v3");
  ExpectSameCounts(R"({"model_type": "deepseek_v2", "num_hidden_layers": 60, "hidden_size": 5120,
      "num_attention_heads": 128, "intermediate_size": 12288, "moe_intermediate_size": 1536,
      "n_routed_experts": 160, "n_shared_experts": 2, "num_experts_per_tok": 6,
      "first_k_dense_replace": 1, "q_lora_rank": 1536, "kv_lora_rank": 512,
      "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 102400})",
                   "deepseek-v2");
  ExpectSameCounts(R"({"model_type": "llama4", "text_config": {"num_hidden_layers": 48,
      "hidden_size": 5120, "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
      "intermediate_size": 8192, "intermediate_size_mlp": 16384, "num_local_experts": 128,
      "num_experts_per_tok": 1, "interleave_moe_layer_step": 2, "vocab_size": 202048}})",
                   "llama4-maverick");
  auto v3 = ParseHfConfig(R"({"model_type": "deepseek_v3", "num_hidden_layers": 61,
      "hidden_size": 7168, "num_attention_heads": 128, "intermediate_size": 18432,
      "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1,
      "num_experts_per_tok": 8, "first_k_dense_replace": 3, "topk_group": 4, "q_lora_rank": 1536,
      "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
      "vocab_size": 129280})",
                          "config.json");
  ASSERT_TRUE(v3) << v3.error().message;
  EXPECT_EQ(v3->moe.max_nodes_per_token, 4);
}

// Llama 4's RoPE layers attend within chunks of attention_chunk_size; no_rope_layers' zeros are
// the NoPE layers that attend to the whole context. The preset says the same.
TEST(ParseHfConfig, Llama4ChunkedAttention) {
  auto m = ParseHfConfig(R"({"model_type": "llama4", "text_config": {"num_hidden_layers": 8,
      "hidden_size": 512, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 64,
      "intermediate_size": 1024, "intermediate_size_mlp": 2048, "num_local_experts": 4,
      "num_experts_per_tok": 1, "interleave_moe_layer_step": 2, "vocab_size": 1000,
      "attention_chunk_size": 8192, "no_rope_layers": [1, 1, 1, 0, 1, 1, 1, 0]}})",
                         "config.json");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->attention_chunk, 8192);
  EXPECT_EQ(m->num_global_attention_layers, 2);
  auto preset = LoadPreset("llama4-maverick");
  ASSERT_TRUE(preset) << preset.error().message;
  EXPECT_EQ(preset->attention_chunk, 8192);
  EXPECT_EQ(preset->num_global_attention_layers, 12);
}

// Qwen2-MoE's shared expert is wider than its routed experts; Gemma ties its embeddings.
TEST(ParseHfConfig, QwenMoeSharedExpertAndGemmaTiedEmbeddings) {
  // Qwen/Qwen2-57B-A14B: 57.4B total, 14.2B active (model card: "57B", "A14B").
  auto q = ParseHfConfig(R"({"model_type": "qwen2_moe", "num_hidden_layers": 28,
      "hidden_size": 3584, "num_attention_heads": 28, "num_key_value_heads": 4,
      "intermediate_size": 18944, "moe_intermediate_size": 2560,
      "shared_expert_intermediate_size": 20480, "num_experts": 64, "num_experts_per_tok": 8,
      "vocab_size": 151936})",
                         "qwen2-57b/config.json");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->moe.shared_expert_ffn_hidden, 20480);
  EXPECT_NEAR(Total(*q) / 57.4e9, 1.0, 0.01);
  EXPECT_NEAR(CountParams(*q).active / 14.2e9, 1.0, 0.03);
  EXPECT_EQ(q->name, "qwen2-57b");
  // google/gemma-7b: 8.54B (model card), head_dim 256 wider than hidden / heads would give.
  auto g = ParseHfConfig(R"({"model_type": "gemma", "num_hidden_layers": 28, "hidden_size": 3072,
      "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256,
      "intermediate_size": 24576, "vocab_size": 256000})",
                         "config.json");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_TRUE(g->has_tied_embeddings);
  EXPECT_NEAR(Total(*g) / 8.54e9, 1.0, 0.005);
}

TEST(ParseHfConfig, ErrorsNameFileAndField) {
  const struct {
    const char* json;
    const char* expect;
  } rows[] = {
      {R"({"model_type": "llama", "hidden_size": 8})", "c.json: missing 'num_hidden_layers'"},
      {R"({"model_type": "lama"})", "did you mean 'llama'?"},
      {R"({"model_type": "llama", "num_hidden_layers": 2.5})",
       "c.json: 'num_hidden_layers' must be a whole number"},
      {"{\n\"model_type\": \"llama\",\n]", "c.json:3: malformed JSON"},
      {R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 8,
          "num_attention_heads": 3, "intermediate_size": 8, "vocab_size": 10})",
       "'heads' (3) must divide 'hidden' (8)"},
      {R"([1, 2])", "must be a JSON object"},
  };
  for (const auto& r : rows) {
    auto m = ParseHfConfig(r.json, "c.json");
    ASSERT_FALSE(m) << r.json;
    EXPECT_NE(m.error().message.find(r.expect), std::string::npos) << m.error().message;
  }
}

}  // namespace
}  // namespace gpuplan::model
