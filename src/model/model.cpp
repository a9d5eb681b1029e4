// Parameter counts and FLOPs from a decoder-only transformer's shape.
//
// Per layer (hidden h, heads n_h of size d, kv heads n_kv, FFN width f):
//   (1) attention, standard/GQA: h*n_h*d (Q) + 2*h*n_kv*d (K, V) + n_h*d*h (O)
//   (2) attention, MLA (DeepSeek-V2 paper, sec. 2.1, eqs. 1-11): h*r_q + r_q*n_h*(d_nope+d_rope)
//       + h*(r_kv+d_rope) + r_kv*n_h*(d_nope+d_v) + n_h*d_v*h, plus the two latent RMSNorms
//   (3) FFN: 2*h*f, or 3*h*f when gated (SwiGLU, Shazeer 2020)
//   (4) MoE layer: (E routed + S shared) experts of width f_e, each as (3), plus a router h*E
//   (5) norms: h per RMSNorm, 2h per LayerNorm (has_bias), two per layer
// Whole model: sum over layers + V*h embedding (+ V*h output head unless tied) + learned positions
// + final norm (+ BLOOM's embedding LayerNorm). Active = the same with k routed experts per token.
#include "model/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "config/config.h"

namespace gpuplan::model {

namespace {

constexpr int kMaxDim = 1 << 20;  // no real model has a dimension near a million
constexpr int kMaxLayers = 10000;

// Counts of one layer's matmul weights (no norms or biases): attention, and an FFN of width f.
double AttentionMatmulParams(const ModelShape& s) {
  const double h = s.hidden;
  if (s.is_mla()) {
    const MlaShape& m = s.mla;
    const double qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    const double q = m.q_lora_rank > 0
                         ? h * m.q_lora_rank + double(m.q_lora_rank) * s.num_heads * qk
                         : h * s.num_heads * qk;
    const double kv = h * (m.kv_lora_rank + m.qk_rope_head_dim) +
                      double(m.kv_lora_rank) * s.num_heads * (m.qk_nope_head_dim + m.v_head_dim);
    return q + kv + double(s.num_heads) * m.v_head_dim * h;
  }
  const double d = s.head_size();
  return h * s.num_heads * d * 2 + 2 * h * s.kv_heads() * d;
}

double FfnMatmulParams(const ModelShape& s, double f) {
  return (s.is_gated_ffn ? 3.0 : 2.0) * s.hidden * f;
}

double NormParams(const ModelShape& s) { return s.has_bias ? 2.0 * s.hidden : s.hidden; }

double AttentionExtraParams(const ModelShape& s) {
  double extra = 2 * NormParams(s);  // (5)
  if (s.is_mla()) extra += s.mla.q_lora_rank + s.mla.kv_lora_rank;
  if (s.has_bias)
    extra += double(s.num_heads) * s.head_size() + 2.0 * s.kv_heads() * s.head_size() + s.hidden;
  return extra;
}

double FfnBiasParams(const ModelShape& s, double f) {
  return s.has_bias ? (s.is_gated_ffn ? 2 * f : f) + s.hidden : 0;
}

}  // namespace

ParamCounts CountParams(const ModelShape& s) {
  ParamCounts c;
  const double h = s.hidden;
  c.attention_per_layer = AttentionMatmulParams(s) + AttentionExtraParams(s);  // (1), (2), (5)
  const double f = s.dense_ffn();
  c.dense_ffn_per_layer = FfnMatmulParams(s, f) + FfnBiasParams(s, f);  // (3)
  c.embedding = double(s.vocab) * h + double(s.num_learned_positions) * h;
  const double head = s.has_tied_embeddings ? 0 : double(s.vocab) * h;
  const double final_norms = NormParams(s) + (s.has_embedding_norm ? 2 * h : 0);
  double total = c.embedding + head + final_norms + s.num_layers * c.attention_per_layer;
  double active = total;
  if (s.is_moe()) {
    const double fe = s.moe.expert_ffn_hidden;
    c.expert = FfnMatmulParams(s, fe) + FfnBiasParams(s, fe);
    const double router = h * s.moe.num_experts;
    const double fs = s.moe.shared_expert_ffn_hidden > 0 ? s.moe.shared_expert_ffn_hidden : fe;
    const double shared =
        s.moe.num_shared_experts * (FfnMatmulParams(s, fs) + FfnBiasParams(s, fs));
    c.moe_layer_experts = s.moe.num_experts * c.expert + shared + router;  // (4)
    const double active_moe = s.moe.experts_per_token * c.expert + shared + router;
    const int num_moe_layers = s.num_layers - s.moe.num_dense_layers;
    total += s.moe.num_dense_layers * c.dense_ffn_per_layer + num_moe_layers * c.moe_layer_experts;
    active += s.moe.num_dense_layers * c.dense_ffn_per_layer + num_moe_layers * active_moe;
  } else {
    total += s.num_layers * c.dense_ffn_per_layer;
    active = total;
  }
  c.total = total;
  c.active = active;
  if (c.embedding + head == 0) c.embedding = 0;
  c.embedding += head;
  return c;
}

double ForwardWeightFlopPerToken(const ModelShape& s) {
  double per_layer_attn = AttentionMatmulParams(s);
  double matmul = s.num_layers * per_layer_attn;
  if (s.is_moe()) {
    const double fe = s.moe.expert_ffn_hidden;
    const double fs = s.moe.shared_expert_ffn_hidden > 0 ? s.moe.shared_expert_ffn_hidden : fe;
    const double active_moe = s.moe.experts_per_token * FfnMatmulParams(s, fe) +
                              s.moe.num_shared_experts * FfnMatmulParams(s, fs) +
                              double(s.hidden) * s.moe.num_experts;
    matmul += s.moe.num_dense_layers * FfnMatmulParams(s, s.dense_ffn()) +
              (s.num_layers - s.moe.num_dense_layers) * active_moe;
  } else {
    matmul += s.num_layers * FfnMatmulParams(s, s.dense_ffn());
  }
  matmul += double(s.vocab) * s.hidden;  // the LM head (tied or not, it is a matmul)
  return 2 * matmul;
}

double ForwardAttentionFlopPerToken(const ModelShape& s, int seq_len) {
  double qk_width = 0, v_width = 0;
  if (s.is_mla()) {
    qk_width = double(s.num_heads) * (s.mla.qk_nope_head_dim + s.mla.qk_rope_head_dim);
    v_width = double(s.num_heads) * s.mla.v_head_dim;
  } else {
    qk_width = v_width = double(s.num_heads) * s.head_size();
  }
  // QK^T and softmax(QK^T)V: 2 FLOP per multiply-add, seq_len keys per query.
  return s.num_layers * 2.0 * seq_len * (qk_width + v_width);
}

double ForwardFlopPerToken(const ModelShape& s, int seq_len) {
  return ForwardWeightFlopPerToken(s) + ForwardAttentionFlopPerToken(s, seq_len);
}

namespace {

// Validate, with `where(field)` naming the file and line of a field (or the shape as a whole).
Result<void> ValidateAt(const ModelShape& s,
                        const std::function<std::string(std::string_view)>& where) {
  auto positive = [&](std::string_view field, double v, double max) -> Result<void> {
    if (!(v > 0) || v > max) {
      return Error{
          fmt::format("{}: '{}' must be between 1 and {}, got {}", where(field), field, max, v)};
    }
    return Ok{};
  };
  GPUPLAN_TRY(positive("layers", s.num_layers, kMaxLayers));
  GPUPLAN_TRY(positive("hidden", s.hidden, kMaxDim));
  GPUPLAN_TRY(positive("heads", s.num_heads, kMaxDim));
  GPUPLAN_TRY(positive("vocab", s.vocab, 1e8));
  if (s.num_kv_heads < 0 || s.num_kv_heads > s.num_heads || s.num_heads % s.kv_heads() != 0) {
    return Error{fmt::format("{}: 'kv_heads' must divide 'heads' ({}), got {}", where("kv_heads"),
                             s.num_heads, s.num_kv_heads)};
  }
  if (s.head_dim < 0 || s.head_dim > kMaxDim || s.ffn_hidden < 0 || s.ffn_hidden > kMaxDim ||
      s.num_learned_positions < 0 || s.train_seq_len < 0) {
    return Error{
        fmt::format("{}: 'head_dim', 'ffn_hidden', 'learned_positions' and 'seq_len' "
                    "must be >= 0",
                    where(""))};
  }
  if (s.head_dim == 0 && !s.is_mla() && s.hidden % s.num_heads != 0) {
    return Error{fmt::format("{}: 'heads' ({}) must divide 'hidden' ({}) unless 'head_dim' is set",
                             where("heads"), s.num_heads, s.hidden)};
  }
  if (s.attention_chunk < 0 || s.num_global_attention_layers < 0 ||
      s.num_global_attention_layers > s.num_layers) {
    return Error{fmt::format(
        "{}: 'attention_chunk' must be >= 0 and 'global_attention_layers' between 0 and 'layers' "
        "({}), got {}",
        where("global_attention_layers"), s.num_layers, s.num_global_attention_layers)};
  }
  const MoeShape& m = s.moe;
  if (m.num_experts < 0 || m.experts_per_token < 0 || m.num_shared_experts < 0 ||
      m.num_dense_layers < 0 || m.expert_ffn_hidden < 0 || m.max_nodes_per_token < 0 ||
      m.shared_expert_ffn_hidden < 0 || m.shared_expert_ffn_hidden > kMaxDim) {
    return Error{fmt::format("{}: [moe] fields must be >= 0", where("moe"))};
  }
  if (s.is_moe()) {
    if (m.experts_per_token < 1 || m.experts_per_token > m.num_experts) {
      return Error{
          fmt::format("{}: [moe] 'experts_per_token' must be between 1 and 'experts' "
                      "({}), got {}",
                      where("moe.experts_per_token"), m.num_experts, m.experts_per_token)};
    }
    GPUPLAN_TRY(positive("moe.expert_ffn_hidden", m.expert_ffn_hidden, kMaxDim));
    if (m.num_dense_layers >= s.num_layers) {
      return Error{fmt::format("{}: [moe] 'dense_layers' must be < 'layers' ({}), got {}",
                               where("moe.dense_layers"), s.num_layers, m.num_dense_layers)};
    }
  }
  const MlaShape& a = s.mla;
  if (a.kv_lora_rank < 0 || a.q_lora_rank < 0 || a.qk_nope_head_dim < 0 || a.qk_rope_head_dim < 0 ||
      a.v_head_dim < 0) {
    return Error{fmt::format("{}: [mla] fields must be >= 0", where("mla"))};
  }
  if (s.is_mla() && (a.qk_nope_head_dim + a.qk_rope_head_dim == 0 || a.v_head_dim == 0)) {
    return Error{
        fmt::format("{}: [mla] needs 'qk_nope_head_dim' or 'qk_rope_head_dim', and "
                    "'v_head_dim'",
                    where("mla"))};
  }
  return Ok{};
}

}  // namespace

Result<void> Validate(const ModelShape& s, std::string_view where) {
  return ValidateAt(s, [&](std::string_view) { return std::string(where); });
}

namespace {

using config::Table;

const std::set<std::string_view> kTopKeys = {"name",
                                             "display_name",
                                             "source",
                                             "layers",
                                             "hidden",
                                             "heads",
                                             "kv_heads",
                                             "head_dim",
                                             "ffn_hidden",
                                             "gated_ffn",
                                             "vocab",
                                             "tied_embeddings",
                                             "bias",
                                             "learned_positions",
                                             "embedding_norm",
                                             "seq_len",
                                             "attention_chunk",
                                             "global_attention_layers",
                                             "published_params",
                                             "published_active_params",
                                             "moe",
                                             "mla",
                                             "notes"};
const std::set<std::string_view> kMoeKeys = {"experts",           "experts_per_token",
                                             "shared_experts",    "dense_layers",
                                             "expert_ffn_hidden", "max_nodes_per_token"};
const std::set<std::string_view> kMlaKeys = {"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                                             "qk_rope_head_dim", "v_head_dim"};

std::vector<std::string> Names(const std::set<std::string_view>& keys) {
  return std::vector<std::string>(keys.begin(), keys.end());
}

// A dimension: a whole number in [0, kMaxDim].
Result<void> GetInt(const Table& t, std::string_view key, int* dest) {
  GPUPLAN_ASSIGN_OR_RETURN(*dest, t.Int(key, *dest, 0, kMaxDim));
  return Ok{};
}

Result<void> GetBool(const Table& t, std::string_view key, bool* dest) {
  GPUPLAN_ASSIGN_OR_RETURN(*dest, t.Bool(key, *dest));
  return Ok{};
}

}  // namespace

Result<ModelShape> ParseModel(std::string_view toml_text, const std::string& path) {
  auto doc = config::Document::Parse(toml_text, path);
  GPUPLAN_TRY(doc);
  const Table root = doc->Root();
  GPUPLAN_TRY(root.CheckKeys(Names(kTopKeys)));
  ModelShape s;
  GPUPLAN_ASSIGN_OR_RETURN(s.name, root.String("name", ""));
  GPUPLAN_ASSIGN_OR_RETURN(s.display_name, root.String("display_name", ""));
  GPUPLAN_ASSIGN_OR_RETURN(s.source, root.String("source", ""));
  for (const char* required : {"layers", "hidden", "heads", "vocab"}) {
    if (!root.Has(required)) return root.Fail("", fmt::format("missing '{}'", required));
  }
  GPUPLAN_TRY(GetInt(root, "layers", &s.num_layers));
  GPUPLAN_TRY(GetInt(root, "hidden", &s.hidden));
  GPUPLAN_TRY(GetInt(root, "heads", &s.num_heads));
  GPUPLAN_TRY(GetInt(root, "kv_heads", &s.num_kv_heads));
  GPUPLAN_TRY(GetInt(root, "head_dim", &s.head_dim));
  GPUPLAN_TRY(GetInt(root, "ffn_hidden", &s.ffn_hidden));
  GPUPLAN_TRY(GetInt(root, "vocab", &s.vocab));
  GPUPLAN_TRY(GetInt(root, "learned_positions", &s.num_learned_positions));
  GPUPLAN_TRY(GetInt(root, "seq_len", &s.train_seq_len));
  GPUPLAN_TRY(GetInt(root, "attention_chunk", &s.attention_chunk));
  GPUPLAN_TRY(GetInt(root, "global_attention_layers", &s.num_global_attention_layers));
  GPUPLAN_TRY(GetBool(root, "gated_ffn", &s.is_gated_ffn));
  GPUPLAN_TRY(GetBool(root, "tied_embeddings", &s.has_tied_embeddings));
  GPUPLAN_TRY(GetBool(root, "bias", &s.has_bias));
  GPUPLAN_TRY(GetBool(root, "embedding_norm", &s.has_embedding_norm));
  GPUPLAN_ASSIGN_OR_RETURN(s.published_params, root.Number("published_params", 0.0, 0));
  GPUPLAN_ASSIGN_OR_RETURN(s.published_active_params,
                           root.Number("published_active_params", 0.0, 0));
  GPUPLAN_ASSIGN_OR_RETURN(s.notes, root.StringList("notes"));
  auto moe = root.Subtable("moe");
  GPUPLAN_TRY(moe);
  if (*moe) {
    const Table& t = **moe;
    GPUPLAN_TRY(t.CheckKeys(Names(kMoeKeys)));
    GPUPLAN_TRY(GetInt(t, "experts", &s.moe.num_experts));
    GPUPLAN_TRY(GetInt(t, "experts_per_token", &s.moe.experts_per_token));
    GPUPLAN_TRY(GetInt(t, "shared_experts", &s.moe.num_shared_experts));
    GPUPLAN_TRY(GetInt(t, "dense_layers", &s.moe.num_dense_layers));
    GPUPLAN_TRY(GetInt(t, "expert_ffn_hidden", &s.moe.expert_ffn_hidden));
    GPUPLAN_TRY(GetInt(t, "max_nodes_per_token", &s.moe.max_nodes_per_token));
  }
  auto mla = root.Subtable("mla");
  GPUPLAN_TRY(mla);
  if (*mla) {
    const Table& t = **mla;
    GPUPLAN_TRY(t.CheckKeys(Names(kMlaKeys)));
    GPUPLAN_TRY(GetInt(t, "q_lora_rank", &s.mla.q_lora_rank));
    GPUPLAN_TRY(GetInt(t, "kv_lora_rank", &s.mla.kv_lora_rank));
    GPUPLAN_TRY(GetInt(t, "qk_nope_head_dim", &s.mla.qk_nope_head_dim));
    GPUPLAN_TRY(GetInt(t, "qk_rope_head_dim", &s.mla.qk_rope_head_dim));
    GPUPLAN_TRY(GetInt(t, "v_head_dim", &s.mla.v_head_dim));
  }
  if (s.name.empty()) s.name = std::filesystem::path(path).stem().string();
  if (s.display_name.empty()) s.display_name = s.name;
  // A shape error names the line of the field it is about ("moe.dense_layers": [moe]'s key).
  GPUPLAN_TRY(ValidateAt(s, [&](std::string_view field) {
    const size_t dot = field.find('.');
    if (dot != std::string_view::npos) {
      auto sub = root.Subtable(field.substr(0, dot));
      if (sub && *sub) return (*sub)->Where(field.substr(dot + 1));
    }
    return root.Where(field);
  }));
  return s;
}

Result<ModelShape> LoadModel(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  GPUPLAN_TRY(text);
  return ParseModel(*text, path);
}

std::string DefaultModelsDir() { return DefaultDataDir() + "/models"; }

std::vector<std::string> PresetNames(const std::string& models_dir) {
  const std::string dir = models_dir.empty() ? DefaultModelsDir() : models_dir;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<ModelShape> LoadPreset(std::string_view name, const std::string& models_dir) {
  const std::vector<std::string> names = PresetNames(models_dir);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return Error{UnknownNameMessage("model", name, names)};
  }
  const std::string dir = models_dir.empty() ? DefaultModelsDir() : models_dir;
  return LoadModel(fmt::format("{}/{}.toml", dir, name));
}

Result<ModelShape> FindModel(std::string_view name_or_path, const std::string& models_dir) {
  if (name_or_path.ends_with(".json")) return LoadHfConfig(std::string(name_or_path));
  if (name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(".toml")) {
    return LoadModel(std::string(name_or_path));
  }
  return LoadPreset(name_or_path, models_dir);
}

Result<ModelShape> InferShape(double params, double active_params) {
  return CompleteShape({.params = params, .active_params = active_params});
}

}  // namespace gpuplan::model
