#include "units/units.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>

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
    return Error{fmt::format("{}: expected a number such as 70B, 15T or 2.5e23, got '{}'", field,
                             Abbreviate(text))};
  }
  double mult = 1;
  if (!rest.empty()) {
    if (rest.size() != 1) {
      return Error{
          fmt::format("{}: unknown suffix '{}' in '{}' (use K, M, B, T or P)", field, rest, text)};
    }
    switch (std::toupper(static_cast<unsigned char>(rest[0]))) {
      case 'K':
        mult = 1e3;
        break;
      case 'M':
        mult = 1e6;
        break;
      case 'B':
      case 'G':
        mult = 1e9;
        break;
      case 'T':
        mult = 1e12;
        break;
      case 'P':
        mult = 1e15;
        break;
      default:
        return Error{fmt::format("{}: unknown suffix '{}' in '{}' (use K, M, B, T or P)", field,
                                 rest, text)};
    }
  }
  if (!std::isfinite(v * mult)) {
    return Error{fmt::format("{}: '{}' is too large to be a number", field, Abbreviate(text))};
  }
  return v * mult;
}

Result<double> ParseDurationS(std::string_view text, std::string_view field) {
  const std::string s = Trim(text);
  double v = 0;
  std::string rest;
  if (!ParseLeadingDouble(s, v, rest)) {
    return Error{fmt::format("{}: expected a duration such as 30d, 12h or 90m, got '{}'", field,
                             Abbreviate(text))};
  }
  double mult = 1;
  if (rest.empty() || rest == "s") {
    mult = 1;
  } else if (rest == "m" || rest == "min") {
    mult = 60;
  } else if (rest == "h") {
    mult = kSecondsPerHour;
  } else if (rest == "d") {
    mult = kSecondsPerDay;
  } else if (rest == "w") {
    mult = 7 * kSecondsPerDay;
  } else if (rest == "y") {
    mult = kSecondsPerYear;  // the Julian year of every per-year rate
  } else {
    return Error{fmt::format("{}: unknown duration unit '{}' in '{}' (use s, m, h, d, w or y)",
                             field, Abbreviate(rest), Abbreviate(text))};
  }
  const double seconds = v * mult;
  if (!(std::fabs(seconds) <= kMaxTimeS)) {
    return Error{fmt::format("{}: '{}' is longer than the limit of {:g} s (317 years)", field,
                             Abbreviate(text), kMaxTimeS)};
  }
  return seconds;
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
  const size_t max_d = std::max<size_t>(3, name.size() / 2);
  for (const auto& c : candidates) {
    // A prefix ("h100" for "h100-sxm5-80gb") is the likeliest intent. Otherwise the distance is at
    // least the difference in length: a 50 MB header column is not compared letter by letter.
    const bool prefix = c.rfind(name, 0) == 0 && !name.empty();
    const size_t gap = c.size() > name.size() ? c.size() - name.size() : name.size() - c.size();
    if (!prefix && gap > max_d) continue;
    const size_t d = prefix ? 0 : EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (best_d > max_d) return "";
  return best;
}

std::string UnknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates) {
  std::string msg = fmt::format("unknown {} '{}'", what, Abbreviate(name));
  const std::string near = NearestName(name, candidates);
  if (!near.empty()) msg += fmt::format(" (did you mean '{}'?)", near);
  msg += "; valid: ";
  for (size_t i = 0; i < candidates.size(); ++i) msg += (i ? ", " : "") + candidates[i];
  return msg;
}

std::string Abbreviate(std::string_view text) {
  if (text.size() <= kMaxQuotedChars) return std::string(text);
  return fmt::format("{}... ({} bytes)", text.substr(0, kMaxQuotedChars), text.size());
}

Result<void> CheckRange(double value, double lo, double hi, std::string_view field) {
  if (value >= lo && value <= hi) return Ok{};
  return Error{fmt::format("{} must be in [{:g}, {:g}], got {:g}", field, lo, hi, value)};
}

