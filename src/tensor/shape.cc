#include "cairn/shape.h"

#include "cairn/error.h"

namespace cairn {

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n))
      throw ShapeError("shape " + shape_str(shape) + " has more elements than a 64-bit count can hold");
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int normalize_axis(int axis, int rank, const char* what) {
  int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw InvalidArgument(std::string(what) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                          std::to_string(rank));
  return a;
}

}  // namespace cairn
