#include "units/units.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

namespace gpuplan {

namespace detail {
CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << file << ":" << line << ": internal error: check failed: " << condition << " ";
}
CheckFailure::~CheckFailure() {
  std::cerr << stream_.str() << std::endl;
  std::abort();
}
}  // namespace detail

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

Rng::Rng(uint64_t seed) : seed_(seed), engine_(SplitMix64(seed)) {}

Rng Rng::Fork(std::string_view stream) const { return Rng(SplitMix64(seed_ ^ Fnv1a64(stream))); }

uint64_t Rng::Next() { return engine_(); }

double Rng::Uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }

uint64_t Rng::UniformInt(uint64_t n) {
  GPUPLAN_CHECK(n > 0) << "UniformInt(0)";
  // Rejection sampling on the largest multiple of n: unbiased and portable.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = engine_();
  } while (x >= limit);
  return x % n;
}

double Rng::Exponential(double rate) {
  GPUPLAN_CHECK(rate > 0) << "rate " << rate;
  // 1 - U is in (0, 1], so the log is finite.
  return -std::log(1.0 - Uniform01()) / rate;
}

double Rng::Normal(double mean, double stddev) {
  const double u1 = 1.0 - Uniform01();
  const double u2 = Uniform01();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double Rng::LogNormal(double mu, double sigma) { return std::exp(Normal(mu, sigma)); }

size_t Rng::Weighted(std::span<const double> weights) {
  double total = 0;
  for (double w : weights) total += std::max(0.0, w);
  GPUPLAN_CHECK(total > 0) << "all weights are zero";
  double x = Uniform01() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double w = std::max(0.0, weights[i]);
    if (x < w) return i;
    x -= w;
  }
  for (size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) return i;
  }
  return 0;
}

namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Parses a leading floating-point number; returns the rest in `rest`.
bool ParseLeadingDouble(const std::string& s, double& value, std::string& rest) {
  if (s.empty()) return false;
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  value = std::strtod(begin, &end);
  if (end == begin || errno == ERANGE) return false;
  // strtod accepts "inf", "nan" and hex floats: none is a quantity.
  if (!std::isfinite(value)) return false;
  std::string_view head(begin, static_cast<size_t>(end - begin));
  if (head.find_first_of("xXnN") != std::string_view::npos) return false;
  rest = Trim(std::string_view(end));
  return true;
}

}  // namespace

Result<double> ParseQuantity(std::string_view text, std::string_view field) {
  const std::string s = Trim(text);
  double v = 0;
  std::string rest;
  if (!ParseLeadingDouble(s, v, rest)) {
    return Error{fmt::format("{}: expected a number such as 70B, 15T or 2.5e23, got '{}'",
                             field, text)};
  }
  double mult = 1;
  if (!rest.empty()) {
    if (rest.size() != 1) {
      return Error{fmt::format("{}: unknown suffix '{}' in '{}' (use K, M, B, T or P)", field,
                               rest, text)};
    }
    switch (std::toupper(static_cast<unsigned char>(rest[0]))) {
      case 'K': mult = 1e3; break;
      case 'M': mult = 1e6; break;
      case 'B':
      case 'G': mult = 1e9; break;
      case 'T': mult = 1e12; break;
      case 'P': mult = 1e15; break;
      default:
        return Error{fmt::format("{}: unknown suffix '{}' in '{}' (use K, M, B, T or P)", field,
                                 rest, text)};
    }
  }
  return v * mult;
}

Result<double> ParseDurationS(std::string_view text, std::string_view field) {
  const std::string s = Trim(text);
  double v = 0;
  std::string rest;
  if (!ParseLeadingDouble(s, v, rest)) {
    return Error{fmt::format("{}: expected a duration such as 30d, 12h or 90m, got '{}'", field,
                             text)};
  }
  double mult = 1;
  if (rest.empty() || rest == "s") {
    mult = 1;
  } else if (rest == "m" || rest == "min") {
    mult = 60;
  } else if (rest == "h") {
    mult = 3600;
  } else if (rest == "d") {
    mult = 86400;
  } else if (rest == "w") {
    mult = 7 * 86400;
  } else if (rest == "y") {
    mult = 365 * 86400.0;
  } else {
    return Error{fmt::format("{}: unknown duration unit '{}' in '{}' (use s, m, h, d, w or y)",
                             field, rest, text)};
  }
  return v * mult;
}

std::string FormatQuantity(double value) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kSuffixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  for (const auto& s : kSuffixes) {
    if (std::fabs(value) >= s.scale) return fmt::format("{:.3g}{}", value / s.scale, s.suffix);
  }
  return fmt::format("{:.3g}", value);
}

namespace {
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string NearestName(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    // A prefix ("h100" for "h100-sxm5-80gb") is the likeliest intent.
    size_t d = c.rfind(name, 0) == 0 && !name.empty() ? 0 : EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (best_d > std::max<size_t>(3, name.size() / 2)) return "";
  return best;
}

std::string UnknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates) {
  std::string msg = fmt::format("unknown {} '{}'", what, name);
  const std::string near = NearestName(name, candidates);
  if (!near.empty()) msg += fmt::format(" (did you mean '{}'?)", near);
  msg += "; valid: ";
  for (size_t i = 0; i < candidates.size(); ++i) msg += (i ? ", " : "") + candidates[i];
  return msg;
}

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error{fmt::format("{}: no such file", path)};
  }
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Error{fmt::format("{}: cannot read: {}", path, ec.message())};
  if (size > max_bytes) {
    return Error{fmt::format("{}: file is {} bytes, larger than the {} byte limit", path, size,
                             max_bytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open for reading", path)};
  std::string data(size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    return Error{fmt::format("{}: short read", path)};
  }
  return data;
}

Result<void> WriteFileAtomic(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{fmt::format("{}: cannot open for writing", tmp)};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return Error{fmt::format("{}: write failed", tmp)};
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Error{fmt::format("{}: cannot rename into place", path)};
  }
  return Ok{};
}

std::string DefaultDataDir() { return GPUPLAN_DATA_DIR; }
std::string DefaultSharedDir() { return GPUPLAN_SHARED_DIR; }

}  // namespace gpuplan
