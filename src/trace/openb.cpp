// Alibaba openb 2023 (cluster-trace-gpu-v2023): pod list and node list, read by column name.
// Source: github.com/alibaba/clusterdata, cluster-trace-gpu-v2023/csv; Weng et al., "Beware of
// Fragmentation", USENIX ATC'23.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {

using detail::FieldError;
using detail::FieldPos;

// Maps header names to positions; errors name the first missing required column.
template <size_t N>
Result<std::vector<int>> MapColumns(detail::CsvReader& reader, const std::string& path,
                                    const std::array<std::string_view, N>& names,
                                    size_t num_required, size_t& num_fields,
                                    std::vector<std::string>& notes, std::string_view what) {
  std::vector<std::string_view> fields;
  auto got = reader.Next(fields);
  if (!got) return got.error();
  if (!*got) return Error{fmt::format("{}: empty {} (no header)", path, what)};
  auto header = detail::MapHeader(fields, {names.begin(), names.end()}, /*ignore_case=*/false, path,
                                  reader.line(), notes);
  if (!header) return header.error();
  num_fields = header->num_fields;
  for (size_t c = 0; c < num_required; ++c) {
    if (header->col[c] < 0) {
      return Error{fmt::format("{}:{}: header lacks the required column '{}'", path, reader.line(),
                               names[c])};
    }
  }
  return header->col;
}

enum PodColumn {
  kName,
  kNumGpu,
  kGpuMilli,
  kCreation,
  kDeletion,
  kGpuSpec,
  kQos,
  kPhase,
  kScheduled,
  kCpuMilli,  // known, not used
  kMemory,
  kNumPodColumns
};
constexpr std::array<std::string_view, kNumPodColumns> kPodColumns = {
    "name", "num_gpu",   "gpu_milli",      "creation_time", "deletion_time", "gpu_spec",
    "qos",  "pod_phase", "scheduled_time", "cpu_milli",     "memory_mib"};
constexpr size_t kNumPodRequired = 5;

}  // namespace

Result<Trace> ParseOpenbPods(std::string_view text, const std::string& path) {
  detail::LineSource source(text);
  return detail::ParseOpenbPods(source, path);
}

Result<Trace> detail::ParseOpenbPods(LineSource& source, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::CsvReader reader(source, ',', path);
  size_t num_fields = 0;
  auto col_or =
      MapColumns(reader, path, kPodColumns, kNumPodRequired, num_fields, trace.notes, "pod list");
  if (!col_or) return col_or.error();
  const std::vector<int> col = *col_or;
  std::vector<std::string_view> fields;
  int64_t num_cpu_only = 0, num_nonpositive = 0, num_never_scheduled = 0;
  while (true) {
    auto more = reader.Next(fields);
    if (!more) return more.error();
    if (!*more) break;
    const int64_t ln = reader.line();
    GPUPLAN_TRY(detail::CheckFieldCount(fields.size(), num_fields, path, ln));
    auto field = [&](PodColumn c) {
      return col[c] < 0 ? std::string_view()
                        : detail::TrimView(fields[static_cast<size_t>(col[c])]);
    };
    auto pos = [&](PodColumn c) { return FieldPos{path, ln, kPodColumns[c]}; };
    auto num_gpu = detail::ParseInt(field(kNumGpu), pos(kNumGpu));
    if (!num_gpu) return num_gpu.error();
    if (*num_gpu < 0 || *num_gpu > 1'000'000) {
      return FieldError(pos(kNumGpu), "must be in [0, 1000000]", field(kNumGpu));
    }
    auto milli = detail::ParseInt(field(kGpuMilli), pos(kGpuMilli));
    if (!milli) return milli.error();
    if (*milli < 0 || *milli > kWholeGpuMilli) {
      return FieldError(pos(kGpuMilli), "must be in [0, 1000]", field(kGpuMilli));
    }
    bool iso = false;
    auto creation = detail::ParseTimeS(field(kCreation), pos(kCreation), iso);
    if (!creation) return creation.error();
    GPUPLAN_TRY(detail::CheckTraceTime(*creation, pos(kCreation), field(kCreation)));
    auto deletion = detail::ParseTimeS(field(kDeletion), pos(kDeletion), iso);
    if (!deletion) return deletion.error();
    GPUPLAN_TRY(detail::CheckTraceTime(*deletion, pos(kDeletion), field(kDeletion)));
    if (*num_gpu == 0 || *milli == 0) {
      ++num_cpu_only;  // a CPU pod: nothing for a GPU simulator to place
      continue;
    }
    // Run time is deletion - scheduled (the trace's own wait excluded); pods never scheduled
    // (Pending) asked for deletion - creation.
    double start = *creation;
    if (!field(kScheduled).empty()) {
      auto scheduled = detail::ParseTimeS(field(kScheduled), pos(kScheduled), iso);
      if (!scheduled) return scheduled.error();
      GPUPLAN_TRY(detail::CheckTraceTime(*scheduled, pos(kScheduled), field(kScheduled)));
      start = *scheduled;
    } else if (col[kScheduled] >= 0) {
      ++num_never_scheduled;
    }
    if (*deletion - start <= 0) {
      ++num_nonpositive;
      continue;
    }
    Job job;
    job.line = ln;
    job.id = std::string(field(kName));
    job.tenant_idx = trace.TenantIndex(field(kQos).empty() ? "default" : field(kQos));
    job.submit_s = *creation;
    job.duration_s = *deletion - start;
    job.gpus = static_cast<int32_t>(*num_gpu);
    // A share of one GPU only for single-GPU pods; multi-GPU pods take whole GPUs.
    job.gpu_milli = job.gpus == 1 ? static_cast<int32_t>(*milli) : kWholeGpuMilli;
    const std::string_view spec = field(kGpuSpec);
    if (!spec.empty()) {
      std::vector<std::string_view> names;
      detail::SplitFields(spec, '|', names);
      for (std::string_view n : names) {
        auto idx = trace.TypeIndex(detail::TrimView(n));
        if (!idx) return idx.error();
        job.allowed_mask |= uint64_t{1} << *idx;
      }
    }
    GPUPLAN_TRY(detail::AddJob(trace, source, std::move(job)));
  }
  if (num_cpu_only > 0) {
    trace.notes.push_back(fmt::format("{} CPU-only pods (num_gpu 0) skipped", num_cpu_only));
  }
  if (num_nonpositive > 0) {
    trace.notes.push_back(
        fmt::format("{} pods with deletion_time <= start skipped (no run time)", num_nonpositive));
  }
  if (num_never_scheduled > 0) {
    trace.notes.push_back(
        fmt::format("{} pods never scheduled (Pending): replayed for deletion - creation",
                    num_never_scheduled));
  }
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/false, &source));
  return trace;
}

