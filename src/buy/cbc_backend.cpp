// The only file that includes COIN-OR: MilpModel -> OsiClp + CbcModel, solved through CbcMain1
// (the cbc command-line driver) so preprocessing, cuts and heuristics run as in `cbc`; and the
// model written and read as LP or MPS by COIN-OR's own CoinLpIO and CoinMpsIO.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <coin/CbcModel.hpp>
#include <coin/CbcSolver.hpp>
#include <coin/CoinMpsIO.hpp>
#include <coin/CoinPackedMatrix.hpp>
#include <coin/OsiClpSolverInterface.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

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

// Loads `m` into `solver`, silenced.
void LoadModel(const MilpModel& m, OsiClpSolverInterface& solver) {
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
  solver.messageHandler()->setLogLevel(0);
  solver.loadProblem(matrix, col_lo.data(), col_up.data(), obj.data(), row_lo.data(),
                     row_up.data());
  solver.setObjSense(m.is_maximize ? -1.0 : 1.0);
  for (int j = 0; j < nc; ++j) {
    if (m.columns[static_cast<size_t>(j)].is_integer) solver.setInteger(j);
  }
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
    OsiClpSolverInterface solver;
    LoadModel(m, solver);
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
    const char* argv[] = {"gpuplan",   "-log",      "0",      "-sec", sec.c_str(),
                          "-ratioGap", gap.c_str(), "-solve", "-quit"};
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

namespace {

// CoinLpIO refuses names with spaces, operators or a leading digit or '.', and longer than 100
// characters; MPS names may not hold spaces. So: [A-Za-z0-9_] kept, runs of anything else made
// one '_', "c" before a leading digit, cut to 90, and a suffix where two names would collide.
std::vector<std::string> FileNames(const std::vector<std::string>& names, char fallback) {
  constexpr size_t kMaxName = 90;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string n;
    for (const char c : names[i]) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        n += c;
      } else if (!n.empty() && n.back() != '_') {
        n += '_';
      }
    }
    while (!n.empty() && n.back() == '_') n.pop_back();
    if (n.empty()) n = fmt::format("{}{}", fallback, i);
    if (std::isdigit(static_cast<unsigned char>(n.front()))) n = "c" + n;
    if (n.size() > kMaxName) n.resize(kMaxName);
    std::string unique = n;
    for (int k = 2; !seen.insert(unique).second; ++k) unique = fmt::format("{}_{}", n, k);
    out.push_back(std::move(unique));
  }
  return out;
}

constexpr const char* kConstantColumn = "objective_constant";

}  // namespace

