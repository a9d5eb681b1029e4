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
  kTimeLimit,
  kEstimateOld,  // the name before time_limit_s (Slurm's and the word); still read
  kNumColumns
};
constexpr std::array<std::string_view, kNumColumns> kColumnNames = {
    "job_id",  "tenant",   "submit_s",  "gpus",         "duration_s", "accelerator",
    "allowed", "priority", "gpu_milli", "time_limit_s", "estimate_s"};
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
  detail::LineSource source(text);
  return detail::ParseGpuplanCsv(source, path);
}

Result<Trace> detail::ParseGpuplanCsv(LineSource& source, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::CsvReader reader(source, ',', path, /*comments=*/true);
  std::vector<std::string_view> fields;
  // Header: the first non-empty line not starting with '#'.
  auto got = reader.Next(fields);
  if (!got) return got.error();
  if (!*got) return Error{fmt::format("{}: empty trace (no header, no jobs)", path)};
  const int64_t header_line = reader.line();
  auto header = detail::MapHeader(fields, {kColumnNames.begin(), kColumnNames.end()},
                                  /*ignore_case=*/false, path, header_line, trace.notes);
  if (!header) return header.error();
  std::vector<int> col = header->col;
  if (col[kTimeLimit] >= 0 && col[kEstimateOld] >= 0) {
    return Error{
        fmt::format("{}:{}: the header names both time_limit_s and estimate_s (its old "
                    "name): keep one",
                    path, header_line)};
  }
  if (col[kTimeLimit] < 0) col[kTimeLimit] = col[kEstimateOld];
  const size_t num_fields = header->num_fields;
  for (int c = 0; c < kNumRequired; ++c) {
    if (col[static_cast<size_t>(c)] < 0) {
      std::vector<std::string> present;
      for (std::string_view f : fields) present.emplace_back(detail::TrimView(f));
      std::string hint;
      const std::string near = NearestName(kColumnNames[static_cast<size_t>(c)], present);
      if (!near.empty()) hint = fmt::format(" (is '{}' meant to be it?)", Abbreviate(near));
      return Error{fmt::format(
          "{}:{}: header lacks the required column '{}'{}; the header must name job_id,tenant,"
          "submit_s,gpus,duration_s and may add accelerator,allowed,priority,gpu_milli,"
          "time_limit_s",
          path, header_line, kColumnNames[static_cast<size_t>(c)], hint)};
    }
  }
  auto field = [&](Column c) -> std::string_view {
    return col[c] < 0 ? std::string_view() : detail::TrimView(fields[static_cast<size_t>(col[c])]);
  };
  int num_iso = 0;
  int num_rows = 0;  // jobs added (a streaming read holds none in `trace`)
  while (true) {
    auto more = reader.Next(fields);
    if (!more) return more.error();
    if (!*more) break;
    const int64_t ln = reader.line();
    GPUPLAN_TRY(detail::CheckFieldCount(fields.size(), num_fields, path, ln));
    auto pos = [&](Column c) { return FieldPos{path, ln, kColumnNames[c]}; };
    Job job;
    job.line = ln;
    job.id = std::string(field(kJobId));
    if (job.id.empty()) return FieldError(pos(kJobId), "must not be empty", "");
    const std::string_view tenant = field(kTenant);
    if (tenant.empty()) return FieldError(pos(kTenant), "must not be empty", "");
    job.tenant_idx = trace.TenantIndex(tenant);
    bool iso = false;
    auto submit = detail::ParseTimeS(field(kSubmit), pos(kSubmit), iso);
    if (!submit) return submit.error();
    num_iso += iso;
    if (!iso) GPUPLAN_TRY(detail::CheckTraceTime(*submit, pos(kSubmit), field(kSubmit)));
    if (num_iso > 0 && num_iso != num_rows + 1) {
      return FieldError(pos(kSubmit),
                        "mixes ISO 8601 times and seconds; use one or the other in a file",
                        field(kSubmit));
    }
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
    GPUPLAN_TRY(detail::CheckTraceTime(*duration, pos(kDuration), field(kDuration)));
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
      if (*prio < -1'000'000 || *prio > 1'000'000) {
        return FieldError(pos(kPriority), "must be in [-1000000, 1000000]", field(kPriority));
      }
      job.priority = static_cast<int32_t>(*prio);
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
    if (!field(kTimeLimit).empty()) {
      auto est = detail::ParseDouble(field(kTimeLimit), pos(kTimeLimit));
      if (!est) return est.error();
      GPUPLAN_TRY(detail::CheckTraceTime(*est, pos(kTimeLimit), field(kTimeLimit)));
      job.estimate_s = *est;
    }
    if (iso && source.stream != nullptr) source.stream->shift = true;  // all rows are ISO
    GPUPLAN_TRY(detail::AddJob(trace, source, std::move(job)));
    ++num_rows;
  }
  if (num_iso > 0) {
    trace.notes.push_back("submit_s given as ISO 8601 times: counted from the first submission");
  }
  if (reader.had_bom()) trace.notes.push_back("a UTF-8 byte order mark (Excel) skipped");
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/num_iso > 0, &source));
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
  if (has_est) out += ",time_limit_s";
  out += "\n";
  for (const Job& j : trace.jobs) {
    // {} prints the shortest text that reads back to the same double: the CSV round-trips.
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{}", detail::CsvField(j.id),
                   detail::CsvField(trace.tenants[static_cast<size_t>(j.tenant_idx)].name),
                   j.submit_s, j.gpus, j.duration_s);
    if (has_accel) {
      out += ',';
      if (j.measured_on_idx >= 0) {
        out += detail::CsvField(trace.type_names[static_cast<size_t>(j.measured_on_idx)]);
      }
    }
    if (has_allowed) {
      out += ',';
      std::string allowed;
      for (size_t t = 0; t < trace.type_names.size(); ++t) {
        if (j.allowed_mask & (uint64_t{1} << t)) {
          if (!allowed.empty()) allowed += '|';
          allowed += trace.type_names[t];
        }
      }
      out += detail::CsvField(allowed);
    }
    if (has_prio) fmt::format_to(std::back_inserter(out), ",{}", j.priority);
    if (has_milli) fmt::format_to(std::back_inserter(out), ",{}", j.gpu_milli);
    if (has_est) fmt::format_to(std::back_inserter(out), ",{}", j.estimate_s);
    out += '\n';
  }
  return out;
}

}  // namespace gpuplan::trace
