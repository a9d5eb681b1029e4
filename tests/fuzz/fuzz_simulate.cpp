// libFuzzer target: a gpuplan CSV through the simulator on a small cluster with failures, with
// the engine's invariant checks on: every job ends completed or unschedulable.
#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "sim/sim.h"
#include "trace/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gpuplan;
  static const catalog::Catalog* cat = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto t = trace::ParseGpuplanCsv(text, "fuzz.csv");
  if (!t || t->jobs.size() > 200) return 0;
  const char* policies[] = {"fifo", "sjf", "easy", "fairshare", "las"};
  auto spec = sim::ParseClusterSpec("h100-sxm5-80gb:2x8,h200-sxm-141gb:1x8", *cat);
  if (!spec) abort();
  sim::SimConfig config;
  config.cluster = *spec;
  config.policy = policies[data[0] % 5];
  config.check_invariants = true;
  if (data[0] & 8) config.failures.gpu_mtbf_s = 200 * 3600.0;
  if (data[0] & 16) config.failures.checkpoint_interval_s = 0;
  if (data[0] & 32) config.timeline_interval_s = 600;
  auto r = sim::Simulate(*t, config);
  if (!r) {
    if (r.error().message.empty()) abort();
    return 0;
  }
  if (r->jobs != static_cast<int64_t>(t->jobs.size()) ||
      r->completed + r->unschedulable_count != r->jobs) {
    fprintf(stderr, "jobs %lld completed %lld unschedulable %lld\n",
            static_cast<long long>(r->jobs), static_cast<long long>(r->completed),
            static_cast<long long>(r->unschedulable_count));
    abort();
  }
  return 0;
}
