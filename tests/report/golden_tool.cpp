// report_golden: keeps tests/golden/<scenario>/report.json (gpuplan's own report of a scenario,
// the renderer's fixture) free of machine detail, and tells when it no longer matches gpuplan.
//   report_golden normalize IN.json OUT.json ROOT
//       writes IN without machine detail: scenario.path relative to ROOT, wall_s dropped
//   report_golden compare GOLDEN.json FRESH.json ROOT
//       exit 0 when FRESH, normalized, equals GOLDEN (numbers within a relative 1e-9); else
//       prints the first differences and how to update the golden, exit 1
// Exit 2 on bad arguments or unreadable files.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "units/units.h"

namespace {

using Json = nlohmann::ordered_json;

constexpr double kRelativeTolerance = 1e-9;
constexpr size_t kMaxDifferences = 20;

gpuplan::Result<Json> Load(const std::string& path) {
  auto text = gpuplan::ReadFile(path);
  if (!text) return text.error();
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return gpuplan::Error{path + ": not valid JSON"};
  return j;
}

// Machine detail out: the same scenario gives the same document on every checkout.
Json Normalize(Json report, const std::string& root) {
  report.erase("wall_s");
  if (report.contains("scenario") && report["scenario"].is_object() &&
      report["scenario"].contains("path") && report["scenario"]["path"].is_string()) {
    const std::filesystem::path path = report["scenario"]["path"].get<std::string>();
    report["scenario"]["path"] = std::filesystem::relative(path, root).generic_string();
  }
  return report;
}

bool SameNumber(double a, double b) {
  return a == b || std::fabs(a - b) <= kRelativeTolerance * std::max(std::fabs(a), std::fabs(b));
}

void Diff(const Json& a, const Json& b, const std::string& where, std::vector<std::string>& out) {
  if (out.size() >= kMaxDifferences) return;
  if (a.is_number() && b.is_number()) {
    if (!SameNumber(a.get<double>(), b.get<double>())) {
      out.push_back(where + ": " + a.dump() + " -> " + b.dump());
    }
    return;
  }
  if (a.type() != b.type()) {
    out.push_back(where + ": " + a.type_name() + " -> " + b.type_name());
    return;
  }
  if (a.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key)) {
        out.push_back(where + "." + key + ": removed");
      } else {
        Diff(value, b[key], where + "." + key, out);
      }
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) out.push_back(where + "." + key + ": added");
    }
    return;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      out.push_back(where + ": " + std::to_string(a.size()) + " -> " + std::to_string(b.size()) +
                    " entries");
    }
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      Diff(a[i], b[i], where + "[" + std::to_string(i) + "]", out);
    }
    return;
  }
  if (a != b) out.push_back(where + ": " + a.dump() + " -> " + b.dump());
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() != 4 || (args[0] != "normalize" && args[0] != "compare")) {
    std::cerr << "usage: report_golden normalize IN.json OUT.json ROOT\n"
                 "       report_golden compare GOLDEN.json FRESH.json ROOT\n";
    return 2;
  }
  if (args[0] == "normalize") {
    auto in = Load(args[1]);
    if (!in) {
      std::cerr << "error: " << in.error().message << "\n";
      return 2;
    }
    const Json out = Normalize(*in, args[3]);
    auto ok = gpuplan::WriteFileAtomic(
        args[2], out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    if (!ok) {
      std::cerr << "error: " << ok.error().message << "\n";
      return 2;
    }
    return 0;
  }
  auto golden = Load(args[1]);
  auto fresh = Load(args[2]);
  if (!golden || !fresh) {
    std::cerr << "error: " << (golden ? fresh.error() : golden.error()).message << "\n";
    return 2;
  }
  std::vector<std::string> differences;
  Diff(*golden, Normalize(*fresh, args[3]), "report", differences);
  if (differences.empty()) {
    std::cout << "golden report matches: " << args[1] << "\n";
    return 0;
  }
  std::cerr << args[1] << " no longer matches what gpuplan writes (first " << differences.size()
            << " differences, golden -> now):\n";
  for (const std::string& d : differences) std::cerr << "  " << d << "\n";
  std::cerr << "If the change is intended, run `make golden` and commit the new golden with it.\n";
  return 1;
}
