// report_render_fixture FIXTURE.json OUT_DIR [CHART_JS]: writes OUT_DIR/report.{json,html} from
// a report document, or OUT_DIR/sweep.{json,html} from a gpuplan sweep document, and prints the
// page's path, for browser_test.sh. Exit 0 ok, 1 on any failure (message on stderr).
#include <iostream>
#include <nlohmann/json.hpp>

#include "report/report.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: report_render_fixture FIXTURE.json OUT_DIR [CHART_JS]\n";
    return 1;
  }
  auto text = gpuplan::ReadFile(argv[1]);
  if (!text) {
    std::cerr << "error: " << text.error().message << "\n";
    return 1;
  }
  const auto report = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    std::cerr << "error: " << argv[1] << ": not valid JSON\n";
    return 1;
  }
  gpuplan::report::RenderOptions options;
  if (argc == 4) options.chart_js_path = argv[3];
  const bool is_sweep = report.contains("gpuplan_sweep");
  auto written = is_sweep ? gpuplan::report::WriteSweepReport(argv[2], report, options)
                          : gpuplan::report::WriteReport(argv[2], report, options);
  if (!written) {
    std::cerr << "error: " << written.error().message << "\n";
    return 1;
  }
  std::cout << argv[2] << (is_sweep ? "/sweep.html\n" : "/report.html\n");
  return 0;
}
