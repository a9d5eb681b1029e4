// Alibaba PAI 2020 task table (cluster-trace-gpu-v2020, pai_task_table.csv; Weng et al., "MLaaS
// in the Wild", NSDI'22). No header; fields: job_name,task_name,inst_num,status,start_time,
// end_time,plan_cpu,plan_mem,plan_gpu,gpu_type. plan_gpu is percent of one GPU per instance.
// The task table has no user column, so every task belongs to tenant "pai"; submit = start_time
// (the task table records no queueing), shifted so the first task starts at 0. Instances that
// each use part of a GPU stay shares (gpus = inst_num, gpu_milli = plan_gpu x 10), not rounded.
// A file whose first line names the columns job_id, num_gpu, submit_time and duration is the
// PAI 2020 simulator's job-level table instead (ParsePaiJobTable).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {
constexpr size_t kNumPaiFields = 10;
constexpr double kPercentPerGpu = 100;

// `instances` instances using `gpus_total` GPUs in all: whole GPUs as a gang, or one share of a
// GPU per instance when each uses less than one.
void SetGpus(Job& job, int64_t instances, double gpus_total) {
  const double per_instance = gpus_total / static_cast<double>(instances);
  job.instances = static_cast<int32_t>(std::min<int64_t>(instances, 1'000'000));
  if (per_instance < 1) {
    job.gpus = job.instances;
    job.gpu_milli = std::clamp(static_cast<int32_t>(std::lround(per_instance * kWholeGpuMilli)), 1,
                               kWholeGpuMilli);
  } else {
    job.gpus = static_cast<int32_t>(std::min(1e6, std::ceil(gpus_total - 1e-9)));
  }
}

// Appends a job of either table; its gpu_type (empty or "MISC": any type) restricts it to one.
Result<void> AddPaiJob(Trace& trace, const detail::LineSource& source, Job&& job,
                       std::string_view type) {
  if (!type.empty() && type != "MISC") {
    auto idx = trace.TypeIndex(type);
    if (!idx) return idx.error();
    job.allowed_mask = uint64_t{1} << *idx;
  }
  return detail::AddJob(trace, source, std::move(job));
}

