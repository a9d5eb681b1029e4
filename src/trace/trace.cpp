// Common parts of the trace module: names, the Trace container, format dispatch, field parsing
// and summary statistics.
#include "trace/trace.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unordered_map>

#include "trace/csv_util.h"

namespace gpuplan::trace {

static_assert(sizeof(Job) <= 96, "Job is stored millions of times: keep it compact");

namespace detail {

LineSource::LineSource(std::string_view text) : text_(text), size_bytes_(text.size()) {}

LineSource::~LineSource() {
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<LineSource>> LineSource::Open(const std::string& path, size_t block_bytes) {
  // Opened first and checked with fstat: the file checked is the file read.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {  // a misspelt path: the user's input (exit 2)
      return Error{fmt::format("{}: no such file", path), ErrorKind::kBadInput};
    }
    return IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  std::unique_ptr<LineSource> src(new LineSource());
  src->fd_ = fd;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return IoError(
        fmt::format("{}: is {}, not a file gpuplan can read", path, FileTypeName(st.st_mode)));
  }
  src->size_bytes_ = static_cast<uint64_t>(st.st_size);
  if (src->size_bytes_ > kDefaultMaxFileBytes) {
    return IoError(fmt::format("{}: file is {} bytes, larger than the {} byte limit", path,
                               src->size_bytes_, kDefaultMaxFileBytes));
  }
  src->path_ = path;
  src->blocks_ = true;
  src->block_bytes_ = std::max<size_t>(block_bytes, 1);
  return src;
}

std::unique_ptr<LineSource> LineSource::Blocks(std::string_view text, size_t block_bytes) {
  std::unique_ptr<LineSource> src(new LineSource(text));
  src->blocks_ = true;
  src->block_bytes_ = std::max<size_t>(block_bytes, 1);
  return src;
}

Result<void> LineSource::Rewind() {
  line_number_ = 0;
  offset_ = 0;
  if (!blocks_) return Ok{};
  begin_ = end_ = scanned_ = 0;
  eof_ = false;
  read_bytes_ = 0;
  if (fd_ >= 0 && lseek(fd_, 0, SEEK_SET) != 0) {
    return IoError(fmt::format("{}: cannot read: {}", path_, std::strerror(errno)));
  }
  return Ok{};
}

// Moves the unreturned bytes to the front and reads a block after them; a line longer than the
// buffer doubles it.
Result<void> LineSource::Refill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scanned_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + block_bytes_) buf_.resize(std::max(end_ + block_bytes_, 2 * end_));
  size_t n = 0;
  if (fd_ >= 0) {
    while (true) {
      const ssize_t got = read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return IoError(fmt::format("{}: cannot read: {}", path_, std::strerror(errno)));
      n = static_cast<size_t>(got);
      break;
    }
  } else {
    const size_t pos = static_cast<size_t>(read_bytes_);
    n = std::min(block_bytes_, text_.size() - pos);
    std::memcpy(buf_.data() + end_, text_.data() + pos, n);
  }
  read_bytes_ += n;
  if (read_bytes_ > kDefaultMaxFileBytes) {
    return IoError(fmt::format("{}: more than the {} byte limit (is the file growing?)", path_,
                               kDefaultMaxFileBytes));
  }
  end_ += n;
  eof_ = n == 0;
  return Ok{};
}

Result<bool> LineSource::Next(std::string_view& line) {
  if (!blocks_) {
    const size_t pos = static_cast<size_t>(offset_);
    if (pos >= text_.size()) return false;
    size_t eol = text_.find('\n', pos);
    if (eol == std::string_view::npos) eol = text_.size();
    line = text_.substr(pos, eol - pos);
    offset_ = std::min<uint64_t>(eol + 1, text_.size());
    ++line_number_;
    return true;
  }
  while (true) {
    const void* nl = std::memchr(buf_.data() + scanned_, '\n', end_ - scanned_);
    if (nl != nullptr) {
      const size_t eol = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      line = std::string_view(buf_.data() + begin_, eol - begin_);
      offset_ += eol + 1 - begin_;
      begin_ = scanned_ = eol + 1;
      ++line_number_;
      return true;
    }
    scanned_ = end_;
    if (eof_) {
      if (begin_ == end_) return false;
      line = std::string_view(buf_.data() + begin_, end_ - begin_);
      offset_ += end_ - begin_;
      begin_ = scanned_ = end_;
      ++line_number_;
      return true;
    }
    GPUPLAN_TRY(Refill());
  }
}

