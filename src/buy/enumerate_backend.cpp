// Brute force over every integer point inside the column bounds: the reference tests hold the
// CBC backend (and the formulation) to on small instances.
#include <fmt/format.h>

#include <cmath>

#include "buy/buy.h"

namespace gpuplan::buy {

namespace {

// Feasibility tolerance on row activities, relative to the bound.
constexpr double kRowTol = 1e-9;

class EnumerationBackend : public MilpBackend {
 public:
  explicit EnumerationBackend(double max_points) : max_points_(max_points) {}
  std::string_view name() const override { return "enumeration"; }

  Result<MilpSolution> Solve(const MilpModel& m, double /*time_limit_s*/,
                             double /*relative_gap*/) override {
    double points = 1;
    std::vector<long> lo, hi;
    for (const MilpColumn& c : m.columns) {
      if (!c.is_integer) {
        return Error{fmt::format("enumeration: column '{}' is continuous", c.name)};
      }
      if (!std::isfinite(c.lower) || !std::isfinite(c.upper)) {
        return Error{fmt::format("enumeration: column '{}' is unbounded", c.name)};
      }
      lo.push_back(static_cast<long>(std::ceil(c.lower)));
      hi.push_back(static_cast<long>(std::floor(c.upper)));
      points *= static_cast<double>(std::max(0L, hi.back() - lo.back() + 1));
      if (points > max_points_) {
        return Error{fmt::format("enumeration: more than {} points", max_points_)};
      }
    }
    MilpSolution best;
    best.status = MilpStatus::kInfeasible;
    std::vector<double> x(lo.begin(), lo.end());
    const size_t n = x.size();
    if (points == 0) return best;
    while (true) {
      if (Feasible(m, x)) {
        double obj = m.objective_offset;
        for (size_t j = 0; j < n; ++j) obj += m.columns[j].cost * x[j];
        const bool better = best.status == MilpStatus::kInfeasible ||
                            (m.is_maximize ? obj > best.objective : obj < best.objective);
        if (better) {
          best.status = MilpStatus::kOptimal;
          best.objective = best.best_bound = obj;
          best.values = x;
        }
      }
      // Odometer increment.
      size_t j = 0;
      while (j < n && x[j] >= static_cast<double>(hi[j])) {
        x[j] = static_cast<double>(lo[j]);
        ++j;
      }
      if (j == n) break;
      x[j] += 1;
    }
    return best;
  }

 private:
  static bool Feasible(const MilpModel& m, const std::vector<double>& x) {
    for (const MilpRow& r : m.rows) {
      double a = 0;
      for (const auto& [c, v] : r.terms) a += v * x[static_cast<size_t>(c)];
      const double tol_up = kRowTol * std::max(1.0, std::fabs(r.upper));
      const double tol_lo = kRowTol * std::max(1.0, std::fabs(r.lower));
      if (a > r.upper + tol_up || a < r.lower - tol_lo) return false;
    }
    return true;
  }

  double max_points_;
};

}  // namespace

std::unique_ptr<MilpBackend> MakeEnumerationBackend(double max_points) {
  return std::make_unique<EnumerationBackend>(max_points);
}

}  // namespace gpuplan::buy
