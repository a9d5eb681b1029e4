#include "report/format.h"

#include <gtest/gtest.h>

namespace gpuplan::report::detail {
namespace {

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("</script><b a=\"x\" c='y'>&"),
            "&lt;/script&gt;&lt;b a=&quot;x&quot; c=&#39;y&#39;&gt;&amp;");
  EXPECT_EQ(HtmlEscape("plain 18,000 GPUs"), "plain 18,000 GPUs");
}

TEST(ScriptSafeJson, HasNoAngleBracketsAndParsesBackToTheSameDocument) {
  const Json doc = {{"name", "</script><script>alert(1)</script><!-- & -->"},
                    {"n", 3.5},
                    {"list", {"a<b", "c>d"}}};
  const std::string safe = ScriptSafeJson(doc);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(safe.find('>'), std::string::npos);
  EXPECT_EQ(safe.find('&'), std::string::npos);
  EXPECT_EQ(Json::parse(safe), doc);
}

TEST(ScriptSafeJson, InvalidUtf8IsReplacedNotThrown) {
  const Json doc = {{"name", std::string("bad \xff byte")}};
  const std::string safe = ScriptSafeJson(doc);
  EXPECT_NE(safe.find("bad"), std::string::npos);
  EXPECT_FALSE(Json::parse(safe, nullptr, /*allow_exceptions=*/false).is_discarded());
}

TEST(Readers, WrongTypesReadAsAbsent) {
  const Json j = {{"num", "12"}, {"str", 12}, {"arr", {{"k", 1}}}, {"ok", 2.5}, {"flag", 1}};
  EXPECT_FALSE(Num(j, "num").has_value());
  EXPECT_EQ(NumOr(j, "ok", 0), 2.5);
  EXPECT_EQ(NumOr(j, "missing", -1), -1);
  EXPECT_EQ(StrOr(j, "str", "fallback"), "fallback");
  EXPECT_TRUE(ArrayAt(j, "arr").empty());  // an object, not an array
  EXPECT_EQ(ObjectAt(j, "arr")->size(), 1u);
  EXPECT_FALSE(BoolOr(j, "flag", false));
  EXPECT_EQ(Find(Json::array(), "x"), nullptr);
  EXPECT_FALSE(Num(Json(3), "x").has_value());
}

TEST(ChosenPolicy, PrefersTheNamedPolicyElseTheFirst) {
  const Json sim = {{"policy", "easy"}, {"policies", {{{"policy", "fifo"}}, {{"policy", "easy"}}}}};
  EXPECT_EQ(StrOr(*ChosenPolicy(sim), "policy"), "easy");
  const Json unnamed = {{"policies", {{{"policy", "fifo"}}, {{"policy", "easy"}}}}};
  EXPECT_EQ(StrOr(*ChosenPolicy(unnamed), "policy"), "fifo");
  EXPECT_EQ(ChosenPolicy(Json::object()), nullptr);
}

TEST(Formats, HumanUnits) {
  // Each expected string is the rule in format.h applied by hand.
  const struct {
    std::string got, want;
  } rows[] = {
      {FormatUsd(622'895'520), "$623 M"},
      {FormatUsd(1.2e9), "$1.2 B"},
      {FormatUsd(12'340), "$12.3 k"},
      {FormatUsd(950), "$950"},
      {FormatUsd(0.42), "$0.42"},
      {FormatUsd(-2.5e6), "-$2.5 M"},
      {FormatCount(18000), "18,000"},
      {FormatCount(1234567.6), "1,234,568"},
      {FormatCount(999), "999"},
      {FormatCount(-4500), "-4,500"},
      {FormatPercent(0.7834), "78.3%"},
      {FormatDurationS(45), "45 s"},
      {FormatDurationS(720), "12 min"},       // 720 / 60
      {FormatDurationS(12240), "3.4 h"},      // 12240 / 3600
      {FormatDurationS(181440), "2.1 days"},  // 181440 / 86400
      {FormatDurationS(86400), "1 day"},
      {FormatNumber(31.94), "31.9"},
      {FormatNumber(0.5), "0.5"},
      {FormatNumber(2.0), "2"},
      {FormatNumber(4480), "4,480"},
  };
  for (const auto& row : rows) EXPECT_EQ(row.got, row.want);
}

TEST(ConstraintInWords, NamesTheFourThingsThatBind) {
  const struct {
    const char* name;
    const char* words;
  } rows[] = {
      {"budget_2026Q2", "the budget"},
      {"power_2027Q2", "the power envelope"},
      {"facility_mw", "the power envelope"},
      {"tpp_cap", "the export-control cap"},
      {"export_cap_2027", "the export-control cap"},
      {"supply_max_vendor_share", "the supply-security policy"},
      {"domestic_min_share", "the supply-security policy"},
      {"Frobnicate", "the 'frobnicate' constraint"},
  };
  for (const auto& row : rows) EXPECT_EQ(ConstraintInWords(row.name), row.words) << row.name;
}

}  // namespace
}  // namespace gpuplan::report::detail