Result<bool> LineReader::Next(std::string_view& line) {
  auto got = source_.Next(line);
  if (got && *got && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  return got;
}

CsvReader::CsvReader(LineSource& source, char sep, const std::string& path, bool comments)
    : source_(&source), sep_(sep), path_(path), comments_(comments) {}

CsvReader::CsvReader(std::string_view text, char sep, const std::string& path, bool comments)
    : own_(std::make_unique<LineSource>(text)),
      source_(own_.get()),
      sep_(sep),
      path_(path),
      comments_(comments) {}

Result<bool> CsvReader::Next(std::vector<std::string_view>& fields) {
  fields.clear();
  std::string_view rec;
  // Skip blank and comment lines.
  while (true) {
    auto got = source_->Next(rec);
    if (!got) return got.error();
    if (!*got) return false;
    if (first_) {
      first_ = false;
      constexpr std::string_view kBom = "\xEF\xBB\xBF";
      if (rec.substr(0, kBom.size()) == kBom) {
        rec.remove_prefix(kBom.size());
        had_bom_ = true;
      }
    }
    if (!TrimView(rec).empty() && !(comments_ && rec.front() == '#')) break;
  }
  record_line_ = source_->line_number();
  buffer_.clear();
  spans_.clear();
  // A quoted line break continues the record on the next line: the record is then copied into
  // record_ (the source's view ends with its line) and positions stay valid.
  bool owned = false;
  auto extend = [&]() -> Result<bool> {
    if (!owned) {
      record_.assign(rec);
      owned = true;
    }
    std::string_view more;
    auto got = source_->Next(more);
    if (!got || !*got) return got;
    record_ += '\n';
    record_.append(more);
    rec = record_;
    return true;
  };
  size_t pos = 0;
  while (true) {
    size_t p = pos;
    while (p < rec.size() && (rec[p] == ' ' || rec[p] == '\t') && rec[p] != sep_) ++p;
    if (p < rec.size() && rec[p] == '"') {
      const int64_t open_line = source_->line_number();
      const size_t start = buffer_.size();
      size_t q = p + 1;
      while (true) {
        const size_t close = rec.find('"', q);
        if (close == std::string_view::npos) {
          buffer_.append(rec.substr(q));
          q = rec.size();
          auto more = extend();
          if (!more) return more.error();
          if (!*more) {
            return Error{
                fmt::format("{}:{}: a quoted field opened here never closes (a missing '\"')",
                            path_, open_line)};
          }
          continue;
        }
        buffer_.append(rec.substr(q, close - q));
        if (close + 1 < rec.size() && rec[close + 1] == '"') {
          buffer_ += '"';
          q = close + 2;
          continue;
        }
        q = close + 1;
        break;
      }
      while (q < rec.size() && (rec[q] == ' ' || rec[q] == '\t')) ++q;
      if (q < rec.size() && rec[q] != sep_ && !(rec[q] == '\r' && q + 1 == rec.size())) {
        return Error{
            fmt::format("{}:{}: text after the closing quote of field {} (a quote "
                        "inside a quoted field is written \"\")",
                        path_, source_->line_number(), spans_.size() + 1)};
      }
      spans_.push_back({start, buffer_.size() - start, true});
      pos = q;
    } else {
      size_t q = pos;
      while (q < rec.size() && rec[q] != sep_) ++q;
      size_t e = q;
      if (e > pos && rec[e - 1] == '\r' && q == rec.size()) --e;
      spans_.push_back({pos, e - pos, false});
      pos = q;
    }
    if (pos < rec.size() && rec[pos] == sep_) {
      ++pos;
      continue;
    }
    break;
  }
  for (const Span& s : spans_) {
    fields.push_back(s.owned ? std::string_view(buffer_).substr(s.start, s.size)
                             : rec.substr(s.start, s.size));
  }
  return true;
}

void SplitFields(std::string_view line, char sep, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t start = 0;
  while (true) {
    const size_t end = line.find(sep, start);
    if (end == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
}

void SplitWhitespace(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

namespace {
bool SameName(std::string_view a, std::string_view b, bool ignore_case) {
  if (!ignore_case) return a == b;
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

Result<HeaderMap> MapHeader(const std::vector<std::string_view>& fields,
                            const std::vector<std::string_view>& names, bool ignore_case,
                            const std::string& path, int64_t line,
                            std::vector<std::string>& notes) {
  HeaderMap map;
  map.col.assign(names.size(), -1);
  map.num_fields = fields.size();
  std::vector<std::string> ignored;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view name = TrimView(fields[i]);
    bool known = false;
    for (size_t c = 0; c < names.size(); ++c) {
      if (!SameName(name, names[c], ignore_case)) continue;
      known = true;
      if (map.col[c] >= 0) {
        return Error{
            fmt::format("{}:{}: column '{}' appears twice in the header (columns {} "
                        "and {})",
                        path, line, Abbreviate(name), map.col[c] + 1, i + 1)};
      }
      map.col[c] = static_cast<int>(i);
    }
    if (!known) {
      for (const std::string& other : ignored) {
        if (other == name && !name.empty()) {
          return Error{fmt::format("{}:{}: column '{}' appears twice in the header", path, line,
                                   Abbreviate(name))};
        }
      }
      ignored.emplace_back(name);
    }
  }
  if (!ignored.empty()) {
    std::string list;
    constexpr size_t kMaxListed = 8;
    for (size_t i = 0; i < ignored.size() && i < kMaxListed; ++i) {
      list += fmt::format("{}'{}'", i ? ", " : "",
                          ignored[i].empty() ? std::string("(unnamed)") : Abbreviate(ignored[i]));
    }
    if (ignored.size() > kMaxListed)
      list += fmt::format(" and {} more", ignored.size() - kMaxListed);
    notes.push_back(fmt::format("{} column{} not read ({}): not a column of this format",
                                ignored.size(), ignored.size() == 1 ? "" : "s", list));
  }
  return map;
}

Error FieldError(const FieldPos& pos, std::string_view what, std::string_view value) {
  return Error{fmt::format("{}:{}: field '{}' {}, got '{}'", pos.path, pos.line, pos.field, what,
                           Abbreviate(value))};
}

Result<double> ParseDouble(std::string_view text, const FieldPos& pos) {
  const std::string_view t = TrimView(text);
  if (t.empty()) return FieldError(pos, "must be a number", t);
  // strtod needs a terminated string; fields are short.
  const std::string s(t.substr(0, 128));
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (t.size() > 128 || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v) ||
      s.find_first_of("xXnNiI") != std::string::npos) {
    return FieldError(pos, "must be a number", t);
  }
  return v;
}

Result<int64_t> ParseInt(std::string_view text, const FieldPos& pos) {
  const std::string_view t = TrimView(text);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    // Accept integral values written as floats ("8.0"), as some exports do.
    auto d = ParseDouble(t, pos);
    if (d && std::floor(*d) == *d && std::fabs(*d) < 9e15) return static_cast<int64_t>(*d);
    return FieldError(pos, "must be an integer", t);
  }
  return v;
}

namespace {

// A non-negative integer made only of digits (no sign, no spaces).
bool ParseDigits(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Whole seconds, for exact calendar arithmetic.
constexpr auto kDayS = static_cast<int64_t>(kSecondsPerDay);
constexpr auto kHourS = static_cast<int64_t>(kSecondsPerHour);

}  // namespace

Result<double> ParseIsoTime(std::string_view text, const FieldPos& pos) {
  constexpr std::string_view kWhat = "must be an ISO 8601 time like 2024-03-01T12:00:00";
  const std::string_view s = TrimView(text);
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':' || !ParseDigits(s.substr(0, 4), y) ||
      !ParseDigits(s.substr(5, 2), mo) || !ParseDigits(s.substr(8, 2), d) ||
      !ParseDigits(s.substr(11, 2), h) || !ParseDigits(s.substr(14, 2), mi) ||
      !ParseDigits(s.substr(17, 2), se)) {
    return FieldError(pos, kWhat, s);
  }
  std::string_view rest = s.substr(19);
  double fraction = 0;
  if (!rest.empty() && (rest.front() == '.' || rest.front() == ',')) {
    size_t n = 1;
    while (n < rest.size() && n <= 10 && rest[n] >= '0' && rest[n] <= '9') ++n;
    int64_t digits = 0;
    if (n == 1 || !ParseDigits(rest.substr(1, n - 1), digits)) return FieldError(pos, kWhat, s);
    fraction = static_cast<double>(digits) / std::pow(10.0, static_cast<double>(n - 1));
    rest.remove_prefix(n);
  }
  int64_t offset_s = 0;
  if (rest == "Z" || rest == "z") {
    rest = {};
  } else if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    int64_t oh = 0, om = 0;
    const std::string_view z = rest.substr(1);
    const bool ok =
        (z.size() == 5 && z[2] == ':' && ParseDigits(z.substr(0, 2), oh) &&
         ParseDigits(z.substr(3, 2), om)) ||
        (z.size() == 4 && ParseDigits(z.substr(0, 2), oh) && ParseDigits(z.substr(2, 2), om)) ||
        (z.size() == 2 && ParseDigits(z, oh));
    if (!ok || oh > 23 || om > 59) return FieldError(pos, kWhat, s);
    offset_s = (rest.front() == '+' ? 1 : -1) * (oh * kHourS + om * 60);
    rest = {};
  }
  if (!rest.empty()) return FieldError(pos, kWhat, s);
  constexpr std::array<int64_t, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return FieldError(pos, "has a month outside 1-12", s);
  const int64_t month_days = kDaysInMonth[static_cast<size_t>(mo - 1)] + (mo == 2 && IsLeap(y));
  if (d < 1 || d > month_days) return FieldError(pos, "has a day outside its month", s);
  if (h > 23 || mi > 59 || se > 60) return FieldError(pos, "has a time of day out of range", s);
  return static_cast<double>(DaysFromCivil(y, mo, d) * kDayS + h * kHourS + mi * 60 + se -
                             offset_s) +
         fraction;
}

Result<double> ParseTimeS(std::string_view text, const FieldPos& pos, bool& iso) {
  const std::string_view t = TrimView(text);
  iso = t.size() >= 19 && t[4] == '-' && t[7] == '-';
  if (iso) return ParseIsoTime(t, pos);
  auto v = ParseDouble(t, pos);
  if (!v) {
    return FieldError(pos, "must be a time in seconds or ISO 8601 (2024-03-01T12:00:00)", t);
  }
  return v;
}

Result<void> CheckTraceTime(double seconds, const FieldPos& pos, std::string_view text) {
  if (seconds >= 0 && seconds <= kMaxTimeS) return Ok{};
  if (seconds < 0) return FieldError(pos, "must be >= 0", text);
  return FieldError(pos, fmt::format("must be at most {:g} s (317 years, the limit)", kMaxTimeS),
                    text);
}

Result<void> CheckFieldCount(size_t got, size_t expected, const std::string& path, int64_t line) {
  if (got == expected) return Ok{};
  return Error{fmt::format(
      "{}:{}: expected {} fields as in the header, got {} ({}; quote a field that holds the "
      "separator)",
      path, line, expected, got, got < expected ? "truncated line" : "too many separators")};
}

namespace {

// FinishTrace's check of a job's times (after any shift): the field out of range, or null.
const char* TimeOutOfRange(const Job& j) {
  return !(j.submit_s >= 0 && j.submit_s <= kMaxTimeS)       ? "submit time"
         : !(j.duration_s > 0 && j.duration_s <= kMaxTimeS)  ? "duration"
         : !(j.estimate_s >= 0 && j.estimate_s <= kMaxTimeS) ? "runtime estimate"
                                                             : nullptr;
}

// AddJob of a streaming read: the job goes to the sink, checked as FinishTrace would check it
// among the others. Anything FinishTrace would sort, shift differently or reject stops the
// stream (ReadTrace then reads the trace whole and gives the answer).
Result<void> StreamJob(Trace& trace, LineSource::Stream& s, Job&& job) {
  const Error stop{"the trace does not stream"};
  if (s.num_jobs >= kMaxJobs) return stop;
  if (s.num_jobs > 0 && job.submit_s < s.last_submit_s) return stop;  // not sorted
  s.last_submit_s = job.submit_s;
  if (s.num_jobs == 0) s.first_submit_s = job.submit_s;
  ++s.num_jobs;
  if (s.shift) job.submit_s -= s.first_submit_s;
  if (TimeOutOfRange(job) != nullptr) return stop;
  if (!job.id.empty()) s.id_hashes.push_back(std::hash<std::string>{}(job.id));
  return s.sink->Add(trace, job);
}

}  // namespace

Result<void> AddJob(Trace& trace, const LineSource& source, Job&& job) {
  if (source.stream != nullptr) return StreamJob(trace, *source.stream, std::move(job));
  std::vector<Job>& jobs = trace.jobs;
  if (static_cast<int64_t>(jobs.size()) >= kMaxJobs) {
    return Error{
        fmt::format("{}:{}: more than {} jobs, the limit", trace.source, job.line, kMaxJobs)};
  }
  constexpr size_t kSample = 4096;  // jobs read before the rate is trusted
  if (jobs.size() < jobs.capacity() || jobs.size() < kSample || source.offset() == 0) {
    jobs.push_back(std::move(job));
    return Ok{};
  }
  const double per_byte = static_cast<double>(jobs.size()) / static_cast<double>(source.offset());
  const double rest =
      static_cast<double>(source.size_bytes() - std::min(source.offset(), source.size_bytes()));
  // 3% over the estimate, and at least an eighth more: a wrong estimate still grows geometrically.
  const double want = static_cast<double>(jobs.size()) + 1.03 * per_byte * rest + 64;
  const size_t cap = std::max(jobs.size() + jobs.size() / 8,
                              static_cast<size_t>(std::min<double>(want, kMaxJobs + 1.0)));
  jobs.reserve(cap);
  jobs.push_back(std::move(job));
  return Ok{};
}

namespace {

// Finds a repeated job id through sorted (hash, index) pairs: 16 bytes a job where a hash map
// of the ids took about 60. Sets `later` to the first repeat in file order and `earlier` to the
// job it repeats; false if ids are unique.
bool FindRepeatedId(const std::vector<Job>& jobs, size_t& earlier, size_t& later) {
  std::vector<std::pair<uint64_t, uint32_t>> keys;
  keys.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].id.empty()) continue;  // the generator names its jobs after sorting
    keys.emplace_back(std::hash<std::string>{}(jobs[i].id), static_cast<uint32_t>(i));
  }
  std::sort(keys.begin(), keys.end());
  bool found = false;
  for (size_t a = 0; a < keys.size();) {
    size_t b = a + 1;
    while (b < keys.size() && keys[b].first == keys[a].first) ++b;
    // Within a run of equal hashes (one id, or a rare collision), in file order.
    for (size_t k = a + 1; k < b; ++k) {
      for (size_t m = a; m < k; ++m) {
        if (jobs[keys[m].second].id != jobs[keys[k].second].id) continue;
        if (!found || keys[k].second < later) {
          found = true;
          later = keys[k].second;
          earlier = keys[m].second;
        }
        break;
      }
    }
    a = b;
  }
  return found;
}

