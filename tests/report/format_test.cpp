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

TEST(Money, TheScenarioCurrencyAtItsRate) {
  const Json krw = {{"scenario", {{"currency", "KRW"}, {"units_per_usd", 1400}}}};
  const Money m = MoneyOf(krw);
  EXPECT_EQ(m.currency, "KRW");
  EXPECT_EQ(m.units_per_usd, 1400);
  // 422e6 USD x 1400 = 590.8e9 KRW; 2.29 x 1400 = 3206; 0.42 x 1400 = 588.
  EXPECT_EQ(FormatMoney(422e6, m), "KRW 591 B");
  EXPECT_EQ(FormatMoney(1.08e9, m), "KRW 1.51 T");
  EXPECT_EQ(FormatMoney(2.29, m), "KRW 3,206");
  EXPECT_EQ(FormatMoney(0.42, m), "KRW 588");
  EXPECT_EQ(FormatMoney(-1e6, m), "-KRW 1.4 B");
  EXPECT_EQ(CurrencyLabel(m), "KRW");
  // Dollars when the document says so, or cannot say otherwise (no rate, a bad rate).
  for (const Json& usd :
       {Json::object(), Json{{"scenario", {{"currency", "KRW"}}}},
        Json{{"scenario", {{"currency", "KRW"}, {"units_per_usd", -3}}}},
        Json{{"scenario", {{"currency", "USD"}, {"units_per_usd", 1}}}}, Json{{"scenario", 5}}}) {
    EXPECT_EQ(FormatMoney(422e6, MoneyOf(usd)), "$422 M") << usd.dump();
    EXPECT_EQ(CurrencyLabel(MoneyOf(usd)), "$");
  }
}

TEST(CostPolicySentence, StatesThePolicyInTheScenarioCurrency) {
  Json report = {{"scenario", {{"currency", "KRW"}, {"units_per_usd", 1400}}},
                 {"cost_policy",
                  {{"pue", 1.3},
                   {"power_usd_per_kwh", 0.1},
                   {"maintenance_share_per_year", 0.08},
                   {"server_price_over_gpus", 1.3},
                   {"server_power_over_tdp", 1.8},
                   {"amortization", "horizon"},
                   {"amortization_years", 3},
                   {"parts", {{{"accelerator", "b200"}, {"usd_per_gpu_hour", 2.29}}}}}}};
  const std::string s = CostPolicySentence(report, MoneyOf(report));
  // 0.1 USD x 1400 = 140 KRW per kWh; 2.29 x 1400 = 3,206 KRW per GPU-hour.
  EXPECT_NE(s.find("over 3 years (the horizon)"), std::string::npos) << s;
  EXPECT_NE(s.find("maintenance 8.0%"), std::string::npos) << s;
  EXPECT_NE(s.find("PUE 1.3, power KRW 140/kWh"), std::string::npos) << s;
  EXPECT_NE(s.find("b200 KRW 3,206 per GPU-hour"), std::string::npos) << s;
  EXPECT_EQ(s.find('$'), std::string::npos) << s;
  report.erase("cost_policy");
  EXPECT_EQ(CostPolicySentence(report, MoneyOf(report)), "");  // an older document: nothing
}

TEST(Formats, HoursAndOrdinals) {
  EXPECT_EQ(FormatHours(48), "48 h");
  EXPECT_EQ(FormatHours(61.5), "61.5 h");
  EXPECT_EQ(FormatHours(190), "7.92 days");  // 190 / 24
  EXPECT_EQ(FormatHours(0.5), "30 min");
  EXPECT_EQ(Ordinal(95), "95th");
  EXPECT_EQ(Ordinal(50), "50th");
  EXPECT_EQ(Ordinal(1), "1st");
  EXPECT_EQ(Ordinal(22), "22nd");
  EXPECT_EQ(Ordinal(13), "13th");
  EXPECT_EQ(Ordinal(99.9), "99.9th");
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
