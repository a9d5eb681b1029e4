// Shape completion: the dimensions a user gives are constraints, the rest are solved so the
// parameter count matches --params (and --active-params for MoE).
//
// Counts are linear in the unknowns (model.cpp (1)-(5)), so each solve is closed-form:
//   dense:  P(f, V) = P_fixed + L * g * h * f + (tied ? 1 : 2) * V * h, g = 3 (SwiGLU) -> f, or V
//           when f would leave the published range of FFN widths (small models, whose size is
//           mostly embedding: Pythia-70M is 73% embedding).
//   MoE:    per layer, active = k u + S u_s + h E and total = E u + S u_s + h E (u = g h f_e, one
//           routed expert; u_s a shared expert): with E and k chosen, u from the active count and,
//           when E/k overshoots total/active, one shared expert of width u_s absorbs the rest, so
//           both counts are met.
// Rules for what nobody gave (each documented where it is applied):
//   heads of 128 (Llama, Mistral, Qwen, GPT-3's 12288/96); 8 KV heads when they divide the heads
//   (Llama 2 70B, Llama 3, Mistral, Qwen2.5 72B); SwiGLU; vocab 128,256 (Llama 3); untied
//   embeddings; layers and hidden from the aspect ratio hidden/layers near 128 (GPT-3 175B
//   12288/96, Llama 3 405B 16384/126; Kaplan et al. 2020 fig. 5: loss is flat for 50-200); MoE
//   top-2 when total/active <= 8 (Mixtral 8x7B/8x22B, DBRX 16/4), top-8 up to 32 (DeepSeek-V3
//   256/8, Qwen3-235B 128/8), beyond that top-(256 / ratio) (Llama 4 Maverick 128/1); experts the
//   fewest power of two that reaches the total (the expert-parallel search shards by powers of
//   two).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "model/model.h"