// The simulator's job table (cluster-trace-gpu-v2020/simulator): one job per row.
Result<Trace> ParsePaiJobTable(detail::LineSource& source, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::LineReader lines(source);
  std::string_view line;
  std::vector<std::string_view> f;
  if (auto first = lines.Next(line); !first) return first.error();
  detail::SplitFields(line, ',', f);
  std::vector<std::string> header;
  for (std::string_view h : f) header.emplace_back(detail::TrimView(h));
  auto col = [&](std::string_view name) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  const int c_id = col("job_id"), c_inst = col("num_inst"), c_submit = col("submit_time"),
            c_gpu = col("num_gpu"), c_type = col("gpu_type"), c_dur = col("duration"),
            c_user = col("user");
  int64_t num_cpu_only = 0, num_zero_duration = 0;
  while (true) {
    auto more = lines.Next(line);
    if (!more) return more.error();
    if (!*more) break;
    if (detail::TrimView(line).empty()) continue;
    const int64_t ln = lines.line_number();
    detail::SplitFields(line, ',', f);
    if (f.size() != header.size()) {
      return Error{fmt::format("{}:{}: expected {} fields (as the header), got {}", path, ln,
                               header.size(), f.size())};
    }
    auto field = [&](int c) { return c >= 0 ? detail::TrimView(f[static_cast<size_t>(c)]) : ""; };
    auto gpus = detail::ParseDouble(field(c_gpu), {path, ln, "num_gpu"});
    if (!gpus) return gpus.error();
    if (*gpus < 0 || !std::isfinite(*gpus)) {
      return detail::FieldError({path, ln, "num_gpu"}, "must be >= 0", field(c_gpu));
    }
    if (*gpus == 0) {
      ++num_cpu_only;
      continue;
    }
    int64_t inst = 1;
    if (c_inst >= 0 && !field(c_inst).empty()) {
      auto v = detail::ParseDouble(field(c_inst), {path, ln, "num_inst"});
      if (!v) return v.error();
      if (!(*v >= 1) || *v > 1e6) {
        return detail::FieldError({path, ln, "num_inst"}, "must be in [1, 1e6]", field(c_inst));
      }
      inst = std::llround(*v);
    }
    auto submit = detail::ParseDouble(field(c_submit), {path, ln, "submit_time"});
    if (!submit) return submit.error();
    auto duration = detail::ParseDouble(field(c_dur), {path, ln, "duration"});
    if (!duration) return duration.error();
    if (*submit < 0 || !std::isfinite(*submit)) {
      return detail::FieldError({path, ln, "submit_time"}, "must be >= 0", field(c_submit));
    }
    if (*duration < 0 || !std::isfinite(*duration)) {
      return detail::FieldError({path, ln, "duration"}, "must be >= 0", field(c_dur));
    }
    Job job;
    job.line = ln;
    job.id = std::string(field(c_id));
    const std::string_view user = field(c_user);
    job.tenant_idx = trace.TenantIndex(user.empty() ? "pai" : user);
    job.submit_s = *submit;
    if (*duration < 1) ++num_zero_duration;
    job.duration_s = std::max(1.0, *duration);  // the PAI simulator runs these for 1 s
    SetGpus(job, inst, *gpus);
    GPUPLAN_TRY(AddPaiJob(trace, source, std::move(job), field(c_type)));
  }
  if (num_cpu_only > 0) {
    trace.notes.push_back(fmt::format("{} jobs without GPUs skipped", num_cpu_only));
  }
  if (num_zero_duration > 0) {
    trace.notes.push_back(
        fmt::format("{} jobs shorter than 1 s run 1 s (as the PAI simulator)", num_zero_duration));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/true, &source));
  return trace;
}

// The job table's header names these columns; the task table has no header.
bool IsJobTable(std::string_view first) {
  for (std::string_view name : {"job_id", "num_gpu", "submit_time", "duration"}) {
    bool found = false;
    for (size_t pos = 0; pos <= first.size();) {
      size_t end = first.find(',', pos);
      if (end == std::string_view::npos) end = first.size();
      found |= detail::TrimView(first.substr(pos, end - pos)) == name;
      pos = end + 1;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Result<Trace> ParsePai2020(std::string_view text, const std::string& path) {
  detail::LineSource source(text);
  return detail::ParsePai2020(source, path);
}

Result<Trace> detail::ParsePai2020(LineSource& source, const std::string& path) {
  std::string_view line;
  auto first = source.Next(line);
  if (!first) return first.error();
  const bool job_table = *first && IsJobTable(line);
  GPUPLAN_TRY(source.Rewind());
  if (job_table) return ParsePaiJobTable(source, path);
  Trace trace;
  trace.source = path;
  detail::LineReader lines(source);
  std::vector<std::string_view> f;
  int64_t num_cpu_only = 0, num_unfinished = 0;
  const int32_t tenant = trace.TenantIndex("pai");
  while (true) {
    auto more = lines.Next(line);
    if (!more) return more.error();
    if (!*more) break;
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
    SetGpus(job, *inst, static_cast<double>(*inst) * *plan_gpu / kPercentPerGpu);
    GPUPLAN_TRY(AddPaiJob(trace, source, std::move(job), detail::TrimView(f[9])));
  }
  if (num_cpu_only > 0) {
    trace.notes.push_back(fmt::format("{} tasks without GPUs skipped", num_cpu_only));
  }
  if (num_unfinished > 0) {
    trace.notes.push_back(
        fmt::format("{} tasks without a valid start and end time skipped", num_unfinished));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/true, &source));
  return trace;
}

}  // namespace gpuplan::trace
