// Hugging Face config.json -> ModelShape. Field names per family (transformers'
// configuration_*.py):
//   all:      num_hidden_layers, hidden_size, num_attention_heads, num_key_value_heads (default:
//             the heads), head_dim (Gemma, Qwen3, Llama 4), intermediate_size, vocab_size,
//             tie_word_embeddings (default false; Gemma true)
//   mixtral:  num_local_experts, num_experts_per_tok; experts as wide as intermediate_size
//   qwen2_moe/qwen3_moe: num_experts, num_experts_per_tok, moe_intermediate_size,
//             shared_expert_intermediate_size (Qwen2-MoE: one shared expert), mlp_only_layers
//   deepseek_v2/v3: n_routed_experts, num_experts_per_tok, n_shared_experts, moe_intermediate_size,
//             first_k_dense_replace, MLA ranks q_lora_rank (null: full Q), kv_lora_rank,
//             qk_nope_head_dim, qk_rope_head_dim, v_head_dim; V3's topk_group (4) is its
//             node limit (arXiv:2412.19437 sec. 2.1.2)
//   llama4:   text_config with num_local_experts, num_experts_per_tok, intermediate_size (expert
//             and shared expert), intermediate_size_mlp (dense layers), interleave_moe_layer_step,
//             attention_chunk_size and no_rope_layers (0: a NoPE layer attending to everything)
//   gemma*:   GeGLU (gated); gemma3 nests text_config
// Every family here uses a gated FFN and RMSNorm without biases (Qwen2's QKV biases, 0.01% of the
// count, are left out). max_position_embeddings is the longest context, not the pre-training one:
// the training context stays unset (sizing's default) and the note says so.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "model/model.h"

namespace gpuplan::model {

namespace {

using Json = nlohmann::json;

const std::set<std::string> kFamilies = {"llama",     "llama4",      "llama4_text", "mistral",
                                         "mixtral",   "qwen2",       "qwen3",       "qwen2_moe",
                                         "qwen3_moe", "deepseek_v2", "deepseek_v3", "gemma",
                                         "gemma2",    "gemma3",      "gemma3_text"};

struct Reader {
  const Json& j;
  const std::string& path;

  // An integer field: absent -> `fallback` (or an error when required).
  Result<int> Int(const char* key, std::optional<int> fallback = std::nullopt) const {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (fallback) return *fallback;
      return Error{fmt::format("{}: missing '{}'", path, key)};
    }
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > (1 << 24)) {
      return Error{fmt::format("{}: '{}' must be a whole number between 0 and {}, got {}", path,
                               key, 1 << 24, it->dump())};
    }
    return int(it->get<int64_t>());
  }
  Result<bool> Bool(const char* key, bool fallback) const {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      return Error{fmt::format("{}: '{}' must be true or false, got {}", path, key, it->dump())};
    }
    return it->get<bool>();
  }
};

}  // namespace

