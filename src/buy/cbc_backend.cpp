// The only file that includes COIN-OR: MilpModel -> OsiClp + CbcModel, solved through CbcMain1
// (the cbc command-line driver) so preprocessing, cuts and heuristics run as in `cbc`.
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <coin/CbcModel.hpp>
#include <coin/CbcSolver.hpp>
#include <coin/CoinPackedMatrix.hpp>
#include <coin/OsiClpSolverInterface.hpp>

#include "buy/buy.h"

namespace gpuplan::buy {

namespace {

int NoCallback(CbcModel*, int) { return 0; }

// CbcMain0/CbcMain1 read their arguments through libCbcSolver's globals (CbcOrClpRead_mode,
// CbcOrClpReadCommand, cbcPreProcessPointer), so two solves at once (a threaded sweep) would race.
// The one static state in gpuplan, and only a lock: solves stay independent and deterministic.
std::mutex& CbcDriverMutex() {
  static std::mutex mutex;
  return mutex;
}

// CBC's own infinity: COIN_DBL_MAX; ours is IEEE infinity.
double ToCoin(double v) {
  if (std::isinf(v)) return v > 0 ? COIN_DBL_MAX : -COIN_DBL_MAX;
  return v;
}

// A model without columns: every row is a constant 0; feasible iff each row admits 0.
MilpSolution SolveEmpty(const MilpModel& m) {
  MilpSolution s;
  for (const MilpRow& r : m.rows) {
    if (r.lower > 0 || r.upper < 0) {
      s.status = MilpStatus::kInfeasible;
      return s;
    }
  }
  s.status = MilpStatus::kOptimal;
  s.objective = s.best_bound = m.objective_offset;
  return s;
}

class CbcBackend : public MilpBackend {
 public:
  std::string_view name() const override { return "cbc"; }

  Result<MilpSolution> Solve(const MilpModel& m, double time_limit_s,
                             double relative_gap) override {
    if (m.columns.empty()) return SolveEmpty(m);
    try {
      return SolveOrThrow(m, time_limit_s, relative_gap);
    } catch (const CoinError& e) {
      return Error{fmt::format("cbc failed: {} ({})", e.message(), e.methodName())};
    } catch (const std::exception& e) {
      return Error{fmt::format("cbc failed: {}", e.what())};
    }
  }

 private:
  static Result<MilpSolution> SolveOrThrow(const MilpModel& m, double time_limit_s,
                                           double relative_gap) {
    const int nc = static_cast<int>(m.columns.size());
    CoinPackedMatrix matrix(false, 0, 0);  // row-ordered
    matrix.setDimensions(0, nc);
    std::vector<double> row_lo, row_up;
    for (const MilpRow& r : m.rows) {
      std::vector<int> idx;
      std::vector<double> val;
      for (const auto& [c, v] : r.terms) {
        idx.push_back(c);
        val.push_back(v);
      }
      matrix.appendRow(static_cast<int>(idx.size()), idx.data(), val.data());
      row_lo.push_back(ToCoin(r.lower));
      row_up.push_back(ToCoin(r.upper));
    }
    std::vector<double> col_lo, col_up, obj;
    for (const MilpColumn& c : m.columns) {
      col_lo.push_back(ToCoin(c.lower));
      col_up.push_back(ToCoin(c.upper));
      obj.push_back(c.cost);
    }
    OsiClpSolverInterface solver;
    solver.messageHandler()->setLogLevel(0);
    solver.loadProblem(matrix, col_lo.data(), col_up.data(), obj.data(), row_lo.data(),
                       row_up.data());
    solver.setObjSense(m.is_maximize ? -1.0 : 1.0);
    for (int j = 0; j < nc; ++j) {
      if (m.columns[static_cast<size_t>(j)].is_integer) solver.setInteger(j);
    }
    CbcModel model(solver);
    model.setLogLevel(0);
    model.messageHandler()->setLogLevel(0);
    const std::lock_guard<std::mutex> lock(CbcDriverMutex());
    CbcSolverUsefulData data;
    data.noPrinting_ = true;
    CbcMain0(model, data);
    const std::string sec = fmt::format("{}", std::max(0.01, time_limit_s));
    const std::string gap = fmt::format("{}", std::max(0.0, relative_gap));
    // Single-threaded: the same model gives the same answer, run after run.
    const char* argv[] = {"gpuplan", "-log", "0", "-sec", sec.c_str(), "-ratioGap", gap.c_str(),
                          "-solve", "-quit"};
    CbcMain1(static_cast<int>(std::size(argv)), argv, model, NoCallback, data);

    MilpSolution s;
    // A model that preprocessing solves outright has a best solution but a solution count of 0.
    if (model.bestSolution() != nullptr && !model.isProvenInfeasible()) {
      const double* x = model.bestSolution();
      s.values.assign(x, x + nc);
      // Recompute the objective from the solution (CBC knows nothing of the offset).
      double obj_value = m.objective_offset;
      for (int j = 0; j < nc; ++j) obj_value += m.columns[static_cast<size_t>(j)].cost * x[j];
      s.objective = obj_value;
      // getBestPossibleObjValue is in the model's own sense, like getObjValue.
      const double bound = model.getBestPossibleObjValue();
      s.best_bound = std::isfinite(bound) && std::fabs(bound) < 1e40 ? bound + m.objective_offset
                                                                      : s.objective;
      // Neither side may pass the incumbent: a bound on the wrong side is rounding.
      if (m.is_maximize ? s.best_bound < s.objective : s.best_bound > s.objective) {
        s.best_bound = s.objective;
      }
      const double gap_now =
          std::fabs(s.objective - s.best_bound) / std::max(1e-9, std::fabs(s.objective));
      // CBC 2.10: status 0 means the search finished (to optimality or to the requested gap);
      // 1 means it stopped on the time limit, when only the gap says how good the answer is.
      const bool finished = model.status() == 0;
      s.status = finished || gap_now <= relative_gap ? MilpStatus::kOptimal : MilpStatus::kFeasible;
      return s;
    }
    if (model.isProvenInfeasible() || (model.status() == 0 && model.secondaryStatus() != 4) ||
        model.secondaryStatus() == 1) {
      s.status = MilpStatus::kInfeasible;
    } else {
      s.status = MilpStatus::kNoSolution;
    }
    return s;
  }
};

}  // namespace

std::unique_ptr<MilpBackend> MakeCbcBackend() { return std::make_unique<CbcBackend>(); }

}  // namespace gpuplan::buy
