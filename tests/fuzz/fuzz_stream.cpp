// libFuzzer target: the streaming trace reader (trace::StreamTrace, which `simulate --trace`
// feeds to sim::StreamedSimulation, falling back to the whole read when it does not stream)
// against the whole read (ParseTrace) of the same text. Byte 0 picks the format and a block size
// (as fuzz_trace), byte 1 a job at which the sink refuses (>= 64: none), the rest is the trace.
// Invariants, never a crash:
// - a stream that succeeds gave the whole read's jobs, in its order, field for field, and the
//   same tenants, types and notes (what a simulation of either would see);
// - each job reached the sink with its tenant and types already in the trace, and tenants and
//   types never changed after a job used them (the simulator binds them as jobs come);
// - a stream that fails says it does not stream, passes on the sink's error, or gives the
//   whole read's own error; a sink that refuses always stops the stream.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "trace/csv_util.h"
#include "trace/trace.h"
#include "trace_input.h"
#include "units/units.h"

namespace {

using gpuplan::fuzz::Require;

bool SameTenant(const gpuplan::trace::Tenant& a, const gpuplan::trace::Tenant& b) {
  return a.name == b.name && a.tenant_class == b.tenant_class && a.share_weight == b.share_weight &&
         a.quota_gpus == b.quota_gpus;
}

bool SameJob(const gpuplan::trace::Job& a, const gpuplan::trace::Job& b) {
  return a.id == b.id && a.submit_s == b.submit_s && a.duration_s == b.duration_s &&
         a.estimate_s == b.estimate_s && a.allowed_mask == b.allowed_mask && a.line == b.line &&
         a.tenant_idx == b.tenant_idx && a.gpus == b.gpus && a.gpu_milli == b.gpu_milli &&
         a.measured_on_idx == b.measured_on_idx && a.priority == b.priority &&
         a.instances == b.instances;
}

constexpr char kRefused[] = "the fuzz sink refuses this job";

// Keeps each job and what the trace held when it came.
class Sink : public gpuplan::trace::JobSink {
 public:
  explicit Sink(int refuse_at) : refuse_at_(refuse_at) {}
  gpuplan::Result<void> Add(const gpuplan::trace::Trace& trace,
                            const gpuplan::trace::Job& job) override {
    Require(trace.jobs.empty(), "a streamed trace holds no jobs");
    Require(job.tenant_idx >= 0 && static_cast<size_t>(job.tenant_idx) < trace.tenants.size(),
            "a streamed job's tenant is in the trace");
    const size_t types = trace.type_names.size();
    Require(job.measured_on_idx >= -1 && job.measured_on_idx < static_cast<int32_t>(types),
            "a streamed job's type is in the trace");
    Require(types >= 64 || (job.allowed_mask >> types) == 0, "allowed types are in the trace");
    Require(jobs.empty() || jobs.back().submit_s <= job.submit_s, "streamed in submit order");
    if (static_cast<int>(jobs.size()) == refuse_at_) {
      refused = true;
      return gpuplan::Error{kRefused};
    }
    jobs.push_back(job);
    tenants_seen.push_back(trace.tenants);
    types_seen.push_back(trace.type_names);
    return gpuplan::Ok{};
  }

  std::vector<gpuplan::trace::Job> jobs;
  std::vector<std::vector<gpuplan::trace::Tenant>> tenants_seen;  // per job, when it came
  std::vector<std::vector<std::string>> types_seen;
  bool refused = false;

 private:
  int refuse_at_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gpuplan;
  if (size < 2) return 0;
  const auto [format, block] = fuzz::DecodeTraceByte(data[0]);
  const int refuse_at = data[1] < 64 ? data[1] : -1;
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);

  auto whole = trace::ParseTrace(text, "fuzz.csv", format);
  Sink sink(refuse_at);
  auto source = trace::detail::LineSource::Blocks(text, block);
  auto streamed = trace::detail::StreamTrace(*source, "fuzz.csv", format, sink);

  if (sink.refused) Require(!streamed, "a refusing sink stops the stream");
  if (!streamed) {
    const std::string& why = streamed.error().message;
    const bool refusal = why == "the trace does not stream" || (sink.refused && why == kRefused);
    Require(refusal || (!whole && why == whole.error().message),
            "a stream fails by refusing or with the whole read's error");
    return 0;
  }
  Require(whole.has_value(), "what streams reads whole");
  Require(streamed->jobs.empty(), "the streamed trace holds no jobs");
  Require(sink.jobs.size() == whole->jobs.size(), "the same number of jobs");
  for (size_t i = 0; i < sink.jobs.size(); ++i) {
    Require(SameJob(sink.jobs[i], whole->jobs[i]), "the same jobs, in the same order");
    const auto& tenants = sink.tenants_seen[i];
    Require(tenants.size() <= whole->tenants.size(), "no tenant dropped");
    for (size_t t = 0; t < tenants.size(); ++t) {
      Require(SameTenant(tenants[t], whole->tenants[t]), "a tenant unchanged once used");
    }
    const auto& types = sink.types_seen[i];
    Require(types.size() <= whole->type_names.size(), "no type dropped");
    for (size_t t = 0; t < types.size(); ++t) {
      Require(types[t] == whole->type_names[t], "a type unchanged once used");
    }
  }
  Require(streamed->tenants.size() == whole->tenants.size(), "the same tenants");
  for (size_t t = 0; t < whole->tenants.size(); ++t) {
    Require(SameTenant(streamed->tenants[t], whole->tenants[t]), "the same tenants");
  }
  Require(streamed->type_names == whole->type_names, "the same types");
  Require(streamed->notes == whole->notes, "the same notes");
  Require(streamed->source == whole->source, "the same source");
  return 0;
}
