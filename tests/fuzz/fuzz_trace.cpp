// libFuzzer target: every trace reader. The first byte picks the format and a block size; a parsed
// trace must hold the readers' invariants, reading through blocks (as files are streamed) must
// give what reading the text in memory gives, and a gpuplan CSV must read back what it writes.
#include <cstdint>
#include <string>
#include <unordered_set>

#include "trace/csv_util.h"
#include "trace/trace.h"
#include "trace_input.h"
#include "units/units.h"

using gpuplan::fuzz::Require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gpuplan;
  if (size < 1) return 0;
  const auto [format, block_bytes] = fuzz::DecodeTraceByte(data[0]);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto t = trace::ParseTrace(text, "fuzz.csv", format);
  auto blocks = trace::detail::LineSource::Blocks(text, block_bytes);
  auto streamed = trace::detail::ParseTrace(*blocks, "fuzz.csv", format);
  Require(t.has_value() == streamed.has_value(), "streamed as in memory");
  if (!t) {
    Require(streamed.error().message == t.error().message, "the same error streamed");
    Require(t.error().message.find("fuzz.csv") != std::string::npos, "error names the file");
    return 0;
  }
  Require(!t->jobs.empty(), "a trace has jobs");
  std::unordered_set<std::string> ids;
  for (size_t i = 0; i < t->jobs.size(); ++i) {
    const trace::Job& j = t->jobs[i];
    Require(i == 0 || t->jobs[i - 1].submit_s <= j.submit_s, "sorted by submit");
    Require(j.submit_s >= 0 && j.submit_s <= kMaxTimeS, "submit in range");
    Require(j.duration_s > 0 && j.duration_s <= kMaxTimeS, "duration in range");
    Require(j.gpus >= 1 && j.gpus <= 1'000'000, "gpus in range");
    Require(j.gpu_milli >= 1 && j.gpu_milli <= trace::kWholeGpuMilli, "milli in range");
    Require(j.tenant_idx >= 0 && static_cast<size_t>(j.tenant_idx) < t->tenants.size(), "tenant");
    Require(j.id.empty() || ids.insert(j.id).second, "unique ids");
    Require(streamed->jobs[i].line == j.line, "the same lines streamed");
  }
  Require(trace::WriteGpuplanCsv(*streamed) == trace::WriteGpuplanCsv(*t) &&
              streamed->notes == t->notes,
          "the same trace streamed");
  if (format == trace::TraceFormat::kGpuplan) {
    const std::string csv = trace::WriteGpuplanCsv(*t);
    auto back = trace::ParseGpuplanCsv(csv, "fuzz.csv");
    Require(back.has_value(), "the written CSV reads back");
    Require(back->jobs.size() == t->jobs.size(), "same jobs after a round trip");
    Require(trace::WriteGpuplanCsv(*back) == csv, "the round trip is exact");
  }
  return 0;
}