// Stable sort by submit time through (submit, index) pairs and an in-place permutation:
// std::stable_sort's buffer held half the jobs again.
void SortBySubmit(std::vector<Job>& jobs) {
  const auto by_submit = [](const Job& a, const Job& b) { return a.submit_s < b.submit_s; };
  if (std::is_sorted(jobs.begin(), jobs.end(), by_submit)) return;  // most traces are
  std::vector<std::pair<double, uint32_t>> order(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) order[i] = {jobs[i].submit_s, static_cast<uint32_t>(i)};
  std::sort(order.begin(), order.end());  // ties by index: file order
  // Position i takes the job at order[i].second; cycles are followed, a done slot points at
  // itself.
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (order[i].second == i) continue;
    Job held = std::move(jobs[i]);
    size_t j = i;
    while (true) {
      const size_t from = order[j].second;
      order[j].second = static_cast<uint32_t>(j);
      if (from == i) {
        jobs[j] = std::move(held);
        break;
      }
      jobs[j] = std::move(jobs[from]);
      j = from;
    }
  }
}

}  // namespace

Result<void> FinishTrace(Trace& trace, bool shift, const LineSource* source) {
  if (source != nullptr && source->stream != nullptr) {
    LineSource::Stream& s = *source->stream;
    const Error stop{"the trace does not stream"};
    if (shift != s.shift || s.num_jobs == 0 || s.num_jobs > kMaxJobs ||
        static_cast<int64_t>(trace.tenants.size()) > kMaxTenants) {
      return stop;
    }
    std::sort(s.id_hashes.begin(), s.id_hashes.end());
    if (std::adjacent_find(s.id_hashes.begin(), s.id_hashes.end()) != s.id_hashes.end()) {
      return stop;  // a repeated id, or two ids of one hash: FindRepeatedId tells which
    }
    std::vector<uint64_t>().swap(s.id_hashes);
    return Ok{};
  }
  if (trace.jobs.empty()) {
    std::string why;
    for (const std::string& n : trace.notes) why += (why.empty() ? "" : "; ") + n;
    return Error{fmt::format("{}: the trace has no jobs ({})", trace.source,
                             why.empty() ? "no data rows after the header" : why)};
  }
  if (static_cast<int64_t>(trace.jobs.size()) > kMaxJobs) {
    return Error{fmt::format("{}: {} jobs, more than the limit of {}", trace.source,
                             trace.jobs.size(), kMaxJobs)};
  }
  if (static_cast<int64_t>(trace.tenants.size()) > kMaxTenants) {
    return Error{fmt::format("{}: {} tenants, more than the limit of {}", trace.source,
                             trace.tenants.size(), kMaxTenants)};
  }
  if (size_t earlier = 0, later = 0; FindRepeatedId(trace.jobs, earlier, later)) {
    const Job& j = trace.jobs[later];
    return Error{fmt::format("{}:{}: job id '{}' repeats the job of line {} (ids must be unique)",
                             trace.source, j.line, Abbreviate(j.id), trace.jobs[earlier].line)};
  }
  SortBySubmit(trace.jobs);
  if (shift) {
    const double first = trace.jobs.front().submit_s;
    for (Job& j : trace.jobs) j.submit_s -= first;
  }
  for (const Job& j : trace.jobs) {
    if (const char* field = TimeOutOfRange(j); field != nullptr) {
      return Error{fmt::format(
          "{}:{}: job '{}': its {} is outside [0, {:g}] s (the 317-year limit of gpuplan's "
          "clock{})",
          trace.source, j.line, Abbreviate(j.id), field, kMaxTimeS,
          shift ? ", counted from the first submission" : "")};
    }
  }
  return Ok{};
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace detail

std::string_view ToString(TraceFormat f) {
  switch (f) {
    case TraceFormat::kGpuplan:
      return "gpuplan";
    case TraceFormat::kPai2020:
      return "pai2020";
    case TraceFormat::kOpenb:
      return "openb";
    case TraceFormat::kSwf:
      return "swf";
    case TraceFormat::kSacct:
      return "sacct";
  }
  return "?";
}

std::vector<std::string> TraceFormatNames() {
  return {"gpuplan", "pai2020", "openb", "swf", "sacct"};
}

Result<TraceFormat> ParseTraceFormat(std::string_view text) {
  for (TraceFormat f : {TraceFormat::kGpuplan, TraceFormat::kPai2020, TraceFormat::kOpenb,
                        TraceFormat::kSwf, TraceFormat::kSacct}) {
    if (text == ToString(f)) return f;
  }
  return Error{UnknownNameMessage("trace format", text, TraceFormatNames())};
}

std::string_view ToString(TenantClass c) {
  switch (c) {
    case TenantClass::kUnclassified:
      return "unclassified";
    case TenantClass::kStartup:
      return "startup";
    case TenantClass::kAcademia:
      return "academia";
    case TenantClass::kIndustry:
      return "industry";
    case TenantClass::kPublic:
      return "public";
  }
  return "?";
}

namespace {
constexpr TenantClass kAllClasses[] = {TenantClass::kStartup, TenantClass::kAcademia,
                                       TenantClass::kIndustry, TenantClass::kPublic,
                                       TenantClass::kUnclassified};
}  // namespace

Result<TenantClass> ParseTenantClass(std::string_view text) {
  std::vector<std::string> names;
  for (TenantClass c : kAllClasses) {
    if (text == ToString(c)) return c;
    names.emplace_back(ToString(c));
  }
  return Error{UnknownNameMessage("tenant class", text, names)};
}

TenantClass TenantClassFromName(std::string_view name) {
  for (TenantClass c : kAllClasses) {
    const std::string_view n = ToString(c);
    if (name.substr(0, n.size()) == n &&
        (name.size() == n.size() || name[n.size()] == '-' || name[n.size()] == '_')) {
      return c;
    }
  }
  return TenantClass::kUnclassified;
}

Result<int32_t> Trace::TypeIndex(std::string_view name) {
  for (size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == name) return static_cast<int32_t>(i);
  }
  if (type_names.size() >= static_cast<size_t>(kMaxTypes)) {
    return Error{fmt::format("{}: more than {} accelerator types", source, kMaxTypes)};
  }
  type_names.emplace_back(name);
  return static_cast<int32_t>(type_names.size() - 1);
}

