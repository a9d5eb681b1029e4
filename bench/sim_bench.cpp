// Simulator speed: one million jobs on 100,000 GPUs (two accelerator types, mixed sizes) under
// every policy, and the real Alibaba openb trace under every policy. Counters: events, events
// per second (wall), jobs, page_faults (minor faults during the runs: each costs microseconds on
// a virtual machine, so they show what the memory layout costs). Peak memory: bench/sim.sh runs
// each case in its own process under /usr/bin/time. Run: build/release/bench/sim_bench
// [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "catalog/catalog.h"
#include "sim/sim.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan {
namespace {

constexpr int kMillion = 1'000'000;

// 1M jobs, 50,000 H100 + 50,000 MI300X GPUs, offered load about 0.95: the mix below averages
// about 11 GPUs and ~3 GPU-hours of reference time per job (lognormal, median 1 h, sigma 1.5).
const trace::Trace& MillionJobs() {
  static const trace::Trace t = [] {
    trace::TenantDemand d = trace::DefaultDemand(trace::TenantClass::kIndustry, "industry-1", 0);
    d.duration_median_s = 3600;
    d.duration_sigma = 1.5;
    d.duration_max_s = 7 * 86400.0;
    d.gpu_mix = {{1, 0.5}, {2, 0.1}, {4, 0.1}, {8, 0.2}, {16, 0.05}, {64, 0.04}, {512, 0.01}};
    trace::GeneratorSpec spec{.horizon_s = 11 * 86400.0, .seed = 1};
    for (int i = 0; i < 10; ++i) {
      trace::TenantDemand ti = d;
      ti.tenant.name = "tenant-" + std::to_string(i);
      ti.jobs_per_day = kMillion / 11.0 / 10;
      spec.tenants.push_back(ti);
    }
    return *trace::Generate(spec);
  }();
  return t;
}

sim::ClusterSpec HundredThousandGpus() {
  auto cat = catalog::Catalog::LoadDefault();
  return *sim::ParseClusterSpec("h100-sxm5-80gb:6250x8,mi300x:6250x8", *cat);
}

int64_t MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Call once per iteration; events_per_s is the total over iterations / their wall time.
void Report(benchmark::State& state, const sim::SimResult& r) {
  state.counters["events"] = static_cast<double>(r.events);
  const double total = state.counters["events_per_s"].value + static_cast<double>(r.events);
  state.counters["events_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["jobs"] = static_cast<double>(r.jobs);
  state.counters["utilization"] = r.utilization;
  state.counters["avg_wait_h"] = r.waits.avg_wait_s / 3600;
}

void BM_MillionJobs(benchmark::State& state, const char* policy) {
  const trace::Trace& t = MillionJobs();
  const sim::SimConfig config{
      .cluster = HundredThousandGpus(), .policy = policy, .record_jobs = false};
  const int64_t faults = MinorFaults();
  for (auto _ : state) {
    auto r = sim::Simulate(t, config);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    Report(state, *r);
  }
  state.counters["page_faults"] = static_cast<double>(MinorFaults() - faults);
}
#define MILLION(policy)                              \
  BENCHMARK_CAPTURE(BM_MillionJobs, policy, #policy) \
      ->Unit(benchmark::kMillisecond)                \
      ->Iterations(1)                                \
      ->UseRealTime()
MILLION(fifo);
MILLION(sjf);
MILLION(easy);
MILLION(fairshare);
MILLION(las);
MILLION(firstfit);

// The openb default trace (7,063 GPU pods) on its own 1,213-node, 6,212-GPU cluster, and on 64
// H100s (8 x 8), where it queues.
void BM_Openb(benchmark::State& state, const char* policy, bool small) {
  const std::string dir = DefaultSharedDir() + "/traces/alibaba-openb-2023";
  auto t = trace::ReadTrace(dir + "/openb_pod_list_default.csv", trace::TraceFormat::kOpenb);
  auto nodes = trace::ReadOpenbNodes(dir + "/openb_node_list_gpu_node.csv");
  if (!t || !nodes) {
    state.SkipWithError("openb trace not found");
    return;
  }
  sim::SimConfig config{.policy = policy};
  if (small) {
    auto cat = catalog::Catalog::LoadDefault();
    config.cluster = *sim::ParseClusterSpec("h100-sxm5-80gb:8x8", *cat);
  } else {
    config.cluster = *sim::ClusterFromOpenbNodes(*nodes);
  }
  for (auto _ : state) {
    auto r = sim::Simulate(*t, config);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    Report(state, *r);
  }
}
#define OPENB(policy)                                               \
  BENCHMARK_CAPTURE(BM_Openb, policy##_own_cluster, #policy, false) \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime();                                              \
  BENCHMARK_CAPTURE(BM_Openb, policy##_64_h100, #policy, true)      \
      ->Unit(benchmark::kMillisecond)                               \
      ->UseRealTime()
OPENB(fifo);
OPENB(sjf);
OPENB(easy);
OPENB(fairshare);
OPENB(las);
OPENB(firstfit);

}  // namespace
}  // namespace gpuplan

// BENCHMARK_MAIN, run as the CLI runs: with malloc on huge pages (units.h says why).
int main(int argc, char** argv) {
  gpuplan::ReexecWithHugePages(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