std::string_view FileTypeName(unsigned mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

namespace {

// Temp and lock files to remove if SIGINT, SIGTERM or SIGHUP arrives. A signal handler reaches
// only process-wide state, so this is gpuplan's one global: fixed slots of heap strings that
// their owners (TempFile, OutputLock) fill and clear; the handler only reads them.
constexpr size_t kCleanupSlots = 64;
std::atomic<char*> g_cleanup[kCleanupSlots];

extern "C" void RemoveTempFilesAndDie(int sig) {
  for (auto& slot : g_cleanup) {
    if (char* p = slot.load()) unlink(p);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallCleanupHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      sigaction(sig, nullptr, &old);
      if (old.sa_handler != SIG_DFL) continue;  // ignored (nohup) or handled by someone else
      struct sigaction sa {};
      sa.sa_handler = RemoveTempFilesAndDie;
      sigemptyset(&sa.sa_mask);
      sigaction(sig, &sa, nullptr);
    }
  });
}

// Registers `path` for removal on a signal; returns the slot, or -1 when all are taken (the
// file is then removed by its owner only).
int RegisterCleanup(const std::string& path) {
  InstallCleanupHandlers();
  char* copy = strdup(path.c_str());
  if (copy == nullptr) return -1;
  for (size_t i = 0; i < kCleanupSlots; ++i) {
    char* expected = nullptr;
    if (g_cleanup[i].compare_exchange_strong(expected, copy)) return static_cast<int>(i);
  }
  free(copy);
  return -1;
}

void UnregisterCleanup(int& slot) {
  if (slot < 0) return;
  free(g_cleanup[static_cast<size_t>(slot)].exchange(nullptr));
  slot = -1;
}

// Signals held off while a set of renames runs, so that it is never cut in two.
class BlockSignals {
 public:
  BlockSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t old_;
};

Result<void> SyncFolder(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return IoError(
        fmt::format("{}: cannot open the folder to sync it: {}", dir, std::strerror(errno)));
  }
  const int rc = fsync(fd);
  const int saved = errno;
  close(fd);
  // Some file systems refuse fsync on a folder; the rename has happened all the same.
  if (rc != 0 && saved != EINVAL && saved != EROFS) {
    return IoError(fmt::format("{}: cannot sync the folder: {}", dir, std::strerror(saved)));
  }
  return Ok{};
}

// Where an output really goes: a symlink's target (so that the link survives), else the path.
Result<std::string> ResolveOutput(const std::string& path, int depth = 0) {
  if (path.empty()) return Error{"empty output path"};
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    std::error_code ec;
    std::filesystem::path target = std::filesystem::read_symlink(path, ec);
    if (ec || depth > 16) return IoError(fmt::format("{}: cannot follow the symlink", path));
    if (target.is_relative()) target = std::filesystem::path(path).parent_path() / target;
    return ResolveOutput(target.string(), depth + 1);
  }
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return IoError(fmt::format("{}: is {}; gpuplan writes only regular files (give a file name)",
                               path, FileTypeName(st.st_mode)));
  }
  return path;
}

// A temp file beside its target, removed unless committed.
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!tmp_.empty()) unlink(tmp_.c_str());
    UnregisterCleanup(slot_);
  }

  Result<void> Write(const std::string& target, std::string_view content) {
    target_ = target;
    const std::filesystem::path p(target);
    dir_ = p.parent_path().empty() ? "." : p.parent_path().string();
    std::string name =
        (std::filesystem::path(dir_) / ("." + p.filename().string() + ".tmp.XXXXXX")).string();
    // Registered before the file exists, so no signal can leave it behind; mkostemp fills in
    // the X's of the registered copy's twin, so the slot is updated right after.
    fd_ = mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) {
      return IoError(
          fmt::format("{}: cannot create a file in {}: {}", target, dir_, std::strerror(errno)));
    }
    tmp_ = name;
    slot_ = RegisterCleanup(tmp_);
    // mkstemp makes 0600; an output gets the mode of the file it replaces, else 0666 & ~umask.
    struct stat st {};
    mode_t mode = 0;
    if (stat(target.c_str(), &st) == 0) {
      mode = st.st_mode & 07777;
    } else {
      const mode_t mask = umask(0);
      umask(mask);
      mode = 0666 & ~mask;
    }
    if (fchmod(fd_, mode) != 0) {
      return IoError(fmt::format("{}: cannot set the mode: {}", target, std::strerror(errno)));
    }
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = write(fd_, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return IoError(fmt::format("{}: write failed: {}", target,
                                   n < 0 ? std::strerror(errno) : "no progress"));
      }
      done += static_cast<size_t>(n);
    }
    if (fsync(fd_) != 0) {
      return IoError(fmt::format("{}: cannot sync: {}", target, std::strerror(errno)));
    }
    const int rc = close(fd_);
    fd_ = -1;
    if (rc != 0) {
      return IoError(fmt::format("{}: write failed on close: {}", target, std::strerror(errno)));
    }
    return Ok{};
  }

  Result<void> Commit() {
    if (rename(tmp_.c_str(), target_.c_str()) != 0) {
      return IoError(
          fmt::format("{}: cannot rename into place: {}", target_, std::strerror(errno)));
    }
    tmp_.clear();
    return Ok{};
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string target_, dir_, tmp_;
  int fd_ = -1;
  int slot_ = -1;
};

}  // namespace

