// cli/table.h: the one writer of gpuplan's tables: aligned text for people, RFC 4180 CSV for
// pandas and Excel (--csv). A column has a title for people and a CSV name in the JSON
// vocabulary (docs/glossary.md, units in the name); a cell has its text and, where the two
// differ, its CSV value (a plain number in the column's unit: 4428, not "1.23 h").
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "units/units.h"

namespace gpuplan::cli {

struct Cell {
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: a plain cell reads as its text
  Cell(const char* t) : text(t) {}             // NOLINT
  Cell(std::string t, std::string c) : text(std::move(t)), csv(std::move(c)) {}
  std::string text;
  std::optional<std::string> csv;  // none: the text
};
// A number: `text` for people, the value itself (shortest exact form) in CSV.
Cell Number(double value, std::string text);
Cell Number(double value);  // text "%g"-like, as FormatQuantity would not round it away
// An integer count, the same in both.
Cell Count(long long value);
// No value: "-" for people, an empty field in CSV.
Cell Missing();

struct Column {
  std::string title;     // text header
  std::string csv_name;  // CSV header; empty: the title
  bool is_left = false;  // text alignment (numbers right, names left)
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // REQUIRES: one cell per column.
  void AddRow(std::vector<Cell> cells);
  bool empty() const { return rows_.empty(); }

  // Columns padded to their widest cell, two spaces apart, no trailing blanks; every line
  // starts with `indent`.
  std::string Text(std::string_view indent = "") const;
  // A header of CSV names, then the rows: cells quoted when they hold a comma, a quote or a
  // line break (RFC 4180), lines ended by "\n".
  std::string Csv() const;
  // Csv() when `csv`, else Text().
  void Write(bool csv, std::ostream& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// A command with several tables prints one as CSV: the one `--table NAME` names, the first when
// `name` is empty; an unknown name is an error listing the names.
using NamedTables = std::vector<std::pair<std::string, Table>>;
Result<const Table*> SelectTable(const NamedTables& tables, const std::string& name);
// The help text of such a --table option: "table --csv prints: a (default), b, c".
std::string TableOptionHelp(const std::vector<std::string>& names);

// An array of JSON objects as a table: one column per scalar key (in order of first use, named
// as in the JSON), numbers shown to 4 significant digits and exact in CSV, absent or null
// fields missing; nested objects and arrays are left out.
Table JsonRowsTable(const nlohmann::ordered_json& rows);

// One CSV field, quoted when needed (RFC 4180: double quotes doubled inside quotes).
std::string CsvField(std::string_view cell);

}  // namespace gpuplan::cli
