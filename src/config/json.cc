// parse_json: the one way JSON text from a file or a user becomes a Json value.
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/internal/config/config_reader.h"

namespace cairn {

namespace {

// Counts the nesting of arrays and objects outside strings, so that a hostile depth is refused before
// the parser builds a value whose copies, dumps and destruction would recurse that deep.
void check_depth(std::string_view text, const std::string& source) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw ResourceLimitError(source + ": JSON nested more than " + std::to_string(kMaxJsonDepth) +
                                 " levels deep (at byte " + std::to_string(i) + "), deeper than cairn reads");
    } else if (c == ']' || c == '}') {
      --depth;  // an unbalanced bracket is the parser's to report
    }
  }
}

}  // namespace

Json parse_json(std::string_view text, const std::string& source) {
  check_depth(text, source);
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's message quotes the last token read, which can be a whole 50 MB string.
    throw FormatError(source + ": malformed JSON: " + config_detail::clip_message(e.what()));
  }
}

}  // namespace cairn