int32_t Trace::TenantIndex(std::string_view name) {
  // Hashed: traces may have hundreds of thousands of tenants. Rebuilt if `tenants` was edited.
  if (tenant_lookup_.size() != tenants.size()) {
    tenant_lookup_.clear();
    for (size_t i = 0; i < tenants.size(); ++i) {
      tenant_lookup_.emplace(tenants[i].name, static_cast<int32_t>(i));
    }
    if (tenant_lookup_.size() != tenants.size()) {  // repeated names: the linear way, first wins
      tenant_lookup_.clear();
      for (size_t i = 0; i < tenants.size(); ++i) {
        if (tenants[i].name == name) return static_cast<int32_t>(i);
      }
      tenants.push_back(
          Tenant{.name = std::string(name), .tenant_class = TenantClassFromName(name)});
      return static_cast<int32_t>(tenants.size() - 1);
    }
  }
  if (const auto it = tenant_lookup_.find(name); it != tenant_lookup_.end()) return it->second;
  tenants.push_back(Tenant{.name = std::string(name), .tenant_class = TenantClassFromName(name)});
  const auto idx = static_cast<int32_t>(tenants.size() - 1);
  tenant_lookup_.emplace(tenants.back().name, idx);
  return idx;
}

namespace detail {

Result<Trace> ParseTrace(LineSource& source, const std::string& path, TraceFormat format) {
  switch (format) {
    case TraceFormat::kGpuplan:
      return ParseGpuplanCsv(source, path);
    case TraceFormat::kPai2020:
      return ParsePai2020(source, path);
    case TraceFormat::kOpenb:
      return ParseOpenbPods(source, path);
    case TraceFormat::kSwf:
      return ParseSwf(source, path);
    case TraceFormat::kSacct:
      return ParseSacct(source, path);
  }
  return Error{"unknown trace format"};
}

}  // namespace detail

