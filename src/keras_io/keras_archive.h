// Keras 3's .keras zip as cairn reads it: the member that holds the weights.
#pragma once

#include "cairn/zip.h"

namespace cairn::keras_io_detail {

inline constexpr const char* kWeightsMember = "model.weights.h5";

// The archive's weights member. FormatError naming the archive when there is none (also when the
// weights are in model.weights.npz, which cairn does not read).
const ZipMember& weights_member(const ZipArchive& archive);

}  // namespace cairn::keras_io_detail
