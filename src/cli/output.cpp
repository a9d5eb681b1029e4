#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <ostream>
#include <sstream>
#include <string_view>

#include "cli/cli.h"

namespace gpuplan::cli {

namespace {

using Json = nlohmann::ordered_json;

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Json ErrorJson(const std::string& message, int exit_code) {
  Json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["error"] = message;
  j["kind"] = exit_code == kExitBadInput ? "bad_input" : "failure";
  Json file = nullptr, line = nullptr, field = nullptr;
  std::string_view rest = message;
  // "path:LINE: ..." or "path: ..." (a path has no spaces; a sentence before ':' is no path).
  const size_t colon = rest.find(": ");
  if (colon != std::string_view::npos && colon > 0 &&
      rest.substr(0, colon).find(' ') == std::string_view::npos && rest.substr(0, 2) != "--") {
    std::string_view head = rest.substr(0, colon);
    const size_t inner = head.rfind(':');
    if (inner != std::string_view::npos && AllDigits(head.substr(inner + 1))) {
      line = std::stoll(std::string(head.substr(inner + 1)));
      head = head.substr(0, inner);
    }
    file = std::string(head);
    rest.remove_prefix(colon + 2);
  }
  // The field: the first 'quoted' name, else a leading --flag.
  if (const size_t q = rest.find('\''); q != std::string_view::npos) {
    const size_t end = rest.find('\'', q + 1);
    if (end != std::string_view::npos && end > q + 1)
      field = std::string(rest.substr(q + 1, end - q - 1));
  }
  if (field.is_null() && rest.substr(0, 2) == "--") {
    size_t end = 2;
    while (end < rest.size() &&
           (std::isalnum(static_cast<unsigned char>(rest[end])) || rest[end] == '-'))
      ++end;
    field = std::string(rest.substr(0, end));
  }
  j["file"] = file;
  j["line"] = line;
  j["field"] = field;
  return j;
}

bool WantsJson(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

int FinishJsonOutput(int exit_code, const std::string& command_out, const std::string& command_err,
                     std::ostream& out, std::ostream& err) {
  std::string error_message;
  std::istringstream lines(command_err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("error: ", 0) == 0) {
      error_message = line.substr(7);
    } else if (!error_message.empty() && line.rfind("run 'gpuplan", 0) == 0) {
      // CLI11's usage hint after a parse error: the JSON says enough.
    } else {
      err << line << "\n";
    }
  }
  if (command_out.empty()) {
    if (exit_code != kExitOk) {
      out << ErrorJson(error_message.empty() ? "failed" : error_message, exit_code).dump(2) << "\n";
    }
    return exit_code;
  }
  // The command's own object, schema_version first. Anything that is not one object (help
  // text) passes through unchanged.
  Json doc = Json::parse(command_out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    out << command_out;
    if (!error_message.empty()) err << "error: " << error_message << "\n";
    return exit_code;
  }
  Json with_version;
  with_version["schema_version"] = kJsonSchemaVersion;
  for (auto& [key, value] : doc.items()) {
    if (key != "schema_version") with_version[key] = std::move(value);
  }
  out << with_version.dump(2) << "\n";
  if (!error_message.empty()) err << "error: " << error_message << "\n";
  return exit_code;
}

}  // namespace gpuplan::cli
