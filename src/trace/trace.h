// trace: job traces in and out of gpuplan. Readers for the gpuplan CSV (DESIGN), the Alibaba
// openb 2023 pod and node lists, the Alibaba PAI 2020 task table, the Standard Workload Format
// (SWF) of the Parallel Workloads Archive and Slurm's `sacct --parsable2` accounting records; a
// writer for the gpuplan CSV; a seeded synthetic generator (tenants by class, Poisson or diurnal
// arrivals, lognormal durations, a GPU-count mix); and summary statistics. Readers return a clear
// Error naming file, line and field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "units/units.h"

namespace gpuplan::trace {

enum class TraceFormat { kGpuplan, kPai2020, kOpenb, kSwf, kSacct };
std::string_view ToString(TraceFormat f);
// "gpuplan", "pai2020", "openb", "swf", "sacct"; unknown names list the valid ones.
Result<TraceFormat> ParseTraceFormat(std::string_view text);
std::vector<std::string> TraceFormatNames();

enum class TenantClass { kUnclassified, kStartup, kAcademia, kIndustry, kPublic };
std::string_view ToString(TenantClass c);
Result<TenantClass> ParseTenantClass(std::string_view text);
// The class a tenant name starts with ("startup-3" -> kStartup), else kUnclassified.
TenantClass TenantClassFromName(std::string_view name);

// A tenant of the center. quota_gpus = 0: no quota.
struct Tenant {
  std::string name = {};
  TenantClass tenant_class = TenantClass::kUnclassified;
  double share_weight = 1;
  int quota_gpus = 0;
};

inline constexpr int kWholeGpuMilli = 1000;

// One job as read from a trace. Accelerator types are indices into Trace::type_names. Fields are
// ordered so that a job takes 96 bytes, without padding (traces hold millions).
struct Job {
  std::string id = {};        // as in the trace
  double submit_s = 0;        // since the trace's start (readers shift the first job to 0)
  double duration_s = 0;      // run time on `measured_on_idx` (or the reference type if -1)
  double estimate_s = 0;      // user's runtime estimate; 0: none (policies then use duration_s)
  uint64_t allowed_mask = 0;  // bit i: may run on type_names[i]; 0: any type
  int64_t line = 0;           // line in the source file, for messages
  int32_t tenant_idx = 0;     // into Trace::tenants
  int32_t gpus = 1;           // whole GPUs (1 for a fractional job)
  // Share of each GPU; < 1000: the job is `gpus` shares of one GPU each (instances), on any GPUs.
  int32_t gpu_milli = kWholeGpuMilli;
  int32_t measured_on_idx = -1;
  int32_t priority = 0;
  int32_t instances = 1;  // PAI's num_inst (SimConfig::metrics_per_instance weighs by it)
};

inline constexpr int kMaxTypes = 64;  // allowed_mask is a 64-bit set

struct Trace {
  std::string source = {};                   // path or "generated"
  std::vector<Job> jobs = {};                // sorted by (submit_s, file order)
  std::vector<Tenant> tenants = {};          // in order of first appearance
  std::vector<std::string> type_names = {};  // accelerator types the trace names
  std::vector<std::string> notes = {};       // what a reader skipped or assumed, and how often
  // Index of a type name, adding it if new. Error past kMaxTypes types.
  Result<int32_t> TypeIndex(std::string_view name);
  int32_t TenantIndex(std::string_view name);  // adds an unclassified tenant if new (hashed)

