// The guard in front of toml++ 3.3.0 (config.h says why): a single pass over the text with the
// lexical states of TOML, refusing the inputs that reach its undefined behaviour.
#include <fmt/format.h>

#include <cctype>
#include <cstdint>

#include "config/config.h"

namespace gpuplan::config {

namespace {

// Length of the UTF-8 sequence at s[i] if it is valid (shortest form, no surrogates, at most
// U+10FFFF), else 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsKeyStart(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '"' ||
         c == '\'';
}

}  // namespace

Result<void> CheckTomlText(std::string_view text, std::string_view path) {
  enum class State { kCode, kComment, kBasic, kLiteral, kMlBasic, kMlLiteral };
  State state = State::kCode;
  int64_t line = 1;
  bool line_start = true;  // only blanks so far on this line
  // Open arrays ('a') and inline tables ('t'), and what the next significant character must be:
  // toml++ 3.3.0 assumes (UB when false) that a value never starts with '}' or ','.
  std::string nesting;
  enum class Expect { kAny, kValue, kKey } expect = Expect::kAny;
  // Between a key's '=' and the end of its value: a quote after '.' starts a dotted key only
  // outside it (toml++ 3.3.0 scans `-."..."` as a number, UB on non-ASCII inside).
  bool in_value = false;
  // Inside an unquoted value (a number, date, bool): toml++ scans it up to whitespace, ']', '}',
  // ',' or '#', through quotes and '=', so a quote there must not reach it.
  bool bare = false;
  auto fail = [&](std::string_view what) {
    return Error{fmt::format("{}:{}: malformed TOML: {}", path, line, what)};
  };
  const auto at = [&](size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const size_t n = Utf8Length(text, i);
      if (n == 0) return fail("invalid UTF-8 (the file must be UTF-8 text)");
      if (state == State::kCode) {
        return fail("a non-ASCII character outside a string or comment (quote it)");
      }
      i += n - 1;
      line_start = false;
      continue;
    }
    if (c == '\n') {
      ++line;
      line_start = true;
      bare = false;
      if (state == State::kCode && nesting.empty()) in_value = false;
      if (state == State::kComment || state == State::kBasic || state == State::kLiteral) {
        state = State::kCode;
      }
      continue;
    }
    if ((u < 0x20 && c != '\t' && c != '\r') || u == 0x7F) {
      return fail(fmt::format("control character 0x{:02x}", u));
    }
    if (c == '\r' && !at(i + 1, "\n")) return fail("a carriage return without a line feed");
    const bool was_line_start = line_start;
    if (c != ' ' && c != '\t' && c != '\r') line_start = false;
    switch (state) {
      case State::kComment:
        break;
      case State::kCode:
        if (c != ' ' && c != '\t' && c != '\r' && c != '#') {
          if (expect == Expect::kValue && (c == '}' || c == ',' || (c == ']' && nesting.empty()))) {
            return fail(fmt::format("a value is missing before '{}'", c));
          }
          if (expect == Expect::kKey && !(IsKeyStart(c) || c == '}')) {
            return fail(fmt::format("an inline table needs a key before '{}'", c));
          }
          expect = Expect::kAny;
        }
        if (c == '=') {
          expect = Expect::kValue;
          in_value = true;
        } else if (c == '[' && !was_line_start) {
          nesting += 'a';
          expect = Expect::kValue;
        } else if (c == '{') {
          nesting += 't';
          expect = Expect::kKey;
          in_value = false;
        } else if ((c == ']' || c == '}') && !nesting.empty()) {
          nesting.pop_back();
        } else if (c == ',' && !nesting.empty()) {
          expect = nesting.back() == 'a' ? Expect::kValue : Expect::kKey;
          if (expect == Expect::kKey) in_value = false;
        }
        if ((c == '"' || c == '\'') && in_value && (bare || (i > 0 && text[i - 1] == '.'))) {
          return fail("a quote inside an unquoted value (a string starts a value)");
        }
        // toml++ 3.3.0's unquoted value runs on through '{' and '[' too (t = 2{k = "..."}):
        // never valid TOML, and its scan reaches the non-ASCII in the string after them.
        if ((c == '{' || c == '[') && bare) {
          return fail(fmt::format("'{}' right after an unquoted value", c));
        }
        if (std::string_view(" \t\r]},#[{\"'").find(c) != std::string_view::npos ||
            (c == '=' && !bare)) {
          bare = false;
        } else {
          bare = in_value;
        }
        if ((c == '"' || c == '\'') && i > 0 &&
            std::string_view(" \t=[{,.\n").find(text[i - 1]) == std::string_view::npos) {
          // toml++ 3.3.0 reads `-"..."` as a number and hits UB on non-ASCII inside it.
          return fail(fmt::format("a quote right after '{}' (a string starts a value or key)",
                                  text[i - 1]));
        }
        if (c == '#') {
          state = State::kComment;
        } else if (at(i, "\"\"\"")) {
          state = State::kMlBasic;
          i += 2;
        } else if (at(i, "'''")) {
          state = State::kMlLiteral;
          i += 2;
        } else if (c == '"') {
          state = State::kBasic;
        } else if (c == '\'') {
          state = State::kLiteral;
        } else if (c == '[' && was_line_start) {
          // A table header; toml++ 3.3.0 asserts on one whose key starts badly ("[&").
          size_t k = i + 1;
          if (at(k, "[")) ++k;
          while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
          if (k >= text.size() || !IsKeyStart(text[k])) {
            return fail("a table header must start with a key, such as [name]");
          }
        }
        break;
      case State::kBasic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] != '\n') ++i;  // the escaped character
        } else if (c == '"') {
          state = State::kCode;
        }
        break;
      case State::kLiteral:
        if (c == '\'') state = State::kCode;
        break;
      case State::kMlBasic:
        if (c == '\\') {
          size_t k = i + 1;
          while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
          if (k < text.size() && (text[k] == '\n' || text[k] == '\r')) {
            // A line-ending backslash: toml++ 3.3.0 misreads a non-ASCII character as the
            // first after the whitespace it trims (marzer/tomlplusplus#190).
            while (k < text.size() &&
                   (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r')) {
              if (text[k] == '\n') ++line;
              ++k;
            }
            if (k < text.size() && static_cast<unsigned char>(text[k]) >= 0x80) {
              return fail("a non-ASCII character right after a line-ending backslash");
            }
            i = k - 1;
            line_start = false;
          } else if (k < text.size()) {
            i = i + 1;  // the escaped character
          }
        } else if (at(i, "\"\"\"")) {
          state = State::kCode;
          i += 2;
        }
        break;
      case State::kMlLiteral:
        if (at(i, "'''")) {
          state = State::kCode;
          i += 2;
        }
        break;
    }
  }
  return Ok{};
}

}  // namespace gpuplan::config