void ReexecWithHugePages(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
  if (const char* off = std::getenv("GPUPLAN_HUGE_PAGES"); off && std::string_view(off) == "0") {
    return;
  }
  const char* old = std::getenv("GLIBC_TUNABLES");
  std::string tunables = old ? old : "";
  // Set already (by the user, or by this function before the exec): the loop ends here.
  if (tunables.find(kTunable) != std::string::npos) return;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  if (!std::getline(thp, mode) || mode.find("[never]") != std::string::npos) return;
  tunables += fmt::format("{}{}=1", tunables.empty() ? "" : ":", kTunable);
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // The exec failed (no /proc): run on as we are.
#else
  (void)argv;
#endif
}

void ForgetParentCleanupsAfterFork() {
  // Not freed: the strings are the parent's heap copied, and free after fork is best avoided.
  for (auto& slot : g_cleanup) slot.store(nullptr);
}

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {  // a misspelt path: the user's input (exit 2)
      return Error{fmt::format("{}: no such file", path), ErrorKind::kBadInput};
    }
    return IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return IoError(
        fmt::format("{}: is {}, not a file gpuplan can read", path, FileTypeName(st.st_mode)));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    return IoError(
        fmt::format("{}: file is {} bytes, larger than the {} byte limit", path, size, max_bytes));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string data;
  try {
    data.resize(size);
  } catch (const std::bad_alloc&) {
    close(fd);
    return IoError(fmt::format("{}: not enough memory to read {} bytes", path, size));
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, data.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (done != size) return IoError(fmt::format("{}: short read (did the file change?)", path));
  return data;
}

namespace {

struct FileView {
  const std::string& path;
  std::string_view content;
};

Result<void> WriteViewsAtomic(const std::vector<FileView>& files) {
  std::vector<std::unique_ptr<TempFile>> temps;
  for (const FileView& f : files) {
    auto target = ResolveOutput(f.path);
    if (!target) return target.error();
    temps.push_back(std::make_unique<TempFile>());
    GPUPLAN_TRY(temps.back()->Write(*target, f.content));
  }
  {
    BlockSignals hold;
    for (auto& t : temps) GPUPLAN_TRY(t->Commit());
  }
  std::vector<std::string> dirs;
  for (auto& t : temps) {
    if (std::find(dirs.begin(), dirs.end(), t->dir()) == dirs.end()) dirs.push_back(t->dir());
  }
  for (const std::string& d : dirs) GPUPLAN_TRY(SyncFolder(d));
  return Ok{};
}

}  // namespace

Result<void> WriteFilesAtomic(const std::vector<FileContent>& files) {
  std::vector<FileView> views;
  views.reserve(files.size());
  for (const FileContent& f : files) views.push_back({f.path, f.content});
  return WriteViewsAtomic(views);
}

Result<void> WriteFileAtomic(const std::string& path, std::string_view content) {
  return WriteViewsAtomic({FileView{path, content}});
}

