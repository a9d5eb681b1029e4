// Internal to report/: tolerant readers of the report document and the human formats the page
// and the summary share. Nothing here throws on odd input: a wrong type reads as absent.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace gpuplan::report::detail {

using Json = nlohmann::ordered_json;

// j[key] when j is an object holding key, else nullptr.
const Json* Find(const Json& j, std::string_view key);
// The number at j[key]; nullopt when absent, null or not a number.
std::optional<double> Num(const Json& j, std::string_view key);
double NumOr(const Json& j, std::string_view key, double fallback);
// The string at j[key]; `fallback` when absent or not a string.
std::string StrOr(const Json& j, std::string_view key, std::string_view fallback = "");
bool BoolOr(const Json& j, std::string_view key, bool fallback);
// A service level's achieved wait over its own window (targets that apply `from` a later
// quarter), when it is below the horizon's `horizon_wait_h`: the figure to set against the
// target, as the horizon's includes the quarters before it. nullopt: the horizon's is.
std::optional<double> WindowWaitH(const Json& service_level, double horizon_wait_h);
// The array at j[key], or an empty array.
const Json& ArrayAt(const Json& j, std::string_view key);
// The object at j[key], or nullptr.
const Json* ObjectAt(const Json& j, std::string_view key);

// The simulation.policies entry of the policy the plan chose (simulation.policy), else the first;
// nullptr when there is none.
const Json* ChosenPolicy(const Json& simulation);
// A section's stage error ("error" key), or "".
std::string StageError(const Json& section);

// & < > " ' as entities: safe in element text and in quoted attributes.
std::string HtmlEscape(std::string_view text);
// Compact JSON that is safe inside <script>: '<', '>' and '&' become \u003c, \u003e, \u0026 (so
// "</script>" and "<!--" cannot appear); invalid UTF-8 is replaced, never thrown on.
std::string ScriptSafeJson(const Json& j);

// "$1.23 B", "$45.6 M", "$12.3 k", "$950".
std::string FormatUsd(double usd);

// How the page shows money: the document's amounts are US dollars (keys ending in _usd); the
// page shows them in the scenario's currency, converted at its rate.
struct Money {
  std::string currency = "USD";
  double units_per_usd = 1;
};
// scenario.currency at scenario.units_per_usd; US dollars when either is absent or odd (an
// older document): its amounts are dollars, and a currency without a rate cannot be shown.
Money MoneyOf(const Json& report);
// `usd` in `money`'s currency: "$1.2 B" in dollars, "KRW 1.68 T", "KRW 3,290" otherwise.
std::string FormatMoney(double usd, const Money& money);
// The document's cost_policy as one sentence, money in `money`'s currency; "" when absent:
// "Costs: capital written off over 5 years (the part's life), ..., power KRW 150/kWh."
std::string CostPolicySentence(const Json& report, const Money& money);
// The currency's symbol or code for axis titles and ticks: "$" for USD, else "KRW".
std::string CurrencyLabel(const Money& money);
// A wait given in hours: "40 min", "61.5 h" (below 4 days), "6.3 days".
std::string FormatHours(double hours);
// 95 -> "95th", 50 -> "50th", 99.9 -> "99.9th", 1 -> "1st", 22 -> "22nd".
std::string Ordinal(double n);
// Thousands separators, rounded to an integer: 18000 -> "18,000".
std::string FormatCount(double n);
// 0.7834 -> "78.3%".
std::string FormatPercent(double fraction);
// "45 s", "12 min", "3.4 h", "2.1 days".
std::string FormatDurationS(double seconds);
// A number in at most `digits` significant digits, no exponent below 1e6: 31.94 -> "31.9".
std::string FormatNumber(double value, int digits = 3);
// What a constraint's name means to a minister: "budget_2027" -> "the budget".
std::string ConstraintInWords(std::string_view constraint);

}  // namespace gpuplan::report::detail
