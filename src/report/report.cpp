#include "report/report.h"

#include <fmt/format.h>

#include <filesystem>

#include "report/format.h"

namespace gpuplan::report {

namespace {

// Creates `dir` and publishes the document and its page together.
Result<void> WritePair(const std::string& dir, const std::string& name,
                       const nlohmann::ordered_json& document, std::string html) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return IoError(fmt::format("{}: cannot create the report folder: {}", dir, ec.message()));
  }
  std::string json = document.dump(2, ' ', false, detail::Json::error_handler_t::replace) + "\n";
  // Published together: both written and synced, then both renamed (WriteFilesAtomic), so a
  // signal or a full disk never leaves a new .json beside an old .html.
  return WriteFilesAtomic({{dir + "/" + name + ".json", std::move(json)},
                           {dir + "/" + name + ".html", std::move(html)}});
}

}  // namespace

Result<void> WriteReport(const std::string& dir, const nlohmann::ordered_json& report,
                         const RenderOptions& options) {
  // Render first: a failure here leaves nothing behind, not even the folder.
  auto html = RenderHtml(report, options);
  if (!html) return html.error();
  return WritePair(dir, "report", report, std::move(*html));
}

Result<void> WriteSweepReport(const std::string& dir, const nlohmann::ordered_json& sweep,
                              RenderOptions options) {
  if (!options.raw_json_href.empty()) options.raw_json_href = "sweep.json";
  auto html = RenderSweepHtml(sweep, options);
  if (!html) return html.error();
  return WritePair(dir, "sweep", sweep, std::move(*html));
}

}  // namespace gpuplan::report