Result<Trace> ParseTrace(std::string_view text, const std::string& path, TraceFormat format) {
  detail::LineSource source(text);
  return detail::ParseTrace(source, path, format);
}

Result<Trace> ReadTrace(const std::string& path, TraceFormat format) {
  auto source = detail::LineSource::Open(path);
  if (!source) return source.error();
  return detail::ParseTrace(**source, path, format);
}

Result<Trace> StreamTrace(const std::string& path, TraceFormat format, JobSink& sink) {
  auto source = detail::LineSource::Open(path);
  if (!source) return source.error();
  return detail::StreamTrace(**source, path, format, sink);
}

namespace detail {

Result<Trace> StreamTrace(LineSource& source, const std::string& path, TraceFormat format,
                          JobSink& sink) {
  LineSource::Stream stream{.sink = &sink};
  // PAI and sacct times always count from the first job; a gpuplan CSV's when they are ISO 8601
  // (its reader says so before the first job).
  stream.shift = format == TraceFormat::kPai2020 || format == TraceFormat::kSacct;
  source.stream = &stream;
  auto trace = ParseTrace(source, path, format);
  source.stream = nullptr;  // `stream` ends here
  return trace;
}

}  // namespace detail

namespace {

// Sorts `values` (kept, with its capacity, for the next distribution).
Distribution SummarizeInPlace(std::vector<double>& values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  // Nearest-rank percentile: the smallest value with at least p of the values at or below it.
  auto pct = [&](double p) {
    const double rank = std::ceil(p * static_cast<double>(values.size()));
    const size_t idx = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
    return values[std::min(idx, values.size() - 1)];
  };
  double sum = 0;
  for (double v : values) sum += v;
  d.min = values.front();
  d.max = values.back();
  d.p50 = pct(0.5);
  d.p90 = pct(0.9);
  d.p99 = pct(0.99);
  d.mean = sum / static_cast<double>(values.size());
  return d;
}

}  // namespace

