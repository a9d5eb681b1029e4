#include "config/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace gpuplan::config {

namespace {

const toml::table& T(const void* p) { return *static_cast<const toml::table*>(p); }

// Where a node came from: its own file and line (a base file's node names the base), or the
// override that set it ("--set budget.total", which has no line).
std::string At(const std::string& path, const toml::node& n) {
  const toml::source_region& src = n.source();
  if (src.path && src.path->starts_with(kOverridePrefix)) return *src.path;
  return fmt::format("{}:{}", src.path ? *src.path : path, src.begin.line);
}

// A relative path read from `n` is relative to the file that wrote it; an override's, to the
// working directory.
std::string Resolve(const std::string& path, const toml::node& n, const std::string& value) {
  std::filesystem::path p(value);
  if (p.is_relative()) {
    const toml::source_region& src = n.source();
    const std::string& from = src.path ? *src.path : path;
    if (!from.starts_with(kOverridePrefix)) p = std::filesystem::path(from).parent_path() / p;
  }
  return p.lexically_normal().string();
}

std::string Prefix(const std::string& ctx) { return ctx.empty() ? "" : ctx + ": "; }

Result<toml::table> ParseTree(std::string_view text, const std::string& path) {
  // A UTF-8 byte order mark, as Windows editors write, is no part of the TOML (the guard
  // refused it as a non-ASCII character outside a string).
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  GPUPLAN_TRY(CheckTomlText(text, path));
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Error{
        fmt::format("{}:{}: malformed TOML: {}", path, e.source().begin.line, e.description())};
  }
}

}  // namespace

// --- Table -----------------------------------------------------------------------------------

Error Table::Fail(std::string_view key, const std::string& message) const {
  return Error{fmt::format("{}: {}{}", Where(key), Prefix(ctx_), message)};
}

std::string Table::Where(std::string_view key) const {
  const toml::node* n = key.empty() ? nullptr : T(table_).get(key);
  return At(*path_, n ? *n : static_cast<const toml::node&>(T(table_)));
}

int Table::line() const { return static_cast<int>(T(table_).source().begin.line); }

Result<void> Table::CheckKeys(const std::vector<std::string>& allowed) const {
  for (const auto& [key, value] : T(table_)) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    // A key of megabytes is quoted cut short and gets no suggestion (no key is near it).
    const std::string near =
        key.str().size() > kMaxQuotedChars ? "" : NearestName(key.str(), allowed);
    return Error{fmt::format("{}: {}unknown key '{}'{}", At(*path_, value), Prefix(ctx_),
                             Abbreviate(key.str()),
                             near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near))};
  }
  return Ok{};
}

bool Table::Has(std::string_view key) const { return T(table_).get(key) != nullptr; }

std::vector<std::string> Table::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, value] : T(table_)) keys.emplace_back(key.str());
  return keys;
}

Result<std::optional<double>> Table::OptionalNumber(std::string_view key) const {
  const toml::node* n = T(table_).get(key);
  if (!n) return std::optional<double>{};
  if (std::optional<double> v = n->value<double>()) {
    if (!std::isfinite(*v)) return Fail(key, fmt::format("'{}' must be finite", key));
    return v;
  }
  if (std::optional<std::string> s = n->value<std::string>()) {
    Result<double> q = ParseQuantity(*s, fmt::format("'{}'", key));
    if (!q) return Fail(key, q.error().message);
    return std::optional<double>(*q);
  }
  return Fail(key, fmt::format("'{}' must be a number", key));
}

Result<double> Table::Number(std::string_view key, std::optional<double> fallback, double lo,
                             double hi, bool lo_open) const {
  auto v = OptionalNumber(key);
  GPUPLAN_TRY(v);
  if (!*v) {
    if (fallback) return *fallback;
    return Fail("", fmt::format("missing '{}'", key));
  }
  const double x = **v;
  if ((lo_open ? !(x > lo) : !(x >= lo)) || x > hi) {
    std::string expect = fmt::format("{} {}", lo_open ? ">" : ">=", lo);
    if (hi < kMaxNumber) expect += fmt::format(" and <= {}", hi);
    return Fail(key, fmt::format("'{}' must be {}, got {}", key, expect, x));
  }
  return x;
}