Result<void> WriteMilpFile(const MilpModel& model, const std::string& path, MilpFileFormat format) {
  // Neither format has an objective constant that every reader takes: a column fixed at 1
  // carries it, so any solver's objective value is gpuplan's.
  MilpModel m = model;
  if (m.objective_offset != 0) {
    m.columns.push_back(
        {.name = kConstantColumn, .lower = 1, .upper = 1, .cost = m.objective_offset});
    m.objective_offset = 0;
  }
  std::vector<std::string> col_names, row_names;
  for (const MilpColumn& c : m.columns) col_names.push_back(c.name);
  for (const MilpRow& r : m.rows) row_names.push_back(r.name);
  col_names = FileNames(col_names, 'x');
  row_names.push_back("objective");  // CoinLpIO takes the objective's name after the rows'
  row_names = FileNames(row_names, 'r');
  std::vector<const char*> cols, rows;
  for (const auto& n : col_names) cols.push_back(n.c_str());
  for (const auto& n : row_names) rows.push_back(n.c_str());
  // COIN-OR writes to a file name: a unique scratch file beside the target (mkstemp, removed on
  // a signal), read back, then the target atomically. Osi's LP writer exits the process when it
  // cannot open its file: the scratch file exists and is writable before it is called.
  auto scratch = ScratchFile::Create(path);
  if (!scratch) return scratch.error();
  const std::string tmp = (*scratch)->path();
  int rc = 0;
  try {
    OsiClpSolverInterface solver;
    LoadModel(m, solver);
    if (format == MilpFileFormat::kLp) {
      // CoinLpIO writes a minimization: a maximization becomes minimizing its negation.
      constexpr double kIntegerEpsilon = 1e-12;
      constexpr int kTermsPerLine = 8;
      constexpr int kDecimals = 15;
      constexpr double kKeepSense = 1.0;
      rc = solver.writeLpNative(tmp.c_str(), rows.data(), cols.data(), kIntegerEpsilon,
                                kTermsPerLine, kDecimals, kKeepSense);
    } else {
      // CoinMpsIO itself (OsiClp's writeMpsNative drops the names), minimizing as the LP does.
      const int nc = solver.getNumCols();
      std::vector<double> obj(solver.getObjCoefficients(), solver.getObjCoefficients() + nc);
      if (m.is_maximize) {
        for (double& c : obj) c = -c;
      }
      std::vector<char> integrality(static_cast<size_t>(nc));
      for (int j = 0; j < nc; ++j) integrality[static_cast<size_t>(j)] = solver.isInteger(j);
      CoinMpsIO writer;
      writer.messageHandler()->setLogLevel(0);
      writer.setMpsData(*solver.getMatrixByCol(), COIN_DBL_MAX, solver.getColLower(),
                        solver.getColUpper(), obj.data(), integrality.data(), solver.getRowLower(),
                        solver.getRowUpper(), cols.data(), rows.data());
      constexpr int kPlainText = 0;
      constexpr int kExtraAccuracy = 1;
      constexpr int kValuesPerLine = 2;
      rc = writer.writeMps(tmp.c_str(), kPlainText, kExtraAccuracy, kValuesPerLine);
    }
  } catch (const CoinError& e) {
    return IoError(fmt::format("{}: cannot write: {}", path, e.message()));
  }
  auto body = ReadFile(tmp);
  if (rc != 0 || !body) return IoError(fmt::format("{}: cannot write", path));
  const bool is_lp = format == MilpFileFormat::kLp;
  const char* mark = is_lp ? "\\" : "*";
  const auto integers = std::count_if(m.columns.begin(), m.columns.end(),
                                      [](const MilpColumn& c) { return c.is_integer; });
  std::string header = fmt::format(
      "{0} gpuplan purchase MILP (buy/model.cpp numbers its constraints): {1} columns ({2} "
      "integer), {3} rows.\n"
      "{0} Sense: {4}.\n"
      "{0} Names are gpuplan's with characters LP and MPS refuse made '_'.\n",
      mark, m.columns.size(), integers, m.rows.size(),
      m.is_maximize ? "maximize, written as minimizing the negated objective" : "minimize");
  if (model.objective_offset != 0) {
    header += fmt::format("{} Column {} (fixed at 1) carries the objective's constant, {}.\n", mark,
                          kConstantColumn, model.objective_offset);
  }
  return WriteFileAtomic(path, header + *body);
}

Result<MilpModel> ReadMilpFile(const std::string& path, MilpFileFormat format) {
  OsiClpSolverInterface solver;
  solver.messageHandler()->setLogLevel(0);
  int rc = 0;
  try {
    rc = format == MilpFileFormat::kLp ? solver.readLp(path.c_str())
                                       : solver.readMps(path.c_str(), "");
  } catch (const CoinError& e) {
    return Error{fmt::format("{}: COIN-OR cannot read it: {}", path, e.message()),
                 ErrorKind::kBadInput};
  }
  if (rc != 0) {
    return Error{fmt::format("{}: COIN-OR cannot read it ({} errors)", path, rc),
                 ErrorKind::kBadInput};
  }
  const auto from_coin = [](double v) {
    return v >= COIN_DBL_MAX ? kInf : v <= -COIN_DBL_MAX ? -kInf : v;
  };
  MilpModel m;
  m.is_maximize = solver.getObjSense() < 0;
  for (int j = 0; j < solver.getNumCols(); ++j) {
    m.columns.push_back({.name = solver.getColName(j),
                         .lower = from_coin(solver.getColLower()[j]),
                         .upper = from_coin(solver.getColUpper()[j]),
                         .cost = solver.getObjCoefficients()[j],
                         .is_integer = solver.isInteger(j)});
  }
  const CoinPackedMatrix* by_row = solver.getMatrixByRow();
  for (int i = 0; i < solver.getNumRows(); ++i) {
    MilpRow r{.name = solver.getRowName(i),
              .lower = from_coin(solver.getRowLower()[i]),
              .upper = from_coin(solver.getRowUpper()[i])};
    const CoinShallowPackedVector v = by_row->getVector(i);
    for (int k = 0; k < v.getNumElements(); ++k) {
      r.terms.emplace_back(v.getIndices()[k], v.getElements()[k]);
    }
    m.rows.push_back(std::move(r));
  }
  return m;
}

}  // namespace gpuplan::buy
