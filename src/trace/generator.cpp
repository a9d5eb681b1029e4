// The seeded synthetic workload generator.
//
// Per tenant, arrivals are a Poisson process of rate r = jobs_per_day / 86400 s, or a diurnal
// non-homogeneous Poisson process of rate r * (1 + a * sin(2 pi t / 86400)) drawn by thinning
// (Lewis and Shedler 1979): candidates at rate r * (1 + a), each kept with probability
// (1 + a sin(.)) / (1 + a). Durations are lognormal, ln(d) ~ N(ln(median), sigma^2), clamped.
// Each tenant draws from its own Rng stream ("tenant/<name>"), so adding a tenant never shifts
// another's jobs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {}  // namespace

std::string_view ToString(ArrivalPattern p) {
  return p == ArrivalPattern::kPoisson ? "poisson" : "diurnal";
}

Result<ArrivalPattern> ParseArrivalPattern(std::string_view text) {
  if (text == "poisson") return ArrivalPattern::kPoisson;
  if (text == "diurnal") return ArrivalPattern::kDiurnal;
  return Error{UnknownNameMessage("arrival pattern", text, {"poisson", "diurnal"})};
}

// Class shapes. These are planning assumptions shaped like published GPU-cluster traces:
// Microsoft Philly (Jeon et al., ATC'19: most jobs use 1 GPU, run times heavy-tailed over
// minutes to weeks) and Alibaba PAI 2020 (Weng et al., NSDI'22: median task minutes to hours).
// Industry tenants run larger, longer training jobs; academia many small short ones.
TenantDemand DefaultDemand(TenantClass c, std::string name, double jobs_per_day) {
  TenantDemand d;
  d.tenant = Tenant{.name = std::move(name), .tenant_class = c};
  d.jobs_per_day = jobs_per_day;
  switch (c) {
    case TenantClass::kStartup:
      d.duration_median_s = 2 * kSecondsPerHour;
      d.duration_sigma = 1.5;
      d.gpu_mix = {{1, 0.35}, {2, 0.1}, {4, 0.15}, {8, 0.3}, {16, 0.07}, {32, 0.03}};
      break;
    case TenantClass::kAcademia:
      d.duration_median_s = 1 * kSecondsPerHour;
      d.duration_sigma = 1.8;
      d.gpu_mix = {{1, 0.6}, {2, 0.1}, {4, 0.1}, {8, 0.15}, {16, 0.04}, {32, 0.01}};
      break;
    case TenantClass::kIndustry:
      d.duration_median_s = 4 * kSecondsPerHour;
      d.duration_sigma = 1.6;
      d.gpu_mix = {{1, 0.2}, {8, 0.4}, {16, 0.2}, {64, 0.15}, {256, 0.05}};
      break;
    case TenantClass::kPublic:
    case TenantClass::kUnclassified:
      d.duration_median_s = 2 * kSecondsPerHour;
      d.duration_sigma = 1.4;
      d.gpu_mix = {{1, 0.5}, {4, 0.2}, {8, 0.25}, {32, 0.05}};
      break;
  }
  return d;
}

Result<std::vector<TenantDemand>> ParseTenantMix(std::string_view text, double total_jobs_per_day) {
  std::vector<std::pair<TenantClass, int64_t>> counts;
  std::vector<std::string_view> items, kv;
  detail::SplitFields(text, ',', items);
  int64_t total = 0;
  for (std::string_view item : items) {
    detail::SplitFields(detail::TrimView(item), ':', kv);
    if (kv.size() != 2) {
      return Error{
          fmt::format("--tenants: expected class:count items such as "
                      "'startup:4,academia:6', got '{}'",
                      item)};
    }
    auto c = ParseTenantClass(detail::TrimView(kv[0]));
    if (!c) return Error{"--tenants: " + c.error().message};
    const std::string path = "--tenants";
    auto n = detail::ParseInt(kv[1], {path, 0, "count"});
    if (!n || *n < 1 || *n > 10000) {
      return Error{
          fmt::format("--tenants: count must be an integer in [1, 10000], got '{}'", kv[1])};
    }
    counts.emplace_back(*c, *n);
    total += *n;
  }
  if (!(total_jobs_per_day > 0)) return Error{"--tenants: the job rate must be > 0"};
  std::vector<TenantDemand> out;
  for (const auto& [c, n] : counts) {
    for (int64_t i = 0; i < n; ++i) {
      out.push_back(DefaultDemand(c, fmt::format("{}-{}", ToString(c), i + 1),
                                  total_jobs_per_day / static_cast<double>(total)));
    }
  }
  return out;
}