Result<int> Table::Int(std::string_view key, std::optional<int> fallback, int lo, int hi) const {
  auto v = OptionalNumber(key);
  GPUPLAN_TRY(v);
  if (!*v) {
    if (fallback) return *fallback;
    return Fail("", fmt::format("missing '{}'", key));
  }
  const double x = **v;
  if (x != std::floor(x)) {
    return Fail(key, fmt::format("'{}' must be a whole number, got {}", key, x));
  }
  if (x < lo || x > hi) {
    return Fail(key, fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, x));
  }
  return static_cast<int>(x);
}

Result<std::string> Table::String(std::string_view key, std::optional<std::string> fallback) const {
  const toml::node* n = T(table_).get(key);
  if (!n) {
    if (fallback) return *fallback;
    return Fail("", fmt::format("missing '{}'", key));
  }
  std::optional<std::string> v = n->value<std::string>();
  if (!v) return Fail(key, fmt::format("'{}' must be a string", key));
  return *v;
}

Result<bool> Table::Bool(std::string_view key, bool fallback) const {
  const toml::node* n = T(table_).get(key);
  if (!n) return fallback;
  std::optional<bool> v = n->value<bool>();
  if (!v) return Fail(key, fmt::format("'{}' must be true or false", key));
  return *v;
}

Result<std::string> Table::Choice(std::string_view key, std::string fallback,
                                  const std::vector<std::string>& choices) const {
  auto s = String(key, fallback);
  GPUPLAN_TRY(s);
  if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
    return Fail(key, fmt::format("'{}': {}", key, UnknownNameMessage("value", *s, choices)));
  }
  return *s;
}

Result<std::vector<std::string>> Table::StringList(std::string_view key) const {
  std::vector<std::string> out;
  const toml::node* n = T(table_).get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) return Fail(key, fmt::format("'{}' must be an array of strings", key));
  for (const toml::node& e : *a) {
    std::optional<std::string> s = e.value<std::string>();
    if (!s) return Fail(key, fmt::format("'{}' must be an array of strings", key));
    out.push_back(*s);
  }
  return out;
}

Result<std::string> Table::Path(std::string_view key) const {
  auto v = String(key, "");
  GPUPLAN_TRY(v);
  if (v->empty()) return std::string{};
  return Resolve(*path_, *T(table_).get(key), *v);
}

Result<std::optional<Table>> Table::Subtable(std::string_view key,
                                             std::optional<std::string> ctx) const {
  const toml::node* n = T(table_).get(key);
  if (!n) return std::optional<Table>{};
  if (!n->as_table()) return Fail(key, fmt::format("'{}' must be a table", key));
  std::string sub = ctx ? *ctx : ctx_.empty() ? std::string(key) : fmt::format("{}.{}", ctx_, key);
  return std::optional<Table>(Table(n->as_table(), path_, std::move(sub)));
}

Result<std::vector<Table>> Table::TableArray(std::string_view key) const {
  std::vector<Table> out;
  const toml::node* n = T(table_).get(key);
  if (!n) return out;
  const toml::array* a = n->as_array();
  if (!a) return Error{fmt::format("{}: '{}' must be written [[{}]]", At(*path_, *n), key, key)};
  for (const toml::node& e : *a) {
    if (!e.as_table()) {
      return Error{fmt::format("{}: each [[{}]] must be a table", At(*path_, e), key)};
    }
    out.push_back(Table(e.as_table(), path_, std::string(key)));
  }
  return out;
}

// --- Document --------------------------------------------------------------------------------

struct Document::Impl {
  std::string path;
  toml::table root;
  std::vector<std::string> files;  // `path` and its extends chain, as read
};