  // TenantIndex's index of `tenants` by name (transparent lookup by string_view).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, NameHash, std::equal_to<>> tenant_lookup_ = {};
};

// Readers; `path` also names the input in messages. ReadTrace streams the file (memory: the jobs,
// about 100 bytes each, plus the longest line; not the file's text).
Result<Trace> ReadTrace(const std::string& path, TraceFormat format);

// Receives a trace's jobs one at a time as StreamTrace reads them, in file order. `trace` holds
// the tenants, types and notes read so far (no jobs); times are already shifted as ReadTrace's
// are. An error stops the read.
class JobSink {
 public:
  virtual ~JobSink() = default;
  virtual Result<void> Add(const Trace& trace, const Job& job) = 0;
};
// ReadTrace without holding the jobs (memory: 8 bytes a job for the repeated-id check): each job
// goes to `sink` as it is read, and the Trace returned has no jobs. Only a trace that ReadTrace
// would accept with the jobs in the order read (sorted by submit time in the file) streams; for
// any other, an error of the sink included, the Error says only that it did not stream, and
// ReadTrace gives the answer (the jobs sorted, or the error that names file, line and field).
Result<Trace> StreamTrace(const std::string& path, TraceFormat format, JobSink& sink);
Result<Trace> ParseTrace(std::string_view text, const std::string& path, TraceFormat format);

// gpuplan CSV: header required, `job_id,tenant,submit_s,gpus,duration_s` and optional
// `accelerator`, `allowed` ("a|b"), `priority`, `gpu_milli`, `time_limit_s` (the user's runtime
// estimate, as Slurm's time limit; `estimate_s` is read as its old name); any column order.
Result<Trace> ParseGpuplanCsv(std::string_view text, const std::string& path);
std::string WriteGpuplanCsv(const Trace& trace);

// Alibaba openb 2023 pod list (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,
// pod_phase,creation_time,deletion_time,scheduled_time`). Duration = deletion - creation.
// CPU-only pods (num_gpu 0) are skipped and counted in notes. Tenant = qos class.
Result<Trace> ParseOpenbPods(std::string_view text, const std::string& path);
// One row of openb_node_list_*.csv (`sn,cpu_milli,memory_mib,gpu,model`).
struct OpenbNode {
  std::string name = {};
  int gpus = 0;
  std::string model = {};  // "" for CPU-only nodes
};
Result<std::vector<OpenbNode>> ReadOpenbNodes(const std::string& path);
Result<std::vector<OpenbNode>> ParseOpenbNodes(std::string_view text, const std::string& path);

// Alibaba PAI 2020 task table (pai_task_table.csv, no header): job_name,task_name,inst_num,
// status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type; plan_gpu in percent of a GPU
// per instance. One job per row (a task); tenant = job_name's... see pai2020.cpp. Also the
// job-level table the PAI 2020 simulator reads (header required, any column order, other columns
// ignored): job_id,num_inst,submit_time,num_cpu,num_gpu,gpu_type,duration,user; num_gpu is the
// job's GPUs over all instances, fractional shares kept per instance.
Result<Trace> ParsePai2020(std::string_view text, const std::string& path);

// SWF (Feitelson's Standard Workload Format): 18 whitespace-separated fields, ';' comments.
// Processors are read as GPUs (field 5, else field 8); tenant = user id (field 12).
Result<Trace> ParseSwf(std::string_view text, const std::string& path);

// Slurm accounting: the output of `sacct --parsable2 --allocations --format=JobID,User,Account,
// Partition,Submit,Start,End,Elapsed,AllocTRES,ReqTRES,Timelimit,State` ('|'-separated, header
// required, columns in any order; JobID, Submit, Start, State, End or Elapsed, AllocTRES or
// ReqTRES, Account or User are required). GPUs = `gres/gpu=N` of AllocTRES (else ReqTRES; else
// the sum of `gres/gpu:<type>=N`); submit times are ISO 8601 shifted so the first job is at 0;
// duration = End - Start (Elapsed while End is unknown); estimate = Timelimit (0 if UNLIMITED);
// tenant = Account, else User. Skipped and counted in notes: jobs without GPUs, jobs that never
// started (pending, or cancelled before they started), End <= Start, and step rows.
Result<Trace> ParseSacct(std::string_view text, const std::string& path);

// The synthetic generator. Arrivals per tenant are Poisson with the tenant's rate, or diurnal
// (rate * (1 + amplitude * sin(2 pi t / day)), by thinning); durations lognormal with the given
// median and sigma (of log), clamped to [min, max]; GPUs drawn from the mix.
enum class ArrivalPattern { kPoisson, kDiurnal };
std::string_view ToString(ArrivalPattern p);
Result<ArrivalPattern> ParseArrivalPattern(std::string_view text);

struct GpuCountWeight {
  int gpus = 1;
  double weight = 1;
};

struct TenantDemand {
  Tenant tenant = {};
  double jobs_per_day = 0;
  ArrivalPattern arrivals = ArrivalPattern::kPoisson;
  double diurnal_amplitude = 0.6;  // in [0, 1]
  double duration_median_s = 3600;
  double duration_sigma = 1.5;  // of ln(duration)
  double duration_min_s = 60;
  double duration_max_s = 14 * 86400.0;
  std::vector<GpuCountWeight> gpu_mix = {};  // empty: 1 GPU
  std::string accelerator = {};              // type durations are measured on; "": reference
  std::vector<std::string> allowed = {};     // types its jobs may run on; empty: any
  // Piecewise-constant rate: from `from_s` on, `jobs_per_day` (replacing the constant rate
  // above); sorted by from_s. Empty: jobs_per_day throughout.
  struct RateStep {
    double from_s = 0;
    double jobs_per_day = 0;
  };
  std::vector<RateStep> rate_steps = {};
};

// Mean GPU-hours of one job of `d` (mean GPU count x mean clamped lognormal duration).
double MeanGpuHoursPerJob(const TenantDemand& d);

struct GeneratorSpec {
  std::vector<TenantDemand> tenants = {};
  double horizon_s = 7 * 86400.0;  // arrivals in [0, horizon)
  uint64_t seed = 1;
};

// Typical demand of a class (duration median, sigma, GPU mix), from the shapes of published
// traces (see generator.cpp), for `jobs_per_day` jobs a day.
TenantDemand DefaultDemand(TenantClass c, std::string name, double jobs_per_day);
// "startup:4,academia:6" -> that many tenants per class, named "<class>-<i>", sharing
// total_jobs_per_day equally.
Result<std::vector<TenantDemand>> ParseTenantMix(std::string_view text, double total_jobs_per_day);
// "1:0.5,8:0.3,64:0.2" -> GPU-count mix.
Result<std::vector<GpuCountWeight>> ParseGpuMix(std::string_view text);

Result<Trace> Generate(const GeneratorSpec& spec);

// Summary statistics of a trace.
struct Distribution {
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};
Distribution Summarize(std::vector<double> values);  // all 0 if empty

struct SizeCount {
  int gpus = 0;
  int64_t num_jobs = 0;
  double gpu_hours = 0;
};

struct TraceStats {
  int64_t num_jobs = 0;
  int64_t num_tenants = 0;
  int64_t num_fractional = 0;  // jobs sharing a GPU
  double span_s = 0;           // last submit - first submit
  double gpu_hours = 0;        // sum gpus * milli/1000 * duration
  Distribution duration_s = {};
  Distribution gpus = {};
  Distribution interarrival_s = {};
  std::vector<SizeCount> by_size = {};  // ascending GPUs
};
TraceStats ComputeStats(const Trace& trace);

}  // namespace gpuplan::trace