Result<void> CheckOutputs(const std::vector<NamedPath>& outputs,
                          const std::vector<NamedPath>& inputs) {
  struct Id {
    const NamedPath* named;
    bool exists;
    struct stat st;
    std::string normal;
  };
  auto id_of = [](const NamedPath& p) {
    Id id{&p, false, {}, {}};
    id.exists = stat(p.path.c_str(), &id.st) == 0;
    std::error_code ec;
    id.normal = std::filesystem::weakly_canonical(p.path, ec).string();
    if (ec) id.normal = std::filesystem::absolute(p.path, ec).lexically_normal().string();
    return id;
  };
  auto same = [](const Id& a, const Id& b) {
    return (a.exists && b.exists && a.st.st_dev == b.st.st_dev && a.st.st_ino == b.st.st_ino) ||
           a.normal == b.normal;
  };
  std::vector<Id> ins, outs;
  for (const NamedPath& p : inputs) {
    if (!p.path.empty()) ins.push_back(id_of(p));
  }
  for (const NamedPath& p : outputs) {
    if (p.path.empty()) continue;
    Id o = id_of(p);
    for (const Id& i : ins) {
      if (same(o, i)) {
        return Error{fmt::format(
            "{} '{}' is also the input {} '{}': writing it would destroy the input; choose "
            "another output",
            p.flag, p.path, i.named->flag, i.named->path)};
      }
    }
    for (const Id& prev : outs) {
      if (same(o, prev)) {
        return Error{fmt::format("{} and {} name the same file '{}'; give each its own",
                                 prev.named->flag, p.flag, p.path)};
      }
    }
    if (o.exists && !S_ISREG(o.st.st_mode)) {
      return IoError(fmt::format("{} '{}' is {}; gpuplan writes only regular files", p.flag, p.path,
                                 FileTypeName(o.st.st_mode)));
    }
    outs.push_back(std::move(o));
  }
  return Ok{};
}

ScratchFile::~ScratchFile() {
  if (!path_.empty()) unlink(path_.c_str());
  UnregisterCleanup(slot_);
}

Result<std::unique_ptr<ScratchFile>> ScratchFile::Create(const std::string& target) {
  const std::filesystem::path p(target);
  const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string name =
      (std::filesystem::path(dir) / ("." + p.filename().string() + ".scratch.XXXXXX")).string();
  const int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return IoError(
        fmt::format("{}: cannot create a file in {}: {}", target, dir, std::strerror(errno)));
  }
  close(fd);
  auto f = std::make_unique<ScratchFile>();
  f->path_ = name;
  f->slot_ = RegisterCleanup(name);
  return f;
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      slot_(std::exchange(other.slot_, -1)),
      lock_path_(std::move(other.lock_path_)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    slot_ = std::exchange(other.slot_, -1);
    lock_path_ = std::move(other.lock_path_);
  }
  return *this;
}

OutputLock::~OutputLock() { Release(); }

void OutputLock::Release() {
  if (fd_ < 0) return;
  // Unlinked while still held: a waiter that opened the old file finds, once it has the lock,
  // that the path names another inode (or none) and tries again.
  unlink(lock_path_.c_str());
  close(fd_);
  fd_ = -1;
  UnregisterCleanup(slot_);
}

Result<OutputLock> OutputLock::Acquire(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec).lexically_normal();
  std::filesystem::path name = p.filename();
  std::filesystem::path dir = p.parent_path();
  if (name.empty()) {  // "out/": the folder itself
    name = dir.filename();
    dir = dir.parent_path();
  }
  if (name.empty()) name = "root";
  OutputLock lock;
  lock.lock_path_ = (dir / ("." + name.string() + ".lock")).string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = open(lock.lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      return IoError(fmt::format("{}: cannot create the lock file {}: {}", path, lock.lock_path_,
                                 std::strerror(errno)));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int saved = errno;
      close(fd);
      if (saved == EWOULDBLOCK) {
        return IoError(fmt::format(
            "{}: another gpuplan run is writing this output (lock {}); wait for it to finish "
            "or choose another output",
            path, lock.lock_path_));
      }
      return IoError(
          fmt::format("{}: cannot lock {}: {}", path, lock.lock_path_, std::strerror(saved)));
    }
    struct stat held {
    }, now{};
    if (fstat(fd, &held) == 0 && stat(lock.lock_path_.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
      lock.fd_ = fd;
      lock.slot_ = RegisterCleanup(lock.lock_path_);
      return lock;
    }
    close(fd);  // its holder released and removed it between our open and flock: again
  }
  return IoError(fmt::format("{}: cannot settle the lock {}", path, lock.lock_path_));
}

Result<std::vector<OutputLock>> LockOutputs(const std::vector<std::string>& paths) {
  std::vector<OutputLock> locks;
  for (const std::string& p : paths) {
    if (p.empty()) continue;
    auto lock = OutputLock::Acquire(p);
    if (!lock) return lock.error();
    locks.push_back(std::move(*lock));
  }
  return locks;
}

std::string DefaultDataDir() { return GPUPLAN_DATA_DIR; }
std::string DefaultSharedDir() { return GPUPLAN_SHARED_DIR; }

}  // namespace gpuplan
