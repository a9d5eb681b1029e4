// Common parts of the trace module: names, the Trace container, format dispatch, field parsing
// and summary statistics.
#include "trace/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "trace/csv_util.h"

namespace gpuplan::trace {

namespace detail {

bool LineReader::Next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = end + 1;
  ++line_number_;
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
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error FieldError(const FieldPos& pos, std::string_view what, std::string_view value) {
  return Error{
      fmt::format("{}:{}: field '{}' {}, got '{}'", pos.path, pos.line, pos.field, what, value)};
}

Result<double> ParseDouble(std::string_view text, const FieldPos& pos) {
  const std::string_view t = TrimView(text);
  if (t.empty()) return FieldError(pos, "must be a number", t);
  // strtod needs a terminated string; fields are short.
  const std::string s(t);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v) ||
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

Result<void> CheckFieldCount(size_t got, size_t expected, const std::string& path, int64_t line) {
  if (got == expected) return Ok{};
  return Error{
      fmt::format("{}:{}: expected {} fields as in the header, got {} (truncated or "
                  "malformed line)",
                  path, line, expected, got)};
}

Result<void> FinishTrace(Trace& trace) {
  if (trace.jobs.empty()) return Error{fmt::format("{}: the trace has no jobs", trace.source)};
  std::stable_sort(trace.jobs.begin(), trace.jobs.end(),
                   [](const Job& a, const Job& b) { return a.submit_s < b.submit_s; });
  return Ok{};
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
  // Linear scan: traces have tens of tenants, and readers cache the last hit.
  for (size_t i = tenants.size(); i-- > 0;) {
    if (tenants[i].name == name) return static_cast<int32_t>(i);
  }
  tenants.push_back(Tenant{.name = std::string(name), .tenant_class = TenantClassFromName(name)});
  return static_cast<int32_t>(tenants.size() - 1);
}

Result<Trace> ParseTrace(std::string_view text, const std::string& path, TraceFormat format) {
  switch (format) {
    case TraceFormat::kGpuplan:
      return ParseGpuplanCsv(text, path);
    case TraceFormat::kPai2020:
      return ParsePai2020(text, path);
    case TraceFormat::kOpenb:
      return ParseOpenbPods(text, path);
    case TraceFormat::kSwf:
      return ParseSwf(text, path);
    case TraceFormat::kSacct:
      return ParseSacct(text, path);
  }
  return Error{"unknown trace format"};
}

Result<Trace> ReadTrace(const std::string& path, TraceFormat format) {
  auto text = ReadFile(path);
  if (!text) return text.error();
  return ParseTrace(*text, path, format);
}

Distribution Summarize(std::vector<double> values) {
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

TraceStats ComputeStats(const Trace& trace) {
  TraceStats s;
  s.num_jobs = static_cast<int64_t>(trace.jobs.size());
  s.num_tenants = static_cast<int64_t>(trace.tenants.size());
  std::vector<double> durations, gpus, gaps;
  durations.reserve(trace.jobs.size());
  gpus.reserve(trace.jobs.size());
  std::map<int, SizeCount> by_size;
  for (size_t i = 0; i < trace.jobs.size(); ++i) {
    const Job& j = trace.jobs[i];
    const double gpu_frac = j.gpus * (j.gpu_milli / static_cast<double>(kWholeGpuMilli));
    const double gpu_hours = gpu_frac * j.duration_s / kSecondsPerHour;
    s.gpu_hours += gpu_hours;
    if (j.gpu_milli < kWholeGpuMilli) ++s.num_fractional;
    durations.push_back(j.duration_s);
    gpus.push_back(gpu_frac);
    if (i > 0) gaps.push_back(j.submit_s - trace.jobs[i - 1].submit_s);
    SizeCount& sc = by_size[j.gpus];
    sc.gpus = j.gpus;
    ++sc.num_jobs;
    sc.gpu_hours += gpu_hours;
  }
  if (!trace.jobs.empty()) s.span_s = trace.jobs.back().submit_s - trace.jobs.front().submit_s;
  s.duration_s = Summarize(std::move(durations));
  s.gpus = Summarize(std::move(gpus));
  s.interarrival_s = Summarize(std::move(gaps));
  for (const auto& [g, sc] : by_size) s.by_size.push_back(sc);
  return s;
}

}  // namespace gpuplan::trace
