#include "cli/table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ostream>

#include "units/units.h"

namespace gpuplan::cli {

Cell Number(double value, std::string text) {
  return Cell(std::move(text), fmt::format("{}", value));
}

Cell Number(double value) { return Cell(fmt::format("{:.4g}", value), fmt::format("{}", value)); }

Cell Count(long long value) { return Cell(std::to_string(value)); }

Cell Missing() { return Cell("-", ""); }

void Table::AddRow(std::vector<Cell> cells) {
  GPUPLAN_CHECK(cells.size() == columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Text(std::string_view indent) const {
  std::vector<size_t> widths(columns_.size(), 0);
  for (size_t i = 0; i < columns_.size(); ++i) widths[i] = columns_[i].title.size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].text.size());
  }
  std::string out;
  auto line = [&](auto cell_of) {
    std::string l(indent);
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string& cell = cell_of(i);
      if (i > 0) l += "  ";
      l += columns_[i].is_left ? fmt::format("{:<{}}", cell, widths[i])
                               : fmt::format("{:>{}}", cell, widths[i]);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line([&](size_t i) -> const std::string& { return columns_[i].title; });
  for (const auto& row : rows_) line([&](size_t i) -> const std::string& { return row[i].text; });
  return out;
}

std::string CsvField(std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(cell);
  std::string quoted = "\"";
  for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string Table::Csv() const {
  std::string out;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& c = columns_[i];
    out += (i ? "," : "") + CsvField(c.csv_name.empty() ? c.title : c.csv_name);
  }
  out += "\n";
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += (i ? "," : "") + CsvField(row[i].csv.value_or(row[i].text));
    }
    out += "\n";
  }
  return out;
}

Table JsonRowsTable(const nlohmann::ordered_json& rows) {
  std::vector<std::string> keys;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [key, value] : row.items()) {
      if (value.is_structured()) continue;
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  std::vector<Column> columns;
  for (const auto& key : keys) {
    bool is_text = false;
    for (const auto& row : rows)
      is_text |= row.is_object() && row.contains(key) && row[key].is_string();
    columns.push_back({key, key, is_text});
  }
  Table table(std::move(columns));
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    std::vector<Cell> cells;
    for (const auto& key : keys) {
      const auto it = row.find(key);
      if (it == row.end() || it->is_null() || it->is_structured()) {
        cells.push_back(Missing());
      } else if (it->is_string()) {
        cells.emplace_back(it->get<std::string>());
      } else if (it->is_boolean()) {
        cells.emplace_back(it->get<bool>() ? "true" : "false");
      } else if (it->is_number_integer()) {
        cells.push_back(Count(it->get<long long>()));
      } else {
        cells.push_back(Number(it->get<double>()));
      }
    }
    table.AddRow(std::move(cells));
  }
  return table;
}

Result<const Table*> SelectTable(const NamedTables& tables, const std::string& name) {
  if (name.empty() && !tables.empty()) return &tables.front().second;
  std::vector<std::string> names;
  for (const auto& [n, table] : tables) {
    if (n == name) return &table;
    names.push_back(n);
  }
  return Error{fmt::format("--table: expected one of {}, got '{}'", fmt::join(names, ", "), name)};
}

std::string TableOptionHelp(const std::vector<std::string>& names) {
  std::string out = "the table --csv prints: ";
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + names[i] + (i == 0 ? " (default)" : "");
  }
  return out;
}

void Table::Write(bool csv, std::ostream& out) const { out << (csv ? Csv() : Text()); }

}  // namespace gpuplan::cli
