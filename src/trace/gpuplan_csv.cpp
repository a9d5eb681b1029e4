// The gpuplan trace CSV of DESIGN: a header naming the columns, then one job per line.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {

using detail::FieldError;
using detail::FieldPos;

enum Column {
  kJobId,
  kTenant,
  kSubmit,
  kGpus,
  kDuration,
  kAccelerator,
  kAllowed,
  kPriority,
  kGpuMilli,
  kEstimate,
  kNumColumns
};
constexpr std::array<std::string_view, kNumColumns> kColumnNames = {
    "job_id",      "tenant",  "submit_s", "gpus",      "duration_s",
    "accelerator", "allowed", "priority", "gpu_milli", "estimate_s"};
constexpr int kNumRequired = 5;  // job_id .. duration_s

// Parses "a|b|c" into a type mask, adding names to the trace.
Result<uint64_t> ParseAllowed(std::string_view text, Trace& trace, const FieldPos& pos) {
  uint64_t mask = 0;
  std::vector<std::string_view> names;
  detail::SplitFields(text, '|', names);
  for (std::string_view n : names) {
    n = detail::TrimView(n);
    if (n.empty()) return FieldError(pos, "must list accelerator ids separated by '|'", text);
    auto idx = trace.TypeIndex(n);
    if (!idx) return idx.error();
    mask |= uint64_t{1} << *idx;
  }
  return mask;
}

}  // namespace

Result<Trace> ParseGpuplanCsv(std::string_view text, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::LineReader lines(text);
  std::string_view line;
  std::vector<std::string_view> fields;
  // Header: the first non-empty line not starting with '#'.
  std::array<int, kNumColumns> col;
  col.fill(-1);
  size_t num_fields = 0;
  while (lines.Next(line)) {
    if (detail::TrimView(line).empty() || line.front() == '#') continue;
    detail::SplitFields(line, ',', fields);
    num_fields = fields.size();
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view name = detail::TrimView(fields[i]);
      const auto it = std::find(kColumnNames.begin(), kColumnNames.end(), name);
      if (it == kColumnNames.end()) {
        return Error{fmt::format(
            "{}:{}: unknown column '{}'; the header must name job_id,tenant,submit_s,gpus,"
            "duration_s and may add accelerator,allowed,priority,gpu_milli,estimate_s",
            path, lines.line_number(), name)};
      }
      col[static_cast<size_t>(it - kColumnNames.begin())] = static_cast<int>(i);
    }
    break;
  }
  if (num_fields == 0) return Error{fmt::format("{}: empty trace (no header, no jobs)", path)};
  for (int c = 0; c < kNumRequired; ++c) {
    if (col[c] < 0) {
      return Error{fmt::format("{}:{}: header lacks the required column '{}'", path,
                               lines.line_number(), kColumnNames[c])};
    }
  }
  auto field = [&](Column c) -> std::string_view {
    return col[c] < 0 ? std::string_view() : detail::TrimView(fields[static_cast<size_t>(col[c])]);
  };
  while (lines.Next(line)) {
    if (detail::TrimView(line).empty() || line.front() == '#') continue;
    const int64_t ln = lines.line_number();
    detail::SplitFields(line, ',', fields);
    GPUPLAN_TRY(detail::CheckFieldCount(fields.size(), num_fields, path, ln));
    auto pos = [&](Column c) { return FieldPos{path, ln, kColumnNames[c]}; };
    Job job;
    job.line = ln;
    job.id = std::string(field(kJobId));
    if (job.id.empty()) return FieldError(pos(kJobId), "must not be empty", "");
    const std::string_view tenant = field(kTenant);
    if (tenant.empty()) return FieldError(pos(kTenant), "must not be empty", "");
    job.tenant_idx = trace.TenantIndex(tenant);
    auto submit = detail::ParseDouble(field(kSubmit), pos(kSubmit));
    if (!submit) return submit.error();
    if (*submit < 0) return FieldError(pos(kSubmit), "must be >= 0", field(kSubmit));
    job.submit_s = *submit;
    auto gpus = detail::ParseInt(field(kGpus), pos(kGpus));
    if (!gpus) return gpus.error();
    if (*gpus < 1 || *gpus > 1'000'000) {
      return FieldError(pos(kGpus), "must be an integer in [1, 1000000]", field(kGpus));
    }
    job.gpus = static_cast<int32_t>(*gpus);
    auto duration = detail::ParseDouble(field(kDuration), pos(kDuration));
    if (!duration) return duration.error();
    if (*duration <= 0) return FieldError(pos(kDuration), "must be > 0", field(kDuration));
    job.duration_s = *duration;
    if (!field(kAccelerator).empty()) {
      auto idx = trace.TypeIndex(field(kAccelerator));
      if (!idx) return idx.error();
      job.measured_on_idx = *idx;
    }
    if (!field(kAllowed).empty()) {
      auto mask = ParseAllowed(field(kAllowed), trace, pos(kAllowed));
      if (!mask) return mask.error();
      job.allowed_mask = *mask;
    }
    if (!field(kPriority).empty()) {
      auto prio = detail::ParseInt(field(kPriority), pos(kPriority));
      if (!prio) return prio.error();
      job.priority = static_cast<int32_t>(std::clamp<int64_t>(*prio, -1'000'000, 1'000'000));
    }
    if (!field(kGpuMilli).empty()) {
      auto milli = detail::ParseInt(field(kGpuMilli), pos(kGpuMilli));
      if (!milli) return milli.error();
      if (*milli < 1 || *milli > kWholeGpuMilli) {
        return FieldError(pos(kGpuMilli), "must be in [1, 1000]", field(kGpuMilli));
      }
      if (*milli < kWholeGpuMilli && job.gpus != 1) {
        return FieldError(pos(kGpuMilli), "below 1000 needs gpus = 1", field(kGpuMilli));
      }
      job.gpu_milli = static_cast<int32_t>(*milli);
    }
    if (!field(kEstimate).empty()) {
      auto est = detail::ParseDouble(field(kEstimate), pos(kEstimate));
      if (!est) return est.error();
      if (*est < 0) return FieldError(pos(kEstimate), "must be >= 0", field(kEstimate));
      job.estimate_s = *est;
    }
    trace.jobs.push_back(std::move(job));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace));
  return trace;
}

