// Alibaba PAI 2020 task table (cluster-trace-gpu-v2020, pai_task_table.csv; Weng et al., "MLaaS
// in the Wild", NSDI'22). No header; fields: job_name,task_name,inst_num,status,start_time,
// end_time,plan_cpu,plan_mem,plan_gpu,gpu_type. plan_gpu is percent of one GPU per instance.
// The task table has no user column, so every task belongs to tenant "pai"; submit = start_time
// (the task table records no queueing), shifted so the first task starts at 0.
#include <fmt/format.h>

#include <cmath>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {
constexpr size_t kNumPaiFields = 10;
constexpr double kPercentPerGpu = 100;
}  // namespace

Result<Trace> ParsePai2020(std::string_view text, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::LineReader lines(text);
  std::string_view line;
  std::vector<std::string_view> f;
  int64_t num_cpu_only = 0, num_unfinished = 0;
  const int32_t tenant = trace.TenantIndex("pai");
  while (lines.Next(line)) {
    if (detail::TrimView(line).empty()) continue;
    const int64_t ln = lines.line_number();
    detail::SplitFields(line, ',', f);
    if (ln == 1 && !f.empty() && detail::TrimView(f[0]) == "job_name") continue;  // a header
    if (f.size() != kNumPaiFields) {
      return Error{
          fmt::format("{}:{}: expected {} fields (job_name,task_name,inst_num,status,"
                      "start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type), got {}",
                      path, ln, kNumPaiFields, f.size())};
    }
    const std::string_view plan_gpu_text = detail::TrimView(f[8]);
    if (plan_gpu_text.empty()) {
      ++num_cpu_only;
      continue;
    }
    auto plan_gpu = detail::ParseDouble(plan_gpu_text, {path, ln, "plan_gpu"});
    if (!plan_gpu) return plan_gpu.error();
    if (*plan_gpu < 0) {
      return detail::FieldError({path, ln, "plan_gpu"}, "must be >= 0", plan_gpu_text);
    }
    if (*plan_gpu == 0) {
      ++num_cpu_only;
      continue;
    }
    auto inst = detail::ParseInt(f[2], {path, ln, "inst_num"});
    if (!inst) return inst.error();
    if (*inst < 1) return detail::FieldError({path, ln, "inst_num"}, "must be >= 1", f[2]);
    if (detail::TrimView(f[4]).empty() || detail::TrimView(f[5]).empty()) {
      ++num_unfinished;
      continue;
    }
    auto start = detail::ParseDouble(f[4], {path, ln, "start_time"});
    if (!start) return start.error();
    auto end = detail::ParseDouble(f[5], {path, ln, "end_time"});
    if (!end) return end.error();
    if (*start <= 0 || *end <= *start) {
      ++num_unfinished;
      continue;
    }
    Job job;
    job.line = ln;
    job.id = fmt::format("{}/{}", detail::TrimView(f[0]), detail::TrimView(f[1]));
    job.tenant_idx = tenant;
    job.submit_s = *start;
    job.duration_s = *end - *start;
    const double total_gpus = static_cast<double>(*inst) * *plan_gpu / kPercentPerGpu;
    if (total_gpus < 1) {
      job.gpus = 1;
      job.gpu_milli = std::max(1, static_cast<int32_t>(std::lround(total_gpus * kWholeGpuMilli)));
    } else {
      job.gpus = static_cast<int32_t>(std::min(1e6, std::ceil(total_gpus - 1e-9)));
    }
    const std::string_view type = detail::TrimView(f[9]);
    if (!type.empty() && type != "MISC") {
      auto idx = trace.TypeIndex(type);
      if (!idx) return idx.error();
      job.allowed_mask = uint64_t{1} << *idx;
    }
    trace.jobs.push_back(std::move(job));
  }
  if (num_cpu_only > 0) {
    trace.notes.push_back(fmt::format("{} tasks without GPUs skipped", num_cpu_only));
  }
  if (num_unfinished > 0) {
    trace.notes.push_back(
        fmt::format("{} tasks without a valid start and end time skipped", num_unfinished));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace));
  const double t0 = trace.jobs.front().submit_s;
  for (Job& j : trace.jobs) j.submit_s -= t0;
  return trace;
}

}  // namespace gpuplan::trace
