#pragma once
// config: gpuplan's one reader of TOML files. toml++ stays behind this header (a test forbids it
// anywhere else in src/): the catalog, model and scenario parsers read their sections through
// Table, so every file the tool reads reports a bad value the same way, "file:line: section:
// message", and a section parser reads like the documentation of its keys.
//
//   GPUPLAN_ASSIGN_OR_RETURN(auto doc, config::Document::Load("korea.toml", 16 << 20));
//   GPUPLAN_ASSIGN_OR_RETURN(auto budget, doc.Root().Subtable("budget"));  // nullopt: absent
//   GPUPLAN_ASSIGN_OR_RETURN(total, budget->Number("total", 0.0, 0));
//   // fails with "korea.toml:12: budget: 'total' must be >= 0, got -5"
//
// A Document may extend another file (`extends = "base.toml"`, tables merge key by key, arrays are
// replaced whole) and take command-line overrides (`--set key.path=value`); both are applied to
// the tree before any section is read, so every check of the file applies to them too.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "units/units.h"

namespace gpuplan::config {

// A sanity bound for numbers: larger means a typo (1e30 GPUs, a 1e300 budget).
inline constexpr double kMaxNumber = 1e30;

// The source name of a value an override set: its errors read "--set budget.total: ...".
inline constexpr std::string_view kOverridePrefix = "--set ";

// Refuses TOML text that toml++ 3.3.0 (Debian 12's) handles with undefined behaviour
// (marzer/tomlplusplus#294, #295, #190; fixed upstream by #305): invalid UTF-8, control
// characters, non-ASCII text outside strings and comments, and the shapes that reach its
// assertions. Call it before toml::parse; the error names path:line.
Result<void> CheckTomlText(std::string_view text, std::string_view path);

class Document;

// A view of one table of a Document, with a context ("budget", "candidate 'b200'") that prefixes
// its messages. Cheap to copy; valid while its Document lives.
class Table {
 public:
  // "file:line: ctx: message" at the key's value, or at the table when `key` is empty or absent.
  Error Fail(std::string_view key, const std::string& message) const;
  // "file:line" of the key's value (or of the table), or "--set KEY" for an overridden value.
  std::string Where(std::string_view key = {}) const;
  int line() const;
  const std::string& path() const { return *path_; }
  const std::string& ctx() const { return ctx_; }
  // The same table under another context.
  Table WithContext(std::string ctx) const { return Table(table_, path_, std::move(ctx)); }

  // Fails at the first key not in `allowed`, suggesting the nearest allowed name.
  Result<void> CheckKeys(const std::vector<std::string>& allowed) const;
  bool Has(std::string_view key) const;
  // The table's keys in key order (toml++ keeps tables sorted).
  std::vector<std::string> Keys() const;

  // A number: a TOML integer or float, or a quantity string ("1.2B", "15T"); finite.
  Result<std::optional<double>> OptionalNumber(std::string_view key) const;
  // A number in [lo, hi] (lo excluded when `lo_open`); `fallback` when optional and absent.
  Result<double> Number(std::string_view key, std::optional<double> fallback, double lo,
                        double hi = kMaxNumber, bool lo_open = false) const;
  // A whole number in [lo, hi].
  Result<int> Int(std::string_view key, std::optional<int> fallback, int lo, int hi) const;
  Result<std::string> String(std::string_view key, std::optional<std::string> fallback) const;
  Result<bool> Bool(std::string_view key, bool fallback) const;
  // One of `choices`, with a suggestion when it is none of them.
  Result<std::string> Choice(std::string_view key, std::string fallback,
                             const std::vector<std::string>& choices) const;
  // An array of strings; empty when absent.
  Result<std::vector<std::string>> StringList(std::string_view key) const;
  // A file path, relative to the file that wrote it (an override's: to the working directory);
  // empty when absent.
  Result<std::string> Path(std::string_view key) const;

  // The sub-table `key` (context "ctx.key", or `ctx` when given); nullopt when absent.
  Result<std::optional<Table>> Subtable(std::string_view key,
                                        std::optional<std::string> ctx = std::nullopt) const;
  // The entries of the array of tables `key` ([[key]]), each with context `key`; empty when
  // absent.
  Result<std::vector<Table>> TableArray(std::string_view key) const;

 private:
  friend class Document;
  Table(const void* table, const std::string* path, std::string ctx)
      : table_(table), path_(path), ctx_(std::move(ctx)) {}
  const void* table_;  // a toml::table of the Document
  const std::string* path_;
  std::string ctx_;
};

// A parsed TOML file. Move-only; its Tables point into it.
class Document {
 public:
  // Parses `text`; `path` names it in messages. toml++ 3.3.0 has undefined behaviour on some
  // inputs, so the text passes CheckTomlText first.
  static Result<Document> Parse(std::string_view text, std::string path);
  // Reads and parses `path` (at most `max_bytes`).
  static Result<Document> Load(const std::string& path, size_t max_bytes);
  // Parses `text` and resolves its `extends_key` chain: the named file (relative to the one that
  // names it) is read first and this one merged over it; up to `max_depth` files, cycles refused.
  static Result<Document> ParseWithExtends(std::string_view text, std::string path,
                                           std::string_view extends_key, int max_depth);

  // Applies one "key.path=value" override. A missing table on the path is created. After an
  // array of tables, the next part picks one entry: its 0-based index, or the entry whose string
  // value under one of `identity_keys` equals it. A value that is not TOML but a bare word is
  // taken as a string (plan.objective=service-level).
  Result<void> Override(std::string_view assignment, const std::vector<std::string>& identity_keys);

  // The top-level table, with context `ctx` (usually empty).
  Table Root(std::string ctx = "") const;
  const std::string& path() const;
  // The files this document was read from: its own path, then each file its extends chain read.
  const std::vector<std::string>& files() const;

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

 private:
  struct Impl;
  explicit Document(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuplan::config
