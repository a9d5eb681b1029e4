#include "report/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "units/units.h"

namespace gpuplan::report::detail {

const Json* Find(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(std::string(key));
  return it == j.end() ? nullptr : &*it;
}

std::optional<double> Num(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

double NumOr(const Json& j, std::string_view key, double fallback) {
  return Num(j, key).value_or(fallback);
}

std::string StrOr(const Json& j, std::string_view key, std::string_view fallback) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return v->get<std::string>();
}

bool BoolOr(const Json& j, std::string_view key, bool fallback) {
  const Json* v = Find(j, key);
  if (v == nullptr || !v->is_boolean()) return fallback;
  return v->get<bool>();
}

std::optional<double> WindowWaitH(const Json& service_level, double horizon_wait_h) {
  const auto achieved = Num(service_level, "achieved_wait_h");
  if (StrOr(service_level, "from").empty() || !achieved || !(*achieved < horizon_wait_h)) {
    return std::nullopt;
  }
  return achieved;
}

const Json& ArrayAt(const Json& j, std::string_view key) {
  static const Json kEmpty = Json::array();  // immutable: not global state
  const Json* v = Find(j, key);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

const Json* ObjectAt(const Json& j, std::string_view key) {
  const Json* v = Find(j, key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

const Json* ChosenPolicy(const Json& simulation) {
  const Json& policies = ArrayAt(simulation, "policies");
  const std::string chosen = StrOr(simulation, "policy");
  const Json* first = nullptr;
  for (const Json& p : policies) {
    if (!p.is_object()) continue;
    if (first == nullptr) first = &p;
    if (!chosen.empty() && StrOr(p, "policy") == chosen) return &p;
  }
  return first;
}

std::string StageError(const Json& section) { return StrOr(section, "error"); }

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ScriptSafeJson(const Json& j) {
  const std::string dumped = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  // These characters occur only inside JSON strings, where \uXXXX means the same character.
  for (char c : dumped) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatUsd(double usd) {
  static constexpr struct {
    double scale;
    const char* suffix;
  } kScales[] = {{1e12, " T"}, {1e9, " B"}, {1e6, " M"}, {1e3, " k"}};
  const char* sign = usd < 0 ? "-" : "";
  const double a = std::fabs(usd);
  for (const auto& s : kScales) {
    if (a >= s.scale) return fmt::format("{}${}{}", sign, FormatNumber(a / s.scale), s.suffix);
  }
  return fmt::format("{}${}", sign, FormatNumber(a));  // "$950", "$0.42" per million tokens
}

Money MoneyOf(const Json& report) {
  Money money;
  const Json* scenario = ObjectAt(report, "scenario");
  if (scenario == nullptr) return money;
  const std::string currency = StrOr(*scenario, "currency");
  const auto rate = Num(*scenario, "units_per_usd");
  if (currency.empty() || currency == "USD" || !rate || *rate <= 0) return money;
  money.currency = currency;
  money.units_per_usd = *rate;
  return money;
}

std::string FormatMoney(double usd, const Money& money) {
  if (money.currency == "USD") return FormatUsd(usd);
  static constexpr struct {
    double scale;
    const char* suffix;
  } kScales[] = {{1e12, " T"}, {1e9, " B"}, {1e6, " M"}};
  const double amount = usd * money.units_per_usd;
  const char* sign = amount < 0 ? "-" : "";
  const double a = std::fabs(amount);
  for (const auto& s : kScales) {
    if (a >= s.scale) {
      return fmt::format("{}{} {}{}", sign, money.currency, FormatNumber(a / s.scale), s.suffix);
    }
  }
  // Below a million in full ("KRW 3,290"): a won figure in thousands reads oddly.
  return fmt::format("{}{} {}", sign, money.currency, FormatNumber(a));
}

std::string CostPolicySentence(const Json& report, const Money& money) {
  const Json* p = ObjectAt(report, "cost_policy");
  if (p == nullptr) return "";
  const auto years = Num(*p, "amortization_years");
  const auto pue = Num(*p, "pue");
  const auto kwh = Num(*p, "power_usd_per_kwh");
  if (!years || !pue || !kwh) return "";
  const std::string over =
      StrOr(*p, "amortization") == "horizon" ? "the horizon" : "the part's life";
  const double kwh_units = *kwh * money.units_per_usd;
  const std::string power = money.currency == "USD"
                                ? fmt::format("${}", FormatNumber(kwh_units, 3))
                                : fmt::format("{} {}", money.currency, FormatNumber(kwh_units, 3));
  std::string out = fmt::format(
      "Costs: capital written off over {} years ({}), maintenance {} of capital a year, servers "
      "at {}x their GPUs' price and {}x their TDP, PUE {}, power {}/kWh",
      FormatNumber(*years), over, FormatPercent(NumOr(*p, "maintenance_share_per_year", 0)),
      FormatNumber(NumOr(*p, "server_price_over_gpus", 0)),
      FormatNumber(NumOr(*p, "server_power_over_tdp", 0)), FormatNumber(*pue), power);
  std::string parts;
  for (const Json& part : ArrayAt(*p, "parts")) {
    const auto hour = Num(part, "usd_per_gpu_hour");
    if (!hour) continue;
    parts += fmt::format("{}{} {} per GPU-hour", parts.empty() ? "" : ", ",
                         StrOr(part, "accelerator", "?"), FormatMoney(*hour, money));
  }
  if (!parts.empty()) out += "; so " + parts;
  return out + ".";
}

std::string CurrencyLabel(const Money& money) {
  return money.currency == "USD" ? "$" : money.currency;
}

std::string FormatHours(double hours) {
  constexpr double kMaxHoursShown = 96;  // 4 days: "61.5 h" reads better than "2.56 days"
  if (std::fabs(hours) < 1 || std::fabs(hours) >= kMaxHoursShown) {
    return FormatDurationS(hours * kSecondsPerHour);
  }
  return FormatNumber(hours) + " h";
}

std::string Ordinal(double n) {
  const std::string number = FormatNumber(n, 4);
  const long long whole = std::llround(n);
  if (number.find('.') != std::string::npos || whole % 100 / 10 == 1) return number + "th";
  switch (whole % 10) {
    case 1:
      return number + "st";
    case 2:
      return number + "nd";
    case 3:
      return number + "rd";
    default:
      return number + "th";
  }
}

std::string FormatCount(double n) {
  const long long v = std::llround(std::fabs(n));
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 && v != 0 ? "-" : "") + out;
}

std::string FormatPercent(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }

std::string FormatDurationS(double seconds) {
  constexpr double kMinuteS = 60, kHourS = kSecondsPerHour, kDayS = kSecondsPerDay;
  const double a = std::fabs(seconds);
  if (a < kMinuteS) return fmt::format("{} s", FormatNumber(seconds, 2));
  if (a < kHourS) return fmt::format("{} min", FormatNumber(seconds / kMinuteS, 2));
  if (a < kDayS) return fmt::format("{} h", FormatNumber(seconds / kHourS, 2));
  const std::string days = FormatNumber(seconds / kDayS, 3);
  return days + (days == "1" ? " day" : " days");
}

std::string FormatNumber(double value, int digits) {
  if (!std::isfinite(value)) return "n/a";
  const double a = std::fabs(value);
  if (a >= 1e6) return FormatCount(value);
  if (a == 0) return "0";
  // Decimals for `digits` significant digits, never fewer than 0.
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::max(0, digits - 1 - magnitude);
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (a >= 1000) return FormatCount(value);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string ConstraintInWords(std::string_view constraint) {
  std::string c(constraint);
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::tolower(ch); });
  const auto has = [&c](std::string_view w) { return c.find(w) != std::string::npos; };
  // Vendor delivery limits ("the supply of b200") are not the supply-security policy.
  if (has("availability")) return "vendor delivery limits";
  if (has("milestone")) return "a capacity milestone";
  if (has("rental")) return "the rental limit";
  if (has("budget") || has("capex") || has("cost")) return "the budget";
  if (has("power") || has("mw") || has("energy")) return "the power envelope";
  if (has("tpp") || has("export")) return "the export-control cap";
  if (has("supply") || has("vendor") || has("sovereign") || has("domestic") || has("diversif")) {
    return "the supply-security policy";
  }
  if (has("demand") || has("capacity") || has("h100")) return "the compute demand";
  if (has("space") || has("rack") || has("floor")) return "the floor space";
  return "the '" + c + "' constraint";
}

}  // namespace gpuplan::report::detail
