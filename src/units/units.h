// units: the bottom of gpuplan's module graph. Errors (Result<T>), invariant checks,
// the seeded random source, quantity parsing ("15T", "30d") and safe file I/O.
// Every other module may include this header; it includes nothing of gpuplan's.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gpuplan {

// What went wrong, for the exit code (cli maps it: bad input 2, I/O 3, internal 1).
enum class ErrorKind {
  kBadInput,  // the user's file, flag or value: fix the input
  kIo,        // a file could not be read or written (permissions, full disk, not a file)
  kInternal,  // gpuplan erred: a bug or an unexpected library failure
};

// A user-facing error: bad input, a missing file, a flag out of range. The message is built where
// the problem is found and names file, line, field, value and expectation, lower-case, no period:
// "s.toml:14: 'hbm_gib' must be > 0, got -8".
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kBadInput;
};

// Time in SI seconds; the human units (days, hours, quarters) are converted with these only.
inline constexpr double kSecondsPerHour = 3600;
inline constexpr double kSecondsPerDay = 86400;
inline constexpr double kSecondsPerYear = 365.25 * kSecondsPerDay;
inline constexpr double kSecondsPerQuarter = kSecondsPerYear / 4;
inline constexpr double kHoursPerYear = kSecondsPerYear / kSecondsPerHour;

// Result<T>: a value or an Error, with the std::expected API subset gpuplan uses.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}  // NOLINT
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

// Returns early from the enclosing function with the error of a failed Result.
#define GPUPLAN_TRY(expr)                                 \
  do {                                                    \
    auto&& gpuplan_try_result_ = (expr);                  \
    if (!gpuplan_try_result_) return gpuplan_try_result_.error(); \
  } while (0)

// GPUPLAN_ASSIGN_OR_RETURN(lhs, expr): evaluates the Result `expr`; returns its error, or moves
// its value into `lhs` (a variable, a member, or a declaration such as `const double x`). One line
// where a reader would otherwise see declare / GPUPLAN_TRY / assign.
#define GPUPLAN_CONCAT_INNER_(a, b) a##b
#define GPUPLAN_CONCAT_(a, b) GPUPLAN_CONCAT_INNER_(a, b)
#define GPUPLAN_ASSIGN_OR_RETURN(lhs, expr) \
  GPUPLAN_ASSIGN_OR_RETURN_IMPL_(GPUPLAN_CONCAT_(gpuplan_result_, __LINE__), lhs, expr)
#define GPUPLAN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp) return tmp.error();                        \
  lhs = std::move(*tmp)

namespace detail {
// Streams a message, then aborts with file:line when destroyed. Used only by GPUPLAN_CHECK.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};
}  // namespace detail

// Broken invariants are bugs, never bad input: abort with file:line and the message.
#define GPUPLAN_CHECK(cond) \
  if (cond) {               \
  } else                    \
    ::gpuplan::detail::CheckFailure(__FILE__, __LINE__, #cond)

// A seeded, forkable random source. Draws are identical on every platform and standard
// library: only mt19937_64's raw output is used, never std:: distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  // An independent stream named `stream`: adding a consumer never shifts others' numbers.
  Rng Fork(std::string_view stream) const;
  uint64_t Next();
  double Uniform01();                         // [0, 1), 53-bit
  double Uniform(double lo, double hi);       // [lo, hi)
  uint64_t UniformInt(uint64_t n);            // [0, n), unbiased. REQUIRES: n > 0
  double Exponential(double rate);            // mean 1/rate. REQUIRES: rate > 0
  double Normal(double mean, double stddev);  // Box-Muller
  double LogNormal(double mu, double sigma);  // exp(Normal(mu, sigma))
  // Index drawn with probability proportional to weights. REQUIRES: some weight > 0.
  size_t Weighted(std::span<const double> weights);
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

uint64_t Fnv1a64(std::string_view s);
uint64_t SplitMix64(uint64_t x);

// "70B" -> 7e10, "15T" -> 1.5e13, "2.5e23", "1.8e12", "512", "8K" -> 8000 (decimal SI
// suffixes K M B/G T P, case-insensitive). `field` names the value in the error message.
Result<double> ParseQuantity(std::string_view text, std::string_view field);
// "30d", "12h", "90m", "45s", "2w", "1.5y" (365 d), a bare number is seconds.
Result<double> ParseDurationS(std::string_view text, std::string_view field);
// Formats 7e10 as "70B", 1.5e13 as "15T" (3 significant digits).
std::string FormatQuantity(double value);

// The candidate nearest to `name` by edit distance, or "" if none is reasonably close.
std::string NearestName(std::string_view name, const std::vector<std::string>& candidates);
// "unknown accelerator 'h10' (did you mean 'h100-sxm5-80gb'?); valid: a, b, c"
std::string UnknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates);

// Reads a whole file; refuses files larger than max_bytes with a clear error.
inline constexpr uint64_t kDefaultMaxFileBytes = 4ull << 30;
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kDefaultMaxFileBytes);
// Writes to path.tmp.<pid-free suffix> then renames, so no half-written output is ever left.
Result<void> WriteFileAtomic(const std::string& path, std::string_view content);

// Default folders baked in at build time (absolute), so nothing depends on the cwd.
std::string DefaultDataDir();    // <source>/data
std::string DefaultSharedDir();  // <source>/../shared

}  // namespace gpuplan