Distribution Summarize(std::vector<double> values) { return SummarizeInPlace(values); }

TraceStats ComputeStats(const Trace& trace) {
  TraceStats s;
  s.num_jobs = static_cast<int64_t>(trace.jobs.size());
  s.num_tenants = static_cast<int64_t>(trace.tenants.size());
  const auto gpu_frac = [](const Job& j) {
    return j.gpus * (j.gpu_milli / static_cast<double>(kWholeGpuMilli));
  };
  std::map<int, SizeCount> by_size;
  for (const Job& j : trace.jobs) {
    const double gpu_hours = gpu_frac(j) * j.duration_s / kSecondsPerHour;
    s.gpu_hours += gpu_hours;
    if (j.gpu_milli < kWholeGpuMilli) ++s.num_fractional;
    SizeCount& sc = by_size[j.gpus];
    sc.gpus = j.gpus;
    ++sc.num_jobs;
    sc.gpu_hours += gpu_hours;
  }
  if (!trace.jobs.empty()) s.span_s = trace.jobs.back().submit_s - trace.jobs.front().submit_s;
  // One distribution at a time: a double a job, not three.
  std::vector<double> values;
  values.reserve(trace.jobs.size());
  auto summarize = [&](auto value_of, bool gaps) {
    values.clear();
    for (size_t i = gaps ? 1 : 0; i < trace.jobs.size(); ++i) values.push_back(value_of(i));
    return SummarizeInPlace(values);
  };
  s.duration_s = summarize([&](size_t i) { return trace.jobs[i].duration_s; }, false);
  s.gpus = summarize([&](size_t i) { return gpu_frac(trace.jobs[i]); }, false);
  s.interarrival_s = summarize(
      [&](size_t i) { return trace.jobs[i].submit_s - trace.jobs[i - 1].submit_s; }, true);
  for (const auto& [g, sc] : by_size) s.by_size.push_back(sc);
  return s;
}

}  // namespace gpuplan::trace