Result<std::vector<OpenbNode>> ParseOpenbNodes(std::string_view text, const std::string& path) {
  detail::LineSource source(text);
  return detail::ParseOpenbNodes(source, path);
}

Result<std::vector<OpenbNode>> detail::ParseOpenbNodes(LineSource& source,
                                                       const std::string& path) {
  enum NodeColumn { kSn, kGpu, kModel, kNodeCpu, kNodeMemory, kNumNodeColumns };
  constexpr std::array<std::string_view, kNumNodeColumns> kNodeColumns = {
      "sn", "gpu", "model", "cpu_milli", "memory_mib"};
  constexpr size_t kNumNodeRequired = 3;
  detail::CsvReader reader(source, ',', path);
  size_t num_fields = 0;
  std::vector<std::string> notes;
  auto col_or =
      MapColumns(reader, path, kNodeColumns, kNumNodeRequired, num_fields, notes, "node list");
  if (!col_or) return col_or.error();
  const std::vector<int> col = *col_or;
  std::vector<OpenbNode> nodes;
  std::vector<std::string_view> fields;
  std::unordered_map<std::string, int64_t> seen;
  while (true) {
    auto more = reader.Next(fields);
    if (!more) return more.error();
    if (!*more) break;
    const int64_t ln = reader.line();
    GPUPLAN_TRY(detail::CheckFieldCount(fields.size(), num_fields, path, ln));
    if (static_cast<int64_t>(nodes.size()) >= kMaxNodes) {
      return Error{fmt::format("{}:{}: more than {} nodes, the limit", path, ln, kMaxNodes)};
    }
    auto field = [&](NodeColumn c) {
      return detail::TrimView(fields[static_cast<size_t>(col[c])]);
    };
    auto gpus = detail::ParseInt(field(kGpu), FieldPos{path, ln, "gpu"});
    if (!gpus) return gpus.error();
    if (*gpus < 0 || *gpus > 1024) {
      return FieldError(FieldPos{path, ln, "gpu"}, "must be in [0, 1024]", field(kGpu));
    }
    if (*gpus > 0 && field(kModel).empty()) {
      return FieldError(FieldPos{path, ln, "model"}, "must name the GPU model of a GPU node", "");
    }
    const auto [it, fresh] = seen.emplace(std::string(field(kSn)), ln);
    if (!fresh && !field(kSn).empty()) {
      return FieldError(
          FieldPos{path, ln, "sn"},
          fmt::format("repeats the node of line {} (names must be unique)", it->second),
          field(kSn));
    }
    nodes.push_back(OpenbNode{.name = std::string(field(kSn)),
                              .gpus = static_cast<int>(*gpus),
                              .model = std::string(field(kModel))});
  }
  if (nodes.empty()) return Error{fmt::format("{}: the node list has no nodes", path)};
  return nodes;
}

Result<std::vector<OpenbNode>> ReadOpenbNodes(const std::string& path) {
  auto source = detail::LineSource::Open(path);
  if (!source) return source.error();
  return detail::ParseOpenbNodes(**source, path);
}

}  // namespace gpuplan::trace
