// units: the bottom of gpuplan's module graph. Errors (Result<T>), invariant checks,
// the seeded random source, quantity parsing ("15T", "30d") and safe file I/O.
// Every other module may include this header; it includes nothing of gpuplan's.
#pragma once

#include <cstdint>
#include <memory>
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
inline Error IoError(std::string message) { return Error{std::move(message), ErrorKind::kIo}; }

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
  Result(Ok) {}                                                  // NOLINT
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

// Returns early from the enclosing function with the error of a failed Result.
#define GPUPLAN_TRY(expr)                                         \
  do {                                                            \
    auto&& gpuplan_try_result_ = (expr);                          \
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

// Hard limits (README "Limits"). Inputs past them are refused with an error that names the
// limit; they keep the int64 microsecond clock, memory and run time bounded.
inline constexpr uint64_t kDefaultMaxFileBytes = 4ull << 30;  // any one input file
inline constexpr double kMaxTimeS = 1e10;        // ~317 years: any time or duration read
inline constexpr int64_t kMaxJobs = 50'000'000;  // jobs in a trace (read or generated)
inline constexpr int64_t kMaxTenants = 1'000'000;
inline constexpr int64_t kMaxNodes = 1'000'000;       // nodes in a simulated cluster
inline constexpr int64_t kMaxGpus = 16'000'000;       // GPUs in a simulated cluster
inline constexpr int64_t kMaxEvents = 2'000'000'000;  // events of one simulation
inline constexpr int64_t kMaxTimelineRows = 10'000'000;
inline constexpr size_t kMaxQuotedChars = 200;  // of a user's text quoted in a message

// `text` cut to kMaxQuotedChars with "... (N bytes)" appended, for messages.
std::string Abbreviate(std::string_view text);

// Error unless lo <= value <= hi: "<field> must be in [lo, hi], got <value>".
Result<void> CheckRange(double value, double lo, double hi, std::string_view field);

// "a directory", "a FIFO (named pipe)", ...: what a stat mode is, for "is X, not a file" errors.
std::string_view FileTypeName(unsigned mode);

// Reads a whole file; refuses files larger than max_bytes, directories, FIFOs and devices with a
// clear error (kIo); a path that does not exist is bad input (kBadInput).
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kDefaultMaxFileBytes);

// Writes as a state saver does: a unique temp file in the target folder (mkstemp), fsync of the
// file, rename over `path`, fsync of the folder; the temp file is removed on error and on
// SIGINT/SIGTERM. A symlink is followed (its target is replaced); an existing `path` that is not
// a regular file (a directory, a device such as /dev/stdout, a FIFO) is refused (kIo). Readers
// see the old or the new file, never a part.
Result<void> WriteFileAtomic(const std::string& path, std::string_view content);
// Writes several files so that they appear together: every temp file is written and synced
// first, then all are renamed with SIGINT/SIGTERM held off, so a signal, an error or a full disk
// leaves all old files or all new ones (only a power cut between two renames could split them).
struct FileContent {
  std::string path;
  std::string content;  // owned: a view of a temporary was freed memory by the time of writing
};
Result<void> WriteFilesAtomic(const std::vector<FileContent>& files);

// A path given by a flag, for the output checks below.
struct NamedPath {
  std::string flag;  // "--jobs"
  std::string path;
};
// Error (kBadInput) if an output is also an input or another output (same file, by device and
// inode, or the same path), or (kIo) if an existing output is not a regular file.
Result<void> CheckOutputs(const std::vector<NamedPath>& outputs,
                          const std::vector<NamedPath>& inputs);

// An exclusive lock on an output path, held while a command runs, so two runs never write the
// same output at once: the second fails at once (kIo) naming the path. The lock is a file
// "<folder>/.<name>.lock" beside the output, removed on release and on SIGINT/SIGTERM.
class OutputLock {
 public:
  OutputLock() = default;
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();
  static Result<OutputLock> Acquire(const std::string& path);

 private:
  void Release();
  int fd_ = -1;
  int slot_ = -1;
  std::string lock_path_;
};
// An empty scratch file beside `target` (".<name>.scratch.XXXXXX", mkstemp), for a library that
// writes only to a file name (COIN-OR's LP and MPS writers); removed when this goes and on
// SIGINT/SIGTERM/SIGHUP, so no fixed name is shared by two runs or left behind.
class ScratchFile {
 public:
  ScratchFile() = default;
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile();
  static Result<std::unique_ptr<ScratchFile>> Create(const std::string& target);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int slot_ = -1;
};

// For a child process right after fork(): forgets the temp and lock files the parent registered
// for removal on a signal, so a signal to the child (a sweep worker) cannot remove files that the
// parent still owns. Files the child registers afterwards are removed as usual.
void ForgetParentCleanupsAfterFork();

// Locks every non-empty path in `paths` (all or none).
Result<std::vector<OutputLock>> LockOutputs(const std::vector<std::string>& paths);

// For main(): runs the program again (execv of /proc/self/exe, same arguments) with glibc's
// malloc backing its memory with transparent huge pages (GLIBC_TUNABLES glibc.malloc.hugetlb=1),
// unless the environment already sets that tunable, GPUPLAN_HUGE_PAGES=0, or the kernel has
// huge pages off. A tunable is read only at start-up, hence the exec. On the 1M-job bench this
// took fifo from 812-1087 ms to 646-684 (minor faults 84k to 5k in the whole process; each costs
// microseconds on a VM, and the scans' random reads miss the TLB less). Returns only when it
// does not re-run.
void ReexecWithHugePages(char** argv);

// Default folders baked in at build time (absolute), so nothing depends on the cwd.
std::string DefaultDataDir();    // <source>/data
std::string DefaultSharedDir();  // <source>/../shared

}  // namespace gpuplan
