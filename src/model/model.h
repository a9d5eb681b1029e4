// model: transformer LLM shapes (dense, GQA, MoE, MLA), parameter counts and FLOPs computed from
// the shape, and the presets in data/models/*.toml. Sizing (training and serving) builds on it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "units/units.h"

namespace gpuplan::model {

// Multi-head latent attention (DeepSeek-V2/V3): low-rank Q and KV projections. All zero: not MLA.
struct MlaShape {
  int q_lora_rank = 0;   // 0: Q is a full projection
  int kv_lora_rank = 0;  // > 0 marks the model as MLA
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

// Mixture of experts. num_experts == 0: a dense model.
struct MoeShape {
  int num_experts = 0;         // routed experts per MoE layer
  int experts_per_token = 0;   // routed experts each token visits (top-k)
  int num_shared_experts = 0;  // always-on experts (DeepSeek)
  int num_dense_layers = 0;    // leading layers with a dense FFN instead of experts
  int expert_ffn_hidden = 0;   // intermediate size of one expert
  // Intermediate size of each shared expert; 0: expert_ffn_hidden (DeepSeek). Qwen2-MoE's shared
  // expert is wider than its routed ones (config.json shared_expert_intermediate_size).
  int shared_expert_ffn_hidden = 0;
  // Node-limited routing: each token's routed experts lie on at most this many nodes, and the
  // dispatch crosses the scale-out network once per target node (DeepSeek-V3, arXiv:2412.19437
  // sec. 2.1.2 and 3.2.2: at most 4 nodes). 0: unlimited (plain top-k routing).
  int max_nodes_per_token = 0;
};

// One decoder-only transformer. Fields left 0 take the usual default (see Validate()).
struct ModelShape {
  std::string name;          // preset id, e.g. "llama3-70b"
  std::string display_name;  // "Llama 3 70B"
  std::string source;        // where the shape comes from
  int num_layers = 0;
  int hidden = 0;
  int num_heads = 0;
  int num_kv_heads = 0;       // 0: = num_heads (MHA); fewer: GQA
  int head_dim = 0;           // 0: hidden / num_heads
  int ffn_hidden = 0;         // dense FFN intermediate size; 0: 4 * hidden
  bool is_gated_ffn = false;  // SwiGLU/GeGLU: three FFN matrices instead of two
  int vocab = 0;
  bool has_tied_embeddings = false;
  bool has_bias = false;            // GPT-3/OPT/BLOOM-style biases on linear layers
  int num_learned_positions = 0;    // learned absolute position table; 0: RoPE/ALiBi
  bool has_embedding_norm = false;  // a LayerNorm right after the embedding (BLOOM)
  int train_seq_len = 0;            // training context of the published model; 0: unknown
  // Chunked local attention (Llama 4's interleaved RoPE layers): a layer attends only to the
  // earlier tokens of its own aligned chunk of attention_chunk tokens, except the
  // num_global_attention_layers layers that attend to the whole context (Llama 4's NoPE layers,
  // config.json no_rope_layers). 0: every layer attends to the whole context. FLOP and parameter
  // counts ignore it (training runs short sequences); serving's attention cost uses it.
  int attention_chunk = 0;
  int num_global_attention_layers = 0;
  MoeShape moe;
  MlaShape mla;
  double published_params = 0;         // for comparison only; 0: none
  double published_active_params = 0;  // MoE only
  std::vector<std::string> notes;      // e.g. "shape inferred from --params 70B"

  bool is_moe() const { return moe.num_experts > 0; }
  bool is_mla() const { return mla.kv_lora_rank > 0; }
  int kv_heads() const { return num_kv_heads > 0 ? num_kv_heads : num_heads; }
  int head_size() const {
    return head_dim > 0 ? head_dim : (num_heads > 0 ? hidden / num_heads : 0);
  }
  int dense_ffn() const { return ffn_hidden > 0 ? ffn_hidden : 4 * hidden; }
};

// Parameter counts, computed from the shape.
struct ParamCounts {
  double total = 0;      // every weight
  double active = 0;     // weights one token uses (= total for dense models)
  double embedding = 0;  // input embedding (+ learned positions); the output head if untied
  double attention_per_layer = 0;
  double dense_ffn_per_layer = 0;  // a dense-FFN layer's FFN
  double expert = 0;               // one expert (0 for dense models)
  double moe_layer_experts = 0;    // all routed + shared experts and the router of one MoE layer
};

// REQUIRES: Validate(shape) succeeded.
ParamCounts CountParams(const ModelShape& shape);

// Matmul FLOPs of one token's forward pass at context seq_len: 2 per active weight touched by a
// matmul (the LM head included, the input embedding lookup not) plus attention scores and values,
// 2 * 2 * seq_len * (attention width) per layer, counted non-causally as Megatron-LM (Narayanan et
// al. 2021, eq. 3) and PaLM (Chowdhery et al. 2022, app. B) do. Training = 3x this (fwd + bwd).
double ForwardFlopPerToken(const ModelShape& shape, int seq_len);
// The parts of ForwardFlopPerToken: weight matmuls only, and attention only.
double ForwardWeightFlopPerToken(const ModelShape& shape);
double ForwardAttentionFlopPerToken(const ModelShape& shape, int seq_len);

// Checks a shape's fields; `where` prefixes messages (e.g. "llama.toml").
Result<void> Validate(const ModelShape& shape, std::string_view where);

// Parses a model TOML; `path` names it in errors ("path:line: 'hidden' must be > 0, got -1").
Result<ModelShape> ParseModel(std::string_view toml_text, const std::string& path);
Result<ModelShape> LoadModel(const std::string& path);
// The folder of presets: <data>/models unless `models_dir` is given.
std::string DefaultModelsDir();
// Sorted preset ids (file stems of *.toml in models_dir).
std::vector<std::string> PresetNames(const std::string& models_dir = "");
// A preset by id, or an error listing the ids and the nearest one.
Result<ModelShape> LoadPreset(std::string_view name, const std::string& models_dir = "");
// A preset id, a path to a .toml file (anything with a '/' or ending in ".toml"), or a path to a
// Hugging Face config (ending in ".json").
Result<ModelShape> FindModel(std::string_view name_or_path, const std::string& models_dir = "");

// What the user knows about a model: a size and any dimensions (0: unknown, to be solved).
struct ShapeConstraints {
  double params = 0;         // total parameters; 0 only when layers, hidden and heads are given
  double active_params = 0;  // MoE: per-token parameters (< params); 0: dense
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0, vocab = 0;
  int experts = 0, experts_per_token = 0;
};

// Shape completion (shape_solver.cpp): given dimensions are kept; heads (head dimension 128, or
// head_dim), KV heads, FFN width, vocabulary and MoE experts / top-k / widths are solved so the
// counts match params (and active_params). `notes` says what was solved and the resulting counts.
// Errors: out-of-range sizes, and dimensions that no completion can bring to params (the message
// gives the reachable range). Every shape returned passes Validate().
Result<ModelShape> CompleteShape(const ShapeConstraints& constraints);
// CompleteShape from the size alone.
Result<ModelShape> InferShape(double params, double active_params = 0);

// A Hugging Face config.json (hf_config.cpp): Llama (incl. Llama 4 text_config), Mistral/Mixtral,
// Qwen2/2.5/3 and their MoE variants, DeepSeek-V2/V3, Gemma 1/2/3. `path` names it in errors.
Result<ModelShape> ParseHfConfig(std::string_view json_text, const std::string& path);
Result<ModelShape> LoadHfConfig(const std::string& path);

}  // namespace gpuplan::model