Result<std::vector<GpuCountWeight>> ParseGpuMix(std::string_view text) {
  std::vector<GpuCountWeight> mix;
  std::vector<std::string_view> items, kv;
  detail::SplitFields(text, ',', items);
  const std::string path = "--gpu-mix";
  for (std::string_view item : items) {
    detail::SplitFields(detail::TrimView(item), ':', kv);
    if (kv.size() != 2) {
      return Error{
          fmt::format("--gpu-mix: expected gpus:weight items such as '1:0.5,8:0.5', got "
                      "'{}'",
                      item)};
    }
    auto g = detail::ParseInt(kv[0], {path, 0, "gpus"});
    auto w = detail::ParseDouble(kv[1], {path, 0, "weight"});
    if (!g || *g < 1 || *g > 1'000'000) {
      return Error{fmt::format("--gpu-mix: GPU count must be in [1, 1000000], got '{}'", kv[0])};
    }
    if (!w || *w < 0) return Error{fmt::format("--gpu-mix: weight must be >= 0, got '{}'", kv[1])};
    mix.push_back({static_cast<int>(*g), *w});
  }
  double sum = 0;
  for (const auto& m : mix) sum += m.weight;
  if (!(sum > 0)) return Error{"--gpu-mix: some weight must be > 0"};
  return mix;
}

double MeanGpuHoursPerJob(const TenantDemand& d) {
  double gpus = 1;
  if (!d.gpu_mix.empty()) {
    double sum = 0, weights = 0;
    for (const auto& m : d.gpu_mix) {
      sum += m.gpus * m.weight;
      weights += m.weight;
    }
    gpus = weights > 0 ? sum / weights : 1;
  }
  // E[clamp(X, a, b)] for X lognormal(mu, sigma): the clamped tails plus the partial mean.
  const double mu = std::log(d.duration_median_s);
  const double sigma = d.duration_sigma;
  const double a = d.duration_min_s, b = d.duration_max_s;
  double mean_s = d.duration_median_s;
  if (sigma > 0) {
    auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); };
    const double za = (std::log(a) - mu) / sigma, zb = (std::log(b) - mu) / sigma;
    mean_s = a * cdf(za) + b * (1 - cdf(zb)) +
             std::exp(mu + sigma * sigma / 2) * (cdf(zb - sigma) - cdf(za - sigma));
  } else {
    mean_s = std::clamp(mean_s, a, b);
  }
  return gpus * mean_s / kSecondsPerHour;
}