Result<ModelShape> ParseHfConfig(std::string_view json_text, const std::string& path) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    const size_t at = std::min(e.byte, json_text.size());
    const auto line = 1 + std::count(json_text.begin(), json_text.begin() + long(at), '\n');
    return Error{fmt::format("{}:{}: malformed JSON: {}", path, line, e.what())};
  }
  if (!root.is_object()) return Error{fmt::format("{}: a config.json must be a JSON object", path)};
  std::string type = root.value("model_type", std::string());
  if (!kFamilies.contains(type)) {
    std::vector<std::string> names(kFamilies.begin(), kFamilies.end());
    const std::string near = NearestName(type, names);
    return Error{fmt::format("{}: 'model_type' '{}' is not a supported family ({}){}", path, type,
                             fmt::join(names, ", "),
                             near.empty() ? "" : fmt::format("; did you mean '{}'?", near))};
  }
  // Llama 4 and Gemma 3 keep the language model's fields in text_config.
  const Json* cfg = &root;
  if ((type == "llama4" || type == "gemma3") && root.contains("text_config")) {
    cfg = &root["text_config"];
    if (!cfg->is_object()) return Error{fmt::format("{}: 'text_config' must be an object", path)};
  }
  const Reader r{*cfg, path};
  ModelShape s;
  auto name = root.value("_name_or_path", std::string());
  if (name.empty()) name = std::filesystem::path(path).parent_path().filename().string();
  if (name.empty()) name = std::filesystem::path(path).stem().string();
  s.name = name;
  s.display_name = name;
  s.source = fmt::format("Hugging Face config {} (model_type {})", path, type);
  s.is_gated_ffn = true;
  auto take = [](Result<int> v, int* dest) -> Result<void> {
    GPUPLAN_TRY(v);
    *dest = *v;
    return Ok{};
  };
  GPUPLAN_TRY(take(r.Int("num_hidden_layers"), &s.num_layers));
  GPUPLAN_TRY(take(r.Int("hidden_size"), &s.hidden));
  GPUPLAN_TRY(take(r.Int("num_attention_heads"), &s.num_heads));
  GPUPLAN_TRY(take(r.Int("num_key_value_heads", s.num_heads), &s.num_kv_heads));
  GPUPLAN_TRY(take(r.Int("head_dim", 0), &s.head_dim));
  GPUPLAN_TRY(take(r.Int("vocab_size"), &s.vocab));
  const bool is_gemma = type.rfind("gemma", 0) == 0;
  auto tied = r.Bool("tie_word_embeddings", is_gemma);
  GPUPLAN_TRY(tied);
  s.has_tied_embeddings = *tied;
  if (s.head_dim > 0 && s.num_heads > 0 && s.head_dim * s.num_heads == s.hidden) s.head_dim = 0;
  MoeShape& m = s.moe;
  if (type == "mixtral") {
    GPUPLAN_TRY(take(r.Int("intermediate_size"), &s.ffn_hidden));
    GPUPLAN_TRY(take(r.Int("num_local_experts"), &m.num_experts));
    GPUPLAN_TRY(take(r.Int("num_experts_per_tok"), &m.experts_per_token));
    m.expert_ffn_hidden = s.ffn_hidden;
  } else if (type == "qwen2_moe" || type == "qwen3_moe") {
    GPUPLAN_TRY(take(r.Int("intermediate_size", 0), &s.ffn_hidden));
    GPUPLAN_TRY(take(r.Int("num_experts"), &m.num_experts));
    GPUPLAN_TRY(take(r.Int("num_experts_per_tok"), &m.experts_per_token));
    GPUPLAN_TRY(take(r.Int("moe_intermediate_size"), &m.expert_ffn_hidden));
    int shared = 0;
    GPUPLAN_TRY(take(r.Int("shared_expert_intermediate_size", 0), &shared));
    if (shared > 0) {
      m.num_shared_experts = 1;
      m.shared_expert_ffn_hidden = shared;
    }
    const auto it = cfg->find("mlp_only_layers");
    if (it != cfg->end() && it->is_array()) m.num_dense_layers = int(it->size());
    int step = 1;
    GPUPLAN_TRY(take(r.Int("decoder_sparse_step", 1), &step));
    if (step > 1) m.num_dense_layers = s.num_layers - s.num_layers / step;
  } else if (type == "deepseek_v2" || type == "deepseek_v3") {
    GPUPLAN_TRY(take(r.Int("intermediate_size"), &s.ffn_hidden));
    GPUPLAN_TRY(take(r.Int("n_routed_experts", 0), &m.num_experts));
    if (m.num_experts > 0) {
      GPUPLAN_TRY(take(r.Int("num_experts_per_tok"), &m.experts_per_token));
      GPUPLAN_TRY(take(r.Int("n_shared_experts", 0), &m.num_shared_experts));
      GPUPLAN_TRY(take(r.Int("moe_intermediate_size"), &m.expert_ffn_hidden));
      GPUPLAN_TRY(take(r.Int("first_k_dense_replace", 0), &m.num_dense_layers));
    }
    if (type == "deepseek_v3") GPUPLAN_TRY(take(r.Int("topk_group", 0), &m.max_nodes_per_token));
    MlaShape& a = s.mla;
    GPUPLAN_TRY(take(r.Int("q_lora_rank", 0), &a.q_lora_rank));
    GPUPLAN_TRY(take(r.Int("kv_lora_rank"), &a.kv_lora_rank));
    GPUPLAN_TRY(take(r.Int("qk_nope_head_dim"), &a.qk_nope_head_dim));
    GPUPLAN_TRY(take(r.Int("qk_rope_head_dim"), &a.qk_rope_head_dim));
    GPUPLAN_TRY(take(r.Int("v_head_dim"), &a.v_head_dim));
    s.num_kv_heads = 0;  // MLA: no GQA groups
    s.head_dim = 0;
  } else if (type == "llama4" || type == "llama4_text") {
    int dense_ffn = 0, step = 1;
    GPUPLAN_TRY(take(r.Int("intermediate_size"), &m.expert_ffn_hidden));
    GPUPLAN_TRY(take(r.Int("intermediate_size_mlp", m.expert_ffn_hidden), &dense_ffn));
    GPUPLAN_TRY(take(r.Int("num_local_experts"), &m.num_experts));
    GPUPLAN_TRY(take(r.Int("num_experts_per_tok"), &m.experts_per_token));
    GPUPLAN_TRY(take(r.Int("interleave_moe_layer_step", 1), &step));
    s.ffn_hidden = dense_ffn;
    m.num_shared_experts = 1;  // Llama 4 MoE layers add one shared expert of the expert width
    // Every step-th layer is MoE; the count does not depend on where the dense ones sit.
    if (step > 1) m.num_dense_layers = s.num_layers - s.num_layers / step;
    // RoPE layers attend within chunks of attention_chunk_size tokens; no_rope_layers marks the
    // NoPE layers (0) that attend to the whole context.
    GPUPLAN_TRY(take(r.Int("attention_chunk_size", 0), &s.attention_chunk));
    const auto nope = cfg->find("no_rope_layers");
    if (s.attention_chunk > 0 && nope != cfg->end() && nope->is_array()) {
      s.num_global_attention_layers =
          int(std::count_if(nope->begin(), nope->end(), [](const auto& v) { return v == 0; }));
    }
  } else {
    GPUPLAN_TRY(take(r.Int("intermediate_size"), &s.ffn_hidden));
  }
  if (m.num_experts == 0) m = MoeShape{};
  int max_pos = 0;
  GPUPLAN_TRY(take(r.Int("max_position_embeddings", 0), &max_pos));
  s.notes.push_back(fmt::format(
      "read from {} ({}); its max_position_embeddings {} is the longest context, not the "
      "pre-training one: give --seq",
      path, type, max_pos));
  GPUPLAN_TRY(Validate(s, path));
  return s;
}

Result<ModelShape> LoadHfConfig(const std::string& path) {
  auto text = ReadFile(path, 1 << 22);
  GPUPLAN_TRY(text);
  return ParseHfConfig(*text, path);
}

}  // namespace gpuplan::model
