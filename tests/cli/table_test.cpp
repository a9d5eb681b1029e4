// cli/table.h: aligned text and RFC 4180 CSV from one table, and --csv on every tabular command,
// each read back by an independent RFC 4180 parser.
#include "cli/table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/cli_test_util.h"

namespace gpuplan::cli {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// A plain RFC 4180 reader (quotes, doubled quotes, commas and line breaks inside quotes).
Rows ParseCsv(const std::string& text) {
  Rows rows(1);
  std::string field;
  bool quoted = false, in_field = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      in_field = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      in_field = false;
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      in_field = false;
      rows.emplace_back();
    } else {
      field += c;
      in_field = true;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quote";
  if (!field.empty() || in_field) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(Table, TextAlignsColumnsAndCsvQuotesWhatNeedsIt) {
  Table t({{"name", "name", true}, {"wait", "avg_wait_s"}, {"note", "", true}});
  t.AddRow({"a", Number(4428, "1.23 h"), "plain"});
  t.AddRow({"long name", Number(0.5, "0 h"), "has, comma and \"quote\"\nand a line"});
  t.AddRow({"c", Missing(), ""});
  const std::string text = t.Text("  ");
  EXPECT_EQ(text.substr(0, text.find('\n')), "  name         wait  note");
  EXPECT_NE(text.find("  a          1.23 h  plain\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  c               -\n"), std::string::npos) << text;  // no trailing blanks
  const Rows rows = ParseCsv(t.Csv());
  ASSERT_EQ(rows.size(), 4u) << t.Csv();
  EXPECT_EQ(rows[0], (std::vector<std::string>{"name", "avg_wait_s", "note"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"a", "4428", "plain"}));
  EXPECT_EQ(rows[2][2], "has, comma and \"quote\"\nand a line");
  EXPECT_EQ(rows[2][1], "0.5");
  EXPECT_EQ(rows[3], (std::vector<std::string>{"c", "", ""}));  // missing: an empty field
}

// Every command's --csv: a header, then rows of the header's width, numbers in plain form.
struct CsvCase {
  std::string name;
  std::vector<std::string> command, args;
  std::vector<std::string> columns;  // some of the header's names
  size_t min_rows;
};

std::string TraceFile() {
  static const std::string path = [] {
    const std::string p =
        ::testing::TempDir() + "/gpuplan_table_trace_" + std::to_string(::getpid()) + ".csv";
    RunCli({"trace", "gen"}, {"--horizon", "1d", "--jobs-per-day", "200", "--out", p});
    return p;
  }();
  return path;
}

class CsvOutput : public ::testing::TestWithParam<CsvCase> {};

TEST_P(CsvOutput, IsOneRfc4180TableWithTheGlossaryNames) {
  const CsvCase& c = GetParam();
  std::vector<std::string> args = c.args;
  for (auto& a : args) {
    if (a == "TRACE") a = TraceFile();
  }
  const CliRun r = RunCli(c.command, args);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const Rows rows = ParseCsv(r.out);
  ASSERT_GT(rows.size(), c.min_rows) << r.out;
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size()) << r.out;
  for (const auto& name : c.columns) {
    EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), name), rows[0].end())
        << name << " not in " << ::testing::PrintToString(rows[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Commands, CsvOutput,
    ::testing::Values(
        CsvCase{"catalog_list",
                {"catalog", "list"},
                {"--csv"},
                {"id", "price_usd", "usd_per_gpu_hour", "tpp_per_gpu"},
                20},
        CsvCase{"size_train_list",
                {"size", "train"},
                {"--model", "llama3-8b", "--tokens", "1T", "--accelerator",
                 "h100-sxm5-80gb,h200-sxm-141gb", "--gpus", "64", "--csv"},
                {"accelerator", "gpu_hours", "usd_per_gpu_hour", "cost_usd", "energy_mwh"},
                2},
        CsvCase{"size_serve_list",
                {"size", "serve"},
                {"--model", "llama3-70b", "--accelerator", "h100-sxm5-80gb,h200-sxm-141gb", "--rps",
                 "20", "--csv"},
                {"accelerator", "gpus", "usd_per_million_output_tokens"},
                2},
        CsvCase{"trace_stats",
                {"trace", "stats"},
                {"TRACE", "--csv"},
                {"gpus", "jobs", "gpu_hours"},
                1},
        CsvCase{"trace_stats_distributions",
                {"trace", "stats"},
                {"TRACE", "--csv", "--table", "distributions"},
                {"metric", "p50", "p99", "mean"},
                3},
        CsvCase{"simulate",
                {"simulate"},
                {"--cluster", "h100-sxm5-80gb:2x8", "--trace", "TRACE", "--csv"},
                {"tenant", "class", "avg_wait_s", "p95_wait_s", "gpu_hours", "share_ratio"},
                2}),
    [](const auto& test) { return test.param.name; });

}  // namespace
}  // namespace gpuplan::cli
