// What every command prints under --json, in one place (RunMain calls it): the command's JSON
// object with "schema_version" first, or, when the command failed without printing one, one
// JSON error object on stdout instead of "error: ..." on stderr.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace gpuplan::cli {

// Bumped when a key is renamed or removed or changes meaning (docs/glossary.md). 2: the
// renames of docs/glossary.md's "Retired" table, report.json's own schema_version, cost_policy.
inline constexpr int kJsonSchemaVersion = 2;

// `doc` with "schema_version" first (every --json document and report.json).
nlohmann::ordered_json WithSchemaVersion(nlohmann::ordered_json doc);

// {"schema_version", "error", "kind", "file", "line", "field"} from an "error: ..." message as
// gpuplan writes them ("path:LINE: 'field' must be ...", "--flag must be ..."); file, line and
// field are null where the message names none. kind: "bad_input" for exit 2, "io" for
// exit 3 (a file could not be read or written), else "failure" (exit 1: infeasible, or an internal
// error).
nlohmann::ordered_json ErrorJson(const std::string& message, int exit_code);

// Where an error message points (ErrorJson's file, line, field; empty or 0 where it names none):
// "--set key.path: ..." names the key; "--flag ..." the flag; "path:LINE: ..." the file and line,
// then the first 'quoted' name that is not a label ("candidate 'b200': 'node_price' must be");
// "name: ..." (no path) names a value. The Python package's InputError reads the same.
struct ErrorLocation {
  std::string file{};
  int64_t line = 0;
  std::string field{};
};
ErrorLocation LocateError(std::string_view message);

// True when argv asks for --json (before any "--").
bool WantsJson(int argc, const char* const* argv);

// Under --json: writes `command_out` to `out` with schema_version added to its JSON object, or,
// if the command printed nothing and failed, ErrorJson of its last "error: " line; the other
// lines of `command_err` (progress, notes) go to `err`. Returns the exit code.
int FinishJsonOutput(int exit_code, const std::string& command_out, const std::string& command_err,
                     std::ostream& out, std::ostream& err);

}  // namespace gpuplan::cli
