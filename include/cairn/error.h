// The one exception hierarchy of cairn. Every failure a user can cause or meet is one of these.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cairn {

// Base of every exception cairn throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The operating system refused a file operation (open, read, write, fsync, rename...).
class IOError : public Error {
 public:
  using Error::Error;
};

// A file's content is damaged, truncated, hostile or in a layout cairn does not support.
class FormatError : public Error {
 public:
  using Error::Error;
};

// Two shapes that must agree do not; the message names the op or key and both shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// An argument is out of its domain (negative units, unknown activation name...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A file or a config asks for more than cairn allows itself to spend on it: an allocation larger than
// the file could justify, a nesting deeper than the parser's bound, an archive that inflates too far.
class ResourceLimitError : public FormatError {
 public:
  using FormatError::FormatError;
};

// A bad value as an error message may quote it: at most max_chars characters of it in double quotes,
// followed by how long it really was when it was cut, so that a 50 MB field never reaches stderr whole.
inline std::string excerpt(std::string_view value, std::size_t max_chars = 64) {
  const bool cut = value.size() > max_chars;
  std::string quoted;
  quoted.reserve(std::min(value.size(), max_chars) + 32);
  quoted.push_back('"');
  quoted.append(value.substr(0, max_chars));
  quoted.push_back('"');
  if (cut) quoted.append("... (").append(std::to_string(value.size())).append(" bytes)");
  return quoted;
}

}  // namespace cairn
