// Standard Workload Format (Parallel Workloads Archive, Feitelson et al.): one job per line, 18
// whitespace-separated fields, -1 for unknown, header comments start with ';'. Fields used:
// 1 job number, 2 submit time, 4 run time, 5 allocated processors (else 8 requested), 9 requested
// time (the runtime estimate EASY uses), 12 user id (the tenant). Processors are read as GPUs.
#include <fmt/format.h>

#include <cmath>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {
constexpr size_t kNumSwfFields = 18;
}  // namespace

Result<Trace> ParseSwf(std::string_view text, const std::string& path) {
  detail::LineSource source(text);
  return detail::ParseSwf(source, path);
}

Result<Trace> detail::ParseSwf(LineSource& source, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::LineReader lines(source);
  std::string_view line;
  std::vector<std::string_view> f;
  int64_t num_no_runtime = 0, num_no_procs = 0;
  while (true) {
    auto more = lines.Next(line);
    if (!more) return more.error();
    if (!*more) break;
    const std::string_view t = detail::TrimView(line);
    if (t.empty() || t.front() == ';') continue;
    const int64_t ln = lines.line_number();
    detail::SplitWhitespace(t, f);
    if (f.size() != kNumSwfFields) {
      return Error{
          fmt::format("{}:{}: expected {} SWF fields, got {} (truncated or malformed line)", path,
                      ln, kNumSwfFields, f.size())};
    }
    auto num = [&](size_t i, std::string_view name) {
      return detail::ParseDouble(f[i], {path, ln, name});
    };
    auto submit = num(1, "submit_time");
    if (!submit) return submit.error();
    auto run = num(3, "run_time");
    if (!run) return run.error();
    auto alloc = num(4, "allocated_processors");
    if (!alloc) return alloc.error();
    auto req = num(7, "requested_processors");
    if (!req) return req.error();
    auto req_time = num(8, "requested_time");
    if (!req_time) return req_time.error();
    GPUPLAN_TRY(detail::CheckTraceTime(*submit, {path, ln, "submit_time"}, f[1]));
    if (*run <= 0) {
      ++num_no_runtime;  // -1 (unknown) or 0: cancelled before running
      continue;
    }
    GPUPLAN_TRY(detail::CheckTraceTime(*run, {path, ln, "run_time"}, f[3]));
    const double procs = *alloc > 0 ? *alloc : *req;
    if (procs <= 0) {
      ++num_no_procs;
      continue;
    }
    if (procs > 1e6 || procs != std::floor(procs)) {
      return detail::FieldError(
          {path, ln, *alloc > 0 ? "allocated_processors" : "requested_processors"},
          "must be a whole number in [1, 1000000]", f[*alloc > 0 ? 4 : 7]);
    }
    if (*req_time > kMaxTimeS) {
      return detail::FieldError({path, ln, "requested_time"},
                                fmt::format("must be at most {:g} s (the limit)", kMaxTimeS), f[8]);
    }
    Job job;
    job.line = ln;
    job.id = std::string(f[0]);
    job.tenant_idx = trace.TenantIndex(fmt::format("user-{}", f[11]));
    job.submit_s = *submit;
    job.duration_s = *run;
    job.gpus = static_cast<int32_t>(procs);
    job.estimate_s = *req_time > 0 ? *req_time : 0;
    GPUPLAN_TRY(detail::AddJob(trace, source, std::move(job)));
  }
  if (num_no_runtime > 0) {
    trace.notes.push_back(fmt::format("{} jobs without a run time skipped", num_no_runtime));
  }
  if (num_no_procs > 0) {
    trace.notes.push_back(fmt::format("{} jobs without a processor count skipped", num_no_procs));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/false, &source));
  return trace;
}

}  // namespace gpuplan::trace
