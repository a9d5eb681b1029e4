#include <gtest/gtest.h>

#include <cmath>

#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

GeneratorSpec OneTenant(ArrivalPattern arrivals, double jobs_per_day, double days) {
  TenantDemand d = DefaultDemand(TenantClass::kAcademia, "academia-1", jobs_per_day);
  d.arrivals = arrivals;
  return GeneratorSpec{.tenants = {d}, .horizon_s = days * 86400, .seed = 9};
}

TEST(Generate, PoissonCountAndLognormalMedian) {
  auto t = Generate(OneTenant(ArrivalPattern::kPoisson, 2000, 20));
  ASSERT_TRUE(t) << t.error().message;
  // Expected 40,000 arrivals; Poisson sd = 200, so within 3 sd.
  EXPECT_NEAR(static_cast<double>(t->jobs.size()), 40000, 600);
  std::vector<double> d;
  for (const Job& j : t->jobs) d.push_back(j.duration_s);
  // Median of a lognormal is exp(mu) = 1 h for academia (clamping at 60 s and 14 d leaves the
  // median alone); the sample median's sd here is about 1.3%.
  EXPECT_NEAR(Summarize(d).p50, 3600, 0.05 * 3600);
}

TEST(Generate, DiurnalRateFollowsTheDay) {
  auto t = Generate(OneTenant(ArrivalPattern::kDiurnal, 4000, 20));
  ASSERT_TRUE(t);
  // rate(t) = r (1 + 0.6 sin(2 pi t / day)): the first half-day gets r/2 (1 + 0.6 * 2/pi) of a
  // day's jobs per day, the second r/2 (1 - 0.6 * 2/pi); their ratio is (1 + 1.2/pi)/(1 - 1.2/pi).
  double first = 0, second = 0;
  for (const Job& j : t->jobs) {
    (std::fmod(j.submit_s, 86400) < 43200 ? first : second) += 1;
  }
  const double expected = (1 + 1.2 / M_PI) / (1 - 1.2 / M_PI);
  EXPECT_NEAR(first / second, expected, 0.05 * expected);
}

TEST(Generate, SameSeedSameTraceAndTenantsIndependent) {
  GeneratorSpec spec = OneTenant(ArrivalPattern::kPoisson, 500, 3);
  auto a = Generate(spec);
  auto b = Generate(spec);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(WriteGpuplanCsv(*a), WriteGpuplanCsv(*b));
  // Adding a tenant leaves the first tenant's jobs unchanged (its own Rng stream).
  spec.tenants.push_back(DefaultDemand(TenantClass::kIndustry, "industry-1", 100));
  auto c = Generate(spec);
  ASSERT_TRUE(c);
  std::vector<double> first_a, first_c;
  for (const Job& j : a->jobs) first_a.push_back(j.submit_s);
  for (const Job& j : c->jobs) {
    if (j.tenant_idx == 0) first_c.push_back(j.submit_s);
  }
  EXPECT_EQ(first_a, first_c);
}

TEST(ParseTenantMix, SplitsTheRate) {
  auto mix = ParseTenantMix("startup:2,public:1", 300);
  ASSERT_TRUE(mix);
  ASSERT_EQ(mix->size(), 3u);
  EXPECT_EQ((*mix)[2].tenant.name, "public-1");
  EXPECT_DOUBLE_EQ((*mix)[0].jobs_per_day, 100);
  EXPECT_FALSE(ParseTenantMix("startup:0", 1));
  auto bad = ParseTenantMix("startups:2", 1);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("did you mean 'startup'"), std::string::npos);
}

TEST(ParseGpuMix, Parses) {
  auto mix = ParseGpuMix("1:0.5,8:0.5");
  ASSERT_TRUE(mix);
  EXPECT_EQ((*mix)[1].gpus, 8);
  EXPECT_FALSE(ParseGpuMix("1:0"));
  EXPECT_FALSE(ParseGpuMix("0:1"));
  EXPECT_FALSE(ParseGpuMix("8"));
}

}  // namespace
}  // namespace gpuplan::trace