Result<Trace> Generate(const GeneratorSpec& spec) {
  if (spec.tenants.empty()) return Error{"generator: no tenants"};
  if (!(spec.horizon_s > 0)) return Error{"generator: the horizon must be > 0 s"};
  Trace trace;
  trace.source = "generated";
  const Rng root(spec.seed);
  std::vector<double> weights;
  for (const TenantDemand& d : spec.tenants) {
    if (d.tenant.name.empty()) return Error{"generator: a tenant has no name"};
    if (!(d.jobs_per_day >= 0)) {
      return Error{fmt::format("generator: tenant '{}': jobs_per_day must be >= 0", d.tenant.name)};
    }
    if (!(d.duration_median_s > 0) || !(d.duration_sigma >= 0) ||
        !(d.duration_min_s <= d.duration_max_s)) {
      return Error{
          fmt::format("generator: tenant '{}': durations need median > 0, sigma >= 0, "
                      "min <= max",
                      d.tenant.name)};
    }
    if (d.diurnal_amplitude < 0 || d.diurnal_amplitude > 1) {
      return Error{fmt::format("generator: tenant '{}': diurnal amplitude must be in [0, 1]",
                               d.tenant.name)};
    }
    const int32_t tenant_idx = trace.TenantIndex(d.tenant.name);
    trace.tenants[static_cast<size_t>(tenant_idx)] = d.tenant;
    int32_t measured_on = -1;
    if (!d.accelerator.empty()) {
      auto idx = trace.TypeIndex(d.accelerator);
      if (!idx) return idx.error();
      measured_on = *idx;
    }
    uint64_t allowed_mask = 0;
    for (const std::string& type : d.allowed) {
      auto idx = trace.TypeIndex(type);
      if (!idx) return idx.error();
      allowed_mask |= uint64_t{1} << *idx;
    }
    // The peak of the piecewise rate: arrivals are drawn at it and thinned to the step's rate.
    double peak_per_day = d.rate_steps.empty() ? d.jobs_per_day : 0;
    for (const auto& step : d.rate_steps) {
      if (!(step.jobs_per_day >= 0) || !std::isfinite(step.jobs_per_day)) {
        return Error{
            fmt::format("generator: tenant '{}': a rate step must be >= 0", d.tenant.name)};
      }
      peak_per_day = std::max(peak_per_day, step.jobs_per_day);
    }
    if (peak_per_day == 0) continue;
    weights.clear();
    for (const auto& m : d.gpu_mix) weights.push_back(m.weight);
    Rng rng = root.Fork("tenant/" + d.tenant.name);
    const double rate_per_s = peak_per_day / kSecondsPerDay;
    const bool diurnal = d.arrivals == ArrivalPattern::kDiurnal;
    const double max_rate = diurnal ? rate_per_s * (1 + d.diurnal_amplitude) : rate_per_s;
    const double mu = std::log(d.duration_median_s);
    size_t step_idx = 0;
    double t = 0;
    while (true) {
      t += rng.Exponential(max_rate);
      if (t >= spec.horizon_s) break;
      if (!d.rate_steps.empty()) {
        // Steps are sorted, and t only grows.
        while (step_idx + 1 < d.rate_steps.size() && d.rate_steps[step_idx + 1].from_s <= t) {
          ++step_idx;
        }
        const double rate = t < d.rate_steps[0].from_s ? 0 : d.rate_steps[step_idx].jobs_per_day;
        if (rng.Uniform01() >= rate / peak_per_day) continue;
      }
      if (diurnal) {
        const double phase = 2 * std::numbers::pi * t / kSecondsPerDay;
        const double keep = (1 + d.diurnal_amplitude * std::sin(phase)) / (1 + d.diurnal_amplitude);
        if (rng.Uniform01() >= keep) continue;
      }
      Job job;
      job.tenant_idx = tenant_idx;
      job.submit_s = t;
      job.duration_s =
          std::clamp(rng.LogNormal(mu, d.duration_sigma), d.duration_min_s, d.duration_max_s);
      job.gpus = d.gpu_mix.empty() ? 1 : d.gpu_mix[rng.Weighted(weights)].gpus;
      job.measured_on_idx = measured_on;
      job.allowed_mask = allowed_mask;
      trace.jobs.push_back(std::move(job));
    }
  }
  GPUPLAN_TRY(detail::FinishTrace(trace));
  for (size_t i = 0; i < trace.jobs.size(); ++i) trace.jobs[i].id = fmt::format("j{}", i + 1);
  return trace;
}

}  // namespace gpuplan::trace