Document::Document(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Table Document::Root(std::string ctx) const { return Table(&impl_->root, &impl_->path, ctx); }
const std::string& Document::path() const { return impl_->path; }
const std::vector<std::string>& Document::files() const { return impl_->files; }

Result<Document> Document::Parse(std::string_view text, std::string path) {
  auto root = ParseTree(text, path);
  GPUPLAN_TRY(root);
  std::vector<std::string> files = {path};
  return Document(
      std::make_unique<Impl>(Impl{std::move(path), std::move(*root), std::move(files)}));
}

Result<Document> Document::Load(const std::string& path, size_t max_bytes) {
  auto text = ReadFile(path, max_bytes);
  GPUPLAN_TRY(text);
  return Parse(*text, path);
}

namespace {

// The including file's keys replace the base's; tables merge key by key; arrays, [[tables]]
// included, are replaced whole (a file that changes one entry restates the list, so a reader
// never has to merge lists in their head). Moves keep each node's file and line.
void MergeInto(toml::table& base, toml::table&& over) {
  for (auto&& [key, node] : over) {
    toml::node* b = base.get(key);
    if (b && b->is_table() && node.is_table()) {
      MergeInto(*b->as_table(), std::move(*node.as_table()));
    } else {
      base.insert_or_assign(key, std::move(node));
    }
  }
}

// `text` of `path` with its extends chain resolved; `chain` holds the files being read.
Result<toml::table> ReadWithExtends(std::string_view text, const std::string& path,
                                    std::string_view key, int max_depth,
                                    std::vector<std::string>& chain) {
  auto root = ParseTree(text, path);
  GPUPLAN_TRY(root);
  const toml::node* ext = root->get(key);
  if (!ext) return root;
  std::optional<std::string> base_name = ext->value<std::string>();
  if (!base_name || base_name->empty()) {
    return Error{fmt::format("{}: '{}' must name a file", At(path, *ext), key)};
  }
  const std::string base_path = Resolve(path, *ext, *base_name);
  if (std::find(chain.begin(), chain.end(), base_path) != chain.end()) {
    return Error{fmt::format("{}: '{}' = \"{}\" makes a cycle ({} -> {})", At(path, *ext), key,
                             *base_name, fmt::join(chain, " -> "), base_path)};
  }
  if (static_cast<int>(chain.size()) >= max_depth) {
    return Error{
        fmt::format("{}: '{}' chain is deeper than {} files", At(path, *ext), key, max_depth)};
  }
  auto base_text = ReadFile(base_path, 16 << 20);
  if (!base_text) {
    return Error{fmt::format("{}: '{}': {}", At(path, *ext), key, base_text.error().message),
                 base_text.error().kind};
  }
  chain.push_back(base_path);
  auto base = ReadWithExtends(*base_text, base_path, key, max_depth, chain);
  GPUPLAN_TRY(base);
  root->erase(key);
  MergeInto(*base, std::move(*root));
  return base;
}

// "a.b.c" into its keys; a key may be quoted ("candidate.\"x.y\".price").
Result<std::vector<std::string>> SplitKeyPath(std::string_view key, const std::string& where) {
  std::vector<std::string> parts;
  std::string cur;
  bool quoted = false;
  bool was_quoted = false;
  for (char ch : key) {
    if (ch == '"') {
      quoted = !quoted;
      was_quoted = true;
    } else if (ch == '.' && !quoted) {
      if (cur.empty() && !was_quoted) break;
      parts.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += ch;
    }
  }
  if (quoted) return Error{fmt::format("{}: unclosed quote in the key", where)};
  if (cur.empty() && !was_quoted) {
    return Error{fmt::format("{}: the key has an empty part (write a.b.c)", where)};
  }
  parts.push_back(std::move(cur));
  return parts;
}

// The element of [[name]] that `selector` names: its 0-based index, or the one whose value under
// one of `identity_keys` is `selector`.
Result<toml::table*> SelectElement(toml::array& array, std::string_view name,
                                   const std::string& selector,
                                   const std::vector<std::string>& identity_keys,
                                   const std::string& where) {
  std::vector<toml::table*> matches;
  std::vector<std::string> known;
  for (toml::node& e : array) {
    toml::table* t = e.as_table();
    if (!t) continue;
    bool hit = false;
    std::string label;
    for (const std::string& k : identity_keys) {
      std::optional<std::string> v = t->get(k) ? t->get(k)->value<std::string>() : std::nullopt;
      if (!v) continue;
      if (label.empty()) label = *v;
      if (*v == selector) hit = true;
    }
    if (!label.empty()) known.push_back(label);
    if (hit) matches.push_back(t);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    return Error{fmt::format("{}: {} [[{}]] entries match '{}'; use its index (0..{})", where,
                             matches.size(), name, selector, array.size() - 1)};
  }
  const bool is_index =
      !selector.empty() &&
      std::all_of(selector.begin(), selector.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  if (is_index && selector.size() < 6) {
    const size_t i = std::stoul(selector);
    if (i < array.size() && array[i].as_table()) return array[i].as_table();
    return Error{
        fmt::format("{}: [[{}]] has {} entries, no index {}", where, name, array.size(), i)};
  }
  return Error{fmt::format(
      "{}: no [[{}]] is named '{}'{}", where, name, selector,
      known.empty() ? std::string{} : fmt::format(" (there are: {})", fmt::join(known, ", ")))};
}

// The override's value as TOML (a number, a quoted string, an array, an inline table); a bare
// word that is not TOML is taken as a string.
Result<toml::table> ParseOverrideValue(std::string_view value, const std::string& where) {
  auto parsed = ParseTree(fmt::format("v = {}\n", value), where);
  if (parsed) return parsed;
  const bool bare =
      !value.empty() && value.find_first_of("\"'[]{}\n\\=#") == std::string_view::npos;
  if (bare) {
    auto as_string = ParseTree(fmt::format("v = \"{}\"\n", value), where);
    if (as_string) return as_string;
  }
  return Error{
      fmt::format("{}: '{}' is not a TOML value (quote strings that have spaces or "
                  "punctuation: key='\"text\"')",
                  where, value)};
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

Result<Document> Document::ParseWithExtends(std::string_view text, std::string path,
                                            std::string_view extends_key, int max_depth) {
  std::vector<std::string> chain = {path};
  auto root = ReadWithExtends(text, path, extends_key, max_depth, chain);
  GPUPLAN_TRY(root);
  return Document(
      std::make_unique<Impl>(Impl{std::move(path), std::move(*root), std::move(chain)}));
}

Result<void> Document::Override(std::string_view assignment,
                                const std::vector<std::string>& identity_keys) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return Error{fmt::format("--set '{}': expected key.path=value (for example budget.total=2.5e9)",
                             assignment)};
  }
  const std::string_view key = Trim(assignment.substr(0, eq));
  const std::string where = fmt::format("{}{}", kOverridePrefix, key);
  auto parts = SplitKeyPath(key, where);
  GPUPLAN_TRY(parts);
  auto value = ParseOverrideValue(Trim(assignment.substr(eq + 1)), where);
  GPUPLAN_TRY(value);

  toml::table* table = &impl_->root;
  for (size_t i = 0; i + 1 < parts->size(); ++i) {
    const std::string& part = (*parts)[i];
    toml::node* child = table->get(part);
    if (!child) {
      // A missing section is created, so an override can add [rental] to a file without one.
      // Parsed rather than default-made, so it is sourced at the override: an error in it
      // (an unknown key, a missing one) names "--set budgett.total", not "s.toml:0".
      auto created = ParseOverrideValue("{}", where);
      GPUPLAN_TRY(created);
      table = table->insert_or_assign(part, std::move(*created->get("v"))).first->second.as_table();
      continue;
    }
    if (toml::table* t = child->as_table()) {
      table = t;
    } else if (toml::array* a = child->as_array()) {
      if (i + 2 >= parts->size()) {
        return Error{fmt::format("{}: '{}' is a list; name an entry and its key ({}.{}.KEY)", where,
                                 part, part, a->empty() ? "0" : "NAME")};
      }
      GPUPLAN_ASSIGN_OR_RETURN(table, SelectElement(*a, part, (*parts)[++i], identity_keys, where));
    } else {
      return Error{fmt::format("{}: '{}' is a value, not a table", where, part)};
    }
  }
  table->insert_or_assign(parts->back(), std::move(*value->get("v")));
  return Ok{};
}

}  // namespace gpuplan::config
