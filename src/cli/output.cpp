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

// Reads a JSON text without building it (nlohmann's SAX interface): whether it is one object,
// and whether that object has a top-level schema_version key. Linear, where parsing into an
// ordered_json is quadratic in an object's keys (each insert searches the keys before it:
// simulate --json's per_tenant with 50k tenants took seconds).
class TopLevelScan : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    if (depth_++ == 0) is_object_ = true;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      ++keys_;
      has_version_ = has_version_ || k == "schema_version";
    }
    return true;
  }
  bool end_object() override { return --depth_ >= 0; }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override { return --depth_ >= 0; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
  bool is_object() const { return is_object_; }
  bool has_version() const { return has_version_; }
  int64_t keys() const { return keys_; }

 private:
  bool Value() { return true; }
  int depth_ = 0;
  bool is_object_ = false, has_version_ = false;
  int64_t keys_ = 0;
};

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Json ErrorJson(const std::string& message, int exit_code) {
  Json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["error"] = message;
  j["kind"] = exit_code == kExitBadInput ? "bad_input" : exit_code == kExitIo ? "io" : "failure";
  const ErrorLocation where = LocateError(message);
  j["file"] = where.file.empty() ? Json(nullptr) : Json(where.file);
  j["line"] = where.line > 0 ? Json(where.line) : Json(nullptr);
  j["field"] = where.field.empty() ? Json(nullptr) : Json(where.field);
  return j;
}

ErrorLocation LocateError(std::string_view message) {
  ErrorLocation where;
  std::string_view rest = message;
  // "--set key.path: ...": the override's key; "--flag ...": the flag.
  if (rest.substr(0, 6) == "--set ") {
    const size_t colon = rest.find(':', 6);
    if (colon != std::string_view::npos) {
      where.field = std::string(rest.substr(6, colon - 6));
      return where;
    }
  }
  if (rest.substr(0, 2) == "--") {
    size_t end = 2;
    while (end < rest.size() &&
           (std::isalnum(static_cast<unsigned char>(rest[end])) || rest[end] == '-'))
      ++end;
    where.field = std::string(rest.substr(0, end));
    return where;
  }
  // "path:LINE: ..." or "path: ..." (a path has no spaces and a '.' or '/'; a bare word before
  // ':' is the name of a value: "tokens: expected a number").
  const size_t colon = rest.find(": ");
  if (colon != std::string_view::npos && colon > 0 &&
      rest.substr(0, colon).find(' ') == std::string_view::npos) {
    std::string_view head = rest.substr(0, colon);
    const size_t inner = head.rfind(':');
    if (inner != std::string_view::npos && AllDigits(head.substr(inner + 1))) {
      where.line = std::stoll(std::string(head.substr(inner + 1)));
      head = head.substr(0, inner);
    }
    if (where.line > 0 || head.find_first_of("./") != std::string_view::npos) {
      where.file = std::string(head);
    } else {
      where.field = std::string(head);
      return where;
    }
    rest.remove_prefix(colon + 2);
  }
  // The field: the first 'quoted' name that is not a label ("candidate 'b200': 'node_price'
  // must be > 0" names node_price; "unknown key 'nokey'" names nokey).
  for (size_t q = rest.find('\''); q != std::string_view::npos; q = rest.find('\'', q + 1)) {
    const size_t end = rest.find('\'', q + 1);
    if (end == std::string_view::npos) break;
    if (end > q + 1 && rest.substr(end + 1, 1) != ":") {
      where.field = std::string(rest.substr(q + 1, end - q - 1));
      break;
    }
    q = end;
  }
  return where;
}

Json WithSchemaVersion(Json doc) {
  Json with_version;
  with_version["schema_version"] = kJsonSchemaVersion;
  for (auto& [key, value] : doc.items()) {
    if (key != "schema_version") with_version[key] = std::move(value);
  }
  return with_version;
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
  // text) passes through unchanged. A command's object printed by dump(2) without the key gets
  // it inserted as text: the same bytes as re-parsing and dumping it, in linear time.
  TopLevelScan scan;
  constexpr std::string_view kPrettyStart = "{\n  \"";
  if (nlohmann::json::sax_parse(command_out, &scan) && scan.is_object() && !scan.has_version() &&
      scan.keys() > 0 && command_out.rfind(kPrettyStart, 0) == 0 && command_out.back() == '\n') {
    out << "{\n  \"schema_version\": " << kJsonSchemaVersion << ",\n"
        << std::string_view(command_out).substr(2);
    if (!error_message.empty()) err << "error: " << error_message << "\n";
    return exit_code;
  }
  Json doc = Json::parse(command_out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    out << command_out;
    if (!error_message.empty()) err << "error: " << error_message << "\n";
    return exit_code;
  }
  out << WithSchemaVersion(std::move(doc)).dump(2) << "\n";
  if (!error_message.empty()) err << "error: " << error_message << "\n";
  return exit_code;
}

}  // namespace gpuplan::cli
