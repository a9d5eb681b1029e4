#include "report/report.h"

#include <fmt/format.h>

#include <filesystem>

#include "report/format.h"

namespace gpuplan::report {

Result<void> WriteReport(const std::string& dir, const nlohmann::ordered_json& report,
                         const RenderOptions& options) {
  // Render first: a failure here leaves nothing behind, not even the folder.
  auto html = RenderHtml(report, options);
  if (!html) return html.error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return IoError(fmt::format("{}: cannot create the report folder: {}", dir, ec.message()));
  }
  std::string json = report.dump(2, ' ', false, detail::Json::error_handler_t::replace) + "\n";
  // Published together: both written and synced, then both renamed (WriteFilesAtomic), so a
  // signal or a full disk never leaves a new report.json beside an old report.html.
  return WriteFilesAtomic(
      {{dir + "/report.json", std::move(json)}, {dir + "/report.html", std::move(*html)}});
}

}  // namespace gpuplan::report
