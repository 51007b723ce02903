#include "text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cairn/error.h"
#include "cairn/internal/io/coding.h"

namespace cairn::text_format {
namespace {

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  std::vector<Field> parse() {
    std::vector<Field> fields;
    for (skip_space(); !at_end(); skip_space()) {
      int line = line_;
      std::string name = identifier();
      skip_space();
      if (!consume(':')) fail("expected ':' after field name " + excerpt(name));
      skip_space();
      if (consume('[')) {
        skip_space();
        if (!consume(']')) {
          do {
            skip_space();
            fields.push_back({name, value(), line});
            skip_space();
          } while (consume(','));
          if (!consume(']')) fail("expected ',' or ']' in the list of " + excerpt(name));
        }
      } else {
        fields.push_back({name, value(), line});
      }
      skip_space();
      if (!consume(',')) consume(';');
    }
    return fields;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  bool consume(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("cannot parse " + source_ + ", line " + std::to_string(line_) + ": " + what);
  }

  void skip_space() {
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  std::string identifier() {
    size_t start = pos_;
    while (!at_end() && is_identifier_char(text_[pos_])) ++pos_;
    if (start == pos_ || (text_[start] >= '0' && text_[start] <= '9')) fail("expected a field name");
    return std::string(text_.substr(start, pos_ - start));
  }

  std::variant<std::string, double> value() {
    char c = peek();
    if (c == '"' || c == '\'') {
      std::string result = string_literal();
      // Adjacent literals concatenate, as in C.
      for (skip_space(); peek() == '"' || peek() == '\''; skip_space()) result += string_literal();
      return result;
    }
    return number();
  }

  std::string string_literal() {
    char quote_char = text_[pos_++];
    std::string out;
    while (true) {
      if (at_end() || peek() == '\n') fail("unterminated string");
      char c = text_[pos_++];
      if (c == quote_char) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '\\':
        case '\'':
        case '"':
        case '?': out += e; break;
        case 'x':
        case 'X': {
          int v = 0, digits = 0;
          for (int d; digits < 2 && (d = hex_value(peek())) >= 0; ++digits, ++pos_) v = v * 16 + d;
          if (digits == 0) fail("\\x escape without hex digits");
          out += static_cast<char>(v);
          break;
        }
        case 'u':
        case 'U': {
          int want = e == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (int i = 0; i < want; ++i, ++pos_) {
            int d = hex_value(peek());
            if (d < 0) fail(std::string("\\") + e + " escape needs " + std::to_string(want) + " hex digits");
            v = v * 16 + static_cast<uint32_t>(d);
          }
          if (v > 0x10FFFF) fail("\\U escape beyond Unicode");
          coding::append_utf8(out, v);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int digits = 1; digits < 3 && peek() >= '0' && peek() <= '7'; ++digits)
              v = v * 8 + (text_[pos_++] - '0');
            if (v > 255) fail("octal escape beyond a byte");
            out += static_cast<char>(v);
          } else {
            fail(std::string("unknown escape \\") + e);
          }
      }
    }
  }

  double number() {
    bool negative = consume('-');
    size_t start = pos_;
    while (!at_end()) {
      char c = text_[pos_];
      bool exponent_sign = (c == '+' || c == '-') && pos_ > start &&
                           (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E') &&
                           !(pos_ - start > 1 && (text_[start + 1] == 'x' || text_[start + 1] == 'X'));
      if (!is_identifier_char(c) && c != '.' && !exponent_sign) break;
      ++pos_;
    }
    // A view of the text: a damaged file may hold a token of megabytes, which is never copied whole.
    const std::string_view token = text_.substr(start, pos_ - start);
    if (token.empty()) fail("expected a value");
    auto is = [&](std::string_view word) {
      return token.size() == word.size() && std::equal(token.begin(), token.end(), word.begin(), [](char a, char b) {
               return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
             });
    };
    double magnitude;
    if (is("inf") || is("infinity") || is("inff") || is("infinityf")) {
      magnitude = std::numeric_limits<double>::infinity();
    } else if (is("nan") || is("nanf")) {
      magnitude = std::numeric_limits<double>::quiet_NaN();
    } else if (token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X')) {
      uint64_t v = 0;
      auto [end, error] = std::from_chars(token.data() + 2, token.data() + token.size(), v, 16);
      if (error != std::errc() || end != token.data() + token.size()) fail("bad number " + excerpt(token));
      magnitude = static_cast<double>(v);
    } else {
      std::string_view digits = token;
      if ((digits.ends_with('f') || digits.ends_with('F')) && digits.find('.') != std::string_view::npos)
        digits.remove_suffix(1);  // 1.5f
      if (digits.empty() || !((digits[0] >= '0' && digits[0] <= '9') || digits[0] == '.'))
        fail("bad value " + excerpt(token));
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
      if (error != std::errc() || end != digits.data() + digits.size()) fail("bad number " + excerpt(token));
    }
    return negative ? -magnitude : magnitude;
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<Field> parse(std::string_view text, const std::string& source) {
  return Parser(text, source).parse();
}

std::string quote(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default: {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 32 || byte >= 127) {
          char octal[5];
          std::snprintf(octal, sizeof octal, "\\%03o", byte);
          out += octal;
        } else {
          out += c;
        }
      }
    }
  }
  return out + "\"";
}

std::string format_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // The shortest digits that round-trip, then Python's layout: positional for exponents in [-4, 16),
  // scientific with a signed two-digit exponent otherwise.
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view sci(buffer, static_cast<size_t>(end - buffer));  // [-]d[.ddd]e[+-]xx
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exponent);
  if (exponent >= -4 && exponent < 16) {
    int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
      out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
      out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exponent_text;
}

}  // namespace cairn::text_format