std::string WriteGpuplanCsv(const Trace& trace) {
  bool has_accel = false, has_allowed = false, has_prio = false, has_milli = false, has_est = false;
  for (const Job& j : trace.jobs) {
    has_accel |= j.measured_on_idx >= 0;
    has_allowed |= j.allowed_mask != 0;
    has_prio |= j.priority != 0;
    has_milli |= j.gpu_milli != kWholeGpuMilli;
    has_est |= j.estimate_s > 0;
  }
  std::string out = "job_id,tenant,submit_s,gpus,duration_s";
  if (has_accel) out += ",accelerator";
  if (has_allowed) out += ",allowed";
  if (has_prio) out += ",priority";
  if (has_milli) out += ",gpu_milli";
  if (has_est) out += ",estimate_s";
  out += "\n";
  for (const Job& j : trace.jobs) {
    // {} prints the shortest text that reads back to the same double: the CSV round-trips.
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{}", j.id,
                   trace.tenants[static_cast<size_t>(j.tenant_idx)].name, j.submit_s, j.gpus,
                   j.duration_s);
    if (has_accel) {
      out += ',';
      if (j.measured_on_idx >= 0) out += trace.type_names[static_cast<size_t>(j.measured_on_idx)];
    }
    if (has_allowed) {
      out += ',';
      bool first = true;
      for (size_t t = 0; t < trace.type_names.size(); ++t) {
        if (j.allowed_mask & (uint64_t{1} << t)) {
          if (!first) out += '|';
          out += trace.type_names[t];
          first = false;
        }
      }
    }
    if (has_prio) fmt::format_to(std::back_inserter(out), ",{}", j.priority);
    if (has_milli) fmt::format_to(std::back_inserter(out), ",{}", j.gpu_milli);
    if (has_est) fmt::format_to(std::back_inserter(out), ",{}", j.estimate_s);
    out += '\n';
  }
  return out;
}

}  // namespace gpuplan::trace
