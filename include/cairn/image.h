// Images of bytes and their PNG encoding (libpng), for TensorBoard's image summaries and reports.
//
//   Image image{.height = 28, .width = 28, .channels = 1, .pixels = bytes};
//   std::string png = encode_png(image);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/tensor.h"

namespace cairn {

// height x width pixels of `channels` bytes each (1 grayscale, 2 grayscale and alpha, 3 RGB, 4 RGBA),
// row by row from the top.
struct Image {
  int64_t height = 0;
  int64_t width = 0;
  int channels = 1;
  std::vector<uint8_t> pixels;  // height * width * channels
};

// The PNG file of an image (8 bits per channel, no interlacing). InvalidArgument when the image is
// empty, its channels are not 1 to 4, pixels does not hold height * width * channels bytes, or a side
// exceeds PNG's limit (2^31 - 1).
std::string encode_png(const Image& image);

// A float tensor of shape (height, width) or (height, width, channels) as an image, its values mapped
// linearly from [min, max] of the tensor to [0, 255] (a constant tensor is mid-grey, 128). Channels must
// be 1, 3 or 4. NaN and infinite values are black and do not count in the range. ShapeError naming the
// shape otherwise.
Image image_from_tensor(const Tensor& values);

}  // namespace cairn
