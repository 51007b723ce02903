// Tensor shapes: a list of dimension sizes, outermost first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn {

using Shape = std::vector<int64_t>;

// The product of the dimensions; ShapeError naming the shape when it overflows int64 (a shape read
// from a file can ask for 2^62 x 4 elements).
int64_t num_elements(const Shape& shape);
// Python-tuple style, as Keras prints shapes: "(32, 784)", "(5,)", "()".
std::string shape_str(const Shape& shape);
// Turns a possibly negative axis into [0, rank); throws InvalidArgument naming `what`.
int normalize_axis(int axis, int rank, const char* what);

}  // namespace cairn