namespace gpuplan::model {

namespace {

constexpr double kMinParams = 1e7;   // smaller than any LLM worth sizing
constexpr double kMaxParams = 1e14;  // 100T: far beyond any published model
constexpr int kMaxDim = 1 << 20;
constexpr int kMaxLayers = 10000;
constexpr int kHeadDim = 128;
constexpr int kSmallHeadDim = 64;  // GPT-2/Pythia-sized models (hidden < 1024)
constexpr int kKvHeads = 8;
constexpr int kVocab = 128256;  // Llama 3 tokenizer
constexpr int kMinVocab = 1000;
constexpr int kMaxVocab = 1000000;
constexpr double kAspect = 128;
constexpr double kDefaultFfnRatio = 3.5;  // Llama 3: 14336/4096, 28672/8192
// Published SwiGLU widths span 2.7x (Llama 2 7B 11008/4096) to 8x (Gemma 7B 24576/3072); a
// solved FFN outside [1x, 8x] means the vocabulary has to move instead.
constexpr double kMinFfnRatio = 1.0;
constexpr double kMaxFfnRatio = 8.0;
constexpr double kCoarseMoeRatio = 8;  // total/active at or below: top-2, above: top-8 ...
constexpr double kFineMoeRatio = 32;   // ... up to here; beyond, top-k with about 256 experts
constexpr double kFineMoeExperts = 256;
constexpr int kMaxExperts = 1024;
constexpr double kMoeExactTolerance = 0.005;  // no shared expert when E/k is this close
constexpr double kAcceptTolerance = 0.02;     // a completion further off is an error

int RoundTo(double x, int step) { return std::max(step, int(std::lround(x / step)) * step); }
int FfnStep(double f) { return f >= 8192 ? 128 : (f >= 1024 ? 64 : 16); }

// Heads, KV heads and head size for `hidden` (given fields kept).
Result<void> SetHeads(const ShapeConstraints& c, ModelShape* s) {
  const int h = s->hidden;
  if (c.heads > 0) {
    s->num_heads = c.heads;
    s->head_dim = c.head_dim > 0
                      ? c.head_dim
                      : (h % c.heads == 0 ? 0 : std::max(1, int(std::lround(double(h) / c.heads))));
  } else {
    const int hd = c.head_dim > 0 ? c.head_dim : (h < 1024 ? kSmallHeadDim : kHeadDim);
    s->num_heads = std::max(1, int(std::lround(double(h) / hd)));
    s->head_dim = (h % hd == 0 && h / hd == s->num_heads && c.head_dim == 0) ? 0 : hd;
  }
  if (c.kv_heads > 0) {
    if (c.kv_heads > s->num_heads || s->num_heads % c.kv_heads != 0) {
      return Error{
          fmt::format("--kv-heads ({}) must divide the heads ({})", c.kv_heads, s->num_heads)};
    }
    s->num_kv_heads = c.kv_heads;
  } else {
    int kv = std::min(kKvHeads, s->num_heads);
    while (s->num_heads % kv != 0) --kv;
    s->num_kv_heads = kv;
  }
  return Ok{};
}

ModelShape Base(const ShapeConstraints& c, int layers, int hidden) {
  ModelShape s;
  s.num_layers = layers;
  s.hidden = hidden;
  s.is_gated_ffn = true;
  s.vocab = c.vocab > 0 ? c.vocab : kVocab;
  s.ffn_hidden =
      c.ffn > 0 ? c.ffn : RoundTo(kDefaultFfnRatio * hidden, FfnStep(kDefaultFfnRatio * hidden));
  (void)SetHeads(c, &s);  // errors are reported by the final SetHeads
  return s;
}

// Count at the default FFN ratio and vocabulary: what the layer/hidden search aims with.
double DefaultCount(const ShapeConstraints& c, int layers, int hidden) {
  return CountParams(Base(c, layers, hidden)).total;
}

// Layers and hidden for `target` (dense-equivalent) params, given ones kept.
void SolveDepthAndWidth(const ShapeConstraints& c, double target, int* layers, int* hidden) {
  auto hidden_for = [&](int l, int step) {
    int lo = 1, hi = kMaxDim / step;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (DefaultCount(c, l, mid * step) < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    const int a = std::max(1, lo - 1) * step, b = lo * step;
    return std::abs(DefaultCount(c, l, a) - target) < std::abs(DefaultCount(c, l, b) - target) ? a
                                                                                               : b;
  };
  if (c.layers > 0 && c.hidden > 0) {
    *layers = c.layers;
    *hidden = c.hidden;
  } else if (c.hidden > 0) {
    const double one = DefaultCount(c, 1, c.hidden), two = DefaultCount(c, 2, c.hidden);
    const double per_layer = two - one;
    *hidden = c.hidden;
    *layers = std::clamp(int(std::lround((target - (one - per_layer)) / per_layer)), 1, kMaxLayers);
  } else if (c.layers > 0) {
    *layers = c.layers;
    *hidden = hidden_for(c.layers, 128);
  } else {
    double best = 1e300;
    // Whole groups of 8 heads of 128 above 1B (8 KV heads divide the heads), finer below.
    const int step = target >= 1e9 ? 1024 : 256;
    for (int l = 2; l <= 256; ++l) {
      const int hid = hidden_for(l, step);
      const double count_err = std::abs(DefaultCount(c, l, hid) / target - 1);
      const double aspect_err = std::abs(std::log(double(hid) / l / kAspect));
      const double err = (count_err > 0.03 ? 10 + count_err : 0) + aspect_err;
      if (err < best) {
        best = err;
        *layers = l;
        *hidden = hid;
      }
    }
  }
}

std::string Q(double v) { return FormatQuantity(v); }

// Dense FFN width (or vocabulary) so the total is `target`. Appends what it solved to `solved`.
Result<void> SolveDense(const ShapeConstraints& c, double target, ModelShape* s,
                        std::vector<std::string>* solved) {
  const double h = s->hidden;
  auto count_with = [&](int f, int vocab) {
    ModelShape t = *s;
    t.ffn_hidden = f;
    t.vocab = vocab;
    return CountParams(t).total;
  };
  const int f_min = std::max(16, int(kMinFfnRatio * h)),
            f_max = std::min(kMaxDim, int(kMaxFfnRatio * h));
  const int v_now = s->vocab;
  if (c.ffn == 0) {
    const double slope = count_with(2, v_now) - count_with(1, v_now);
    const double f = (target - (count_with(1, v_now) - slope)) / slope;
    if (f >= f_min && f <= f_max) {
      s->ffn_hidden = RoundTo(f, FfnStep(f));
      solved->push_back(fmt::format("FFN {} ({:.2f}x hidden)", s->ffn_hidden, s->ffn_hidden / h));
      return Ok{};
    }
    if (c.vocab > 0 || f > f_max) {
      const double lo = count_with(f_min, v_now), hi = count_with(f_max, v_now);
      return Error{fmt::format(
          "--params {} cannot be reached with {} layers of hidden {}: an FFN of {:.0f}-{:.0f}x "
          "hidden gives {}-{} parameters; change --layers/--hidden{}",
          Q(target), s->num_layers, s->hidden, kMinFfnRatio, kMaxFfnRatio, Q(lo), Q(hi),
          c.vocab > 0 ? " or --vocab" : "")};
    }
    // Too small for the vocabulary: keep the default FFN ratio, solve the vocabulary below.
  }
  if (c.vocab > 0) return Ok{};  // nothing left to solve: both given
  const double per_token = h * (s->has_tied_embeddings ? 1 : 2);
  double v = (target - count_with(s->ffn_hidden, 0)) / per_token;
  if (v < kMinVocab && c.ffn == 0) {
    // Even the default FFN leaves too little for a vocabulary: the narrowest FFN instead.
    const double v_narrow = (target - count_with(f_min, 0)) / per_token;
    if (v_narrow >= kMinVocab) {
      s->ffn_hidden = f_min;
      v = v_narrow;
      solved->push_back(fmt::format("FFN {} (1x hidden)", f_min));
    }
  }
  if (v < kMinVocab || v > kMaxVocab) {
    return Error{fmt::format(
        "--params {} cannot be reached with {} layers of hidden {}: with FFN {} the model has {} "
        "parameters before any vocabulary ({}-{} tokens add {}-{}); change --layers/--hidden{}",
        Q(target), s->num_layers, s->hidden, s->ffn_hidden, Q(count_with(s->ffn_hidden, 0)),
        kMinVocab, kMaxVocab, Q(kMinVocab * per_token), Q(kMaxVocab * per_token),
        c.ffn > 0 ? " or --ffn" : "")};
  }
  s->vocab = RoundTo(v, 64);
  solved->push_back(fmt::format("vocab {} (the FFN alone cannot reach the size)", s->vocab));
  return Ok{};
}

// Experts, top-k and widths so that total and active match (header comment).
Result<void> SolveMoe(const ShapeConstraints& c, ModelShape* s, std::vector<std::string>* solved) {
  const double h = s->hidden;
  ModelShape probe = *s;
  probe.ffn_hidden = 1;
  const double gate = s->is_gated_ffn ? 3 : 2;
  const double non_ffn = CountParams(probe).total - s->num_layers * gate * h;
  const double L = s->num_layers;
  const double active_layer = (c.active_params - non_ffn) / L;  // k u + S u_s + h E
  const double total_layer = (c.params - non_ffn) / L;          // E u + S u_s + h E
  if (!(active_layer > gate * h * 16)) {
    return Error{
        fmt::format("--active-params {} cannot be reached with {} layers of hidden {}: "
                    "attention and embeddings alone hold {}",
                    Q(c.active_params), s->num_layers, s->hidden, Q(non_ffn))};
  }
  const double ratio = total_layer / active_layer;
  int k = c.experts_per_token, E = c.experts;
  const bool given_k = k > 0, given_e = E > 0;
  if (!given_k && given_e) k = std::clamp(int(std::lround(E / ratio)), 1, E);
  if (!given_k && !given_e) {
    k = ratio <= kCoarseMoeRatio
            ? 2
            : (ratio <= kFineMoeRatio ? 8 : std::max(1, int(kFineMoeExperts / ratio)));
  }
  if (!given_e) {
    // The fewest experts (a power of two) whose plain top-k total reaches the target; a shared
    // expert then absorbs any overshoot.
    E = 1;
    while (E < kMaxExperts && (E < k + 1 || E * (active_layer - h * E) / k + h * E <
                                                (1 - kMoeExactTolerance) * total_layer)) {
      E *= 2;
    }
  }
  if (k > E) return Error{fmt::format("--experts-per-token ({}) must be <= --experts ({})", k, E)};
  const double router = h * E;
  double u = (active_layer - router) / k;
  int shared = 0;
  double u_shared = 0;
  const double total_if_plain = E * u + router;
  if (std::abs(total_if_plain / total_layer - 1) > kMoeExactTolerance) {
    if (total_if_plain > total_layer && E > k &&
        active_layer - router - k * (total_layer - active_layer) / (E - k) >= gate * h * 16) {
      // One shared expert takes what the routed experts overshoot (Qwen2-MoE has exactly this).
      u = (total_layer - active_layer) / (E - k);
      u_shared = active_layer - router - k * u;
      shared = 1;
    } else {
      // E/k (given) below total/active: no width meets both; least squares on the relative errors.
      const double a = k / active_layer, b = E / total_layer;
      u = (a * (1 - router / active_layer) + b * (1 - router / total_layer)) / (a * a + b * b);
    }
  }
  // Expert widths round to 16 (1 when narrower than 1024), finer than real models' 128: with 256
  // experts a step of 128 moves the total by 3%.
  auto expert_round = [](double f) { return RoundTo(f, f >= 1024 ? 16 : 1); };
  const int fe = expert_round(u / (gate * h));
  s->moe.num_experts = E;
  s->moe.experts_per_token = k;
  s->moe.expert_ffn_hidden = fe;
  s->moe.num_shared_experts = shared;
  if (shared > 0) {
    const double fs = u_shared / (gate * h);
    s->moe.shared_expert_ffn_hidden = expert_round(fs);
  }
  s->ffn_hidden = fe;  // no dense layers; kept valid
  solved->push_back(fmt::format(
      "{} experts{} (top-{}{}) of width {}{}", E, given_e ? " (given)" : "", k,
      given_k ? ", given"
              : (given_e                    ? ""
                 : ratio <= kCoarseMoeRatio ? ", coarse MoE rule"
                                            : ", fine-grained MoE rule"),
      fe,
      shared > 0 ? fmt::format(", 1 shared expert of width {}", s->moe.shared_expert_ffn_hidden)
                 : ""));
  return Ok{};
}

}  // namespace

Result<ModelShape> CompleteShape(const ShapeConstraints& c) {
  const bool has_dims = c.layers > 0 && c.hidden > 0 && c.heads > 0;
  if (c.params == 0 && !has_dims) {
    return Error{"give --params, or all of --layers, --hidden and --heads"};
  }
  if (c.params != 0 && (!(c.params >= kMinParams) || c.params > kMaxParams)) {
    return Error{fmt::format("--params must be between {} and {}, got {}", Q(kMinParams),
                             Q(kMaxParams), c.params)};
  }
  if (c.active_params < 0 || (c.params > 0 && c.active_params > c.params) ||
      (c.params == 0 && c.active_params > 0)) {
    return Error{fmt::format("--active-params must be between 0 and --params ({}), got {}",
                             Q(c.params), c.active_params)};
  }
  const bool is_moe = c.active_params > 0 && c.active_params < c.params;
  if (is_moe && c.active_params < kMinParams) {
    return Error{
        fmt::format("--active-params must be at least {}, got {}", Q(kMinParams), c.active_params)};
  }
  if (is_moe && c.ffn > 0) {
    return Error{"--ffn is a dense FFN width; for a MoE give --experts and --experts-per-token"};
  }
  if ((c.experts > 0 || c.experts_per_token > 0) && !is_moe) {
    return Error{"--experts and --experts-per-token need --params and a smaller --active-params"};
  }
  for (const auto& [name, v, max] :
       {std::tuple{"--layers", c.layers, kMaxLayers}, std::tuple{"--hidden", c.hidden, kMaxDim},
        std::tuple{"--heads", c.heads, kMaxDim}, std::tuple{"--kv-heads", c.kv_heads, kMaxDim},
        std::tuple{"--head-dim", c.head_dim, kMaxDim}, std::tuple{"--ffn", c.ffn, kMaxDim},
        std::tuple{"--vocab", c.vocab, kMaxVocab}, std::tuple{"--experts", c.experts, kMaxExperts},
        std::tuple{"--experts-per-token", c.experts_per_token, kMaxExperts}}) {
    if (v < 0 || v > max) {
      return Error{fmt::format("{} must be between 1 and {}, got {}", name, max, v)};
    }
  }
  const double dense_target = is_moe ? c.active_params : c.params;
  std::vector<std::string> solved;
  int layers = c.layers, hidden = c.hidden;
  if (c.params > 0) {
    SolveDepthAndWidth(c, dense_target, &layers, &hidden);
    if (c.layers == 0) solved.push_back(fmt::format("{} layers", layers));
    if (c.hidden == 0) solved.push_back(fmt::format("hidden {}", hidden));
  }
  ModelShape s = Base(c, layers, hidden);
  GPUPLAN_TRY(SetHeads(c, &s));
  if (c.heads == 0) {
    solved.push_back(
        fmt::format("{} heads of {} ({} KV)", s.num_heads, s.head_size(), s.kv_heads()));
  } else if (c.kv_heads == 0) {
    solved.push_back(fmt::format("{} KV heads", s.kv_heads()));
  }
  if (c.params > 0) {
    if (is_moe) {
      // The active count first settles the vocabulary as a dense model of that size would (a
      // small MoE cannot spend its active budget on a 128K-token embedding).
      const int vocab_before = s.vocab;
      std::vector<std::string> dense_solved;
      if (SolveDense(c, c.active_params, &s, &dense_solved) && s.vocab != vocab_before) {
        solved.push_back(dense_solved.back());
      }
      GPUPLAN_TRY(SolveMoe(c, &s, &solved));
    } else {
      GPUPLAN_TRY(SolveDense(c, c.params, &s, &solved));
    }
  }
  GPUPLAN_TRY(Validate(s, "completed shape"));
  const ParamCounts pc = CountParams(s);
  if (c.params > 0 && std::abs(pc.total / c.params - 1) > kAcceptTolerance) {
    return Error{
        fmt::format("--params {} cannot be reached with the given dimensions (closest: {})",
                    Q(c.params), Q(pc.total))};
  }
  if (is_moe && std::abs(pc.active / c.active_params - 1) > kAcceptTolerance) {
    return Error{
        fmt::format("--active-params {} cannot be reached with the given dimensions "
                    "(closest: {})",
                    Q(c.active_params), Q(pc.active))};
  }
  const double size = c.params > 0 ? c.params : pc.total;
  s.name = fmt::format("inferred-{}", Q(size));
  s.display_name = s.name;
  s.source = "completed from the given size and dimensions (see shape_solver.cpp)";
  s.published_params = c.params;
  if (is_moe) s.published_active_params = c.active_params;
  std::string given;
  for (const auto& [name, v] :
       {std::pair{"layers", c.layers}, std::pair{"hidden", c.hidden}, std::pair{"heads", c.heads},
        std::pair{"kv_heads", c.kv_heads}, std::pair{"head_dim", c.head_dim},
        std::pair{"ffn", c.ffn}, std::pair{"vocab", c.vocab}, std::pair{"experts", c.experts},
        std::pair{"experts_per_token", c.experts_per_token}}) {
    if (v > 0) given += fmt::format("{}{} {}", given.empty() ? "" : ", ", name, v);
  }
  std::string solved_text;
  for (const std::string& x : solved) solved_text += (solved_text.empty() ? "" : ", ") + x;
  s.notes.push_back(fmt::format(
      "shape inferred from {}{}{}: solved {}; SwiGLU, vocab {}{}; computed {} params{}",
      c.params > 0 ? "--params " + Q(c.params) : std::string("the given dimensions"),
      is_moe ? " --active-params " + Q(c.active_params) : "", given.empty() ? "" : " and " + given,
      solved_text.empty() ? "nothing" : solved_text, s.vocab,
      s.has_tied_embeddings ? " (tied)" : "", Q(pc.total),
      is_moe ? fmt::format(", {} active", Q(pc.active)) : ""));
  return s;
}

}  // namespace gpuplan::model
