// encode_png through libpng's write API into memory; image_from_tensor's linear scaling.
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>

#include "cairn/error.h"
#include "cairn/image.h"

namespace cairn {
namespace {

int png_color_type(int channels) {
  switch (channels) {
    case 1: return PNG_COLOR_TYPE_GRAY;
    case 2: return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3: return PNG_COLOR_TYPE_RGB;
    default: return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

void append_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}

// libpng reports errors by longjmp; the message is kept for the exception thrown after the jump.
void record_error(png_structp png, png_const_charp message) {
  *static_cast<std::string*>(png_get_error_ptr(png)) = message;
  png_longjmp(png, 1);
}

void ignore_warning(png_structp, png_const_charp) {}

}  // namespace

std::string encode_png(const Image& image) {
  const std::string shape = std::to_string(image.height) + "x" + std::to_string(image.width) + "x" +
                            std::to_string(image.channels);
  if (image.channels < 1 || image.channels > 4)
    throw InvalidArgument("encode_png: an image has 1 to 4 channels, got " + shape);
  constexpr int64_t kMaxSide = 0x7fffffff;
  if (image.height <= 0 || image.width <= 0 || image.height > kMaxSide || image.width > kMaxSide)
    throw InvalidArgument("encode_png: the image " + shape + " is empty or larger than PNG allows");
  const uint64_t expected = static_cast<uint64_t>(image.height) * static_cast<uint64_t>(image.width) *
                            static_cast<uint64_t>(image.channels);
  if (image.pixels.size() != expected)
    throw InvalidArgument("encode_png: the image " + shape + " needs " + std::to_string(expected) +
                          " bytes of pixels, got " + std::to_string(image.pixels.size()));

  std::string error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, record_error, ignore_warning);
  if (!png) throw ResourceLimitError("encode_png: libpng could not allocate its state");
  png_infop info = png_create_info_struct(png);
  std::string out;
  // No C++ object with a destructor is created between setjmp and the last libpng call.
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("encode_png: libpng failed on the image " + shape + ": " + (error.empty() ? "no memory" : error));
  }
  png_set_write_fn(png, &out, append_to_string, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               png_color_type(image.channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = static_cast<size_t>(image.width) * static_cast<size_t>(image.channels);
  for (int64_t row = 0; row < image.height; ++row)
    png_write_row(png, image.pixels.data() + static_cast<size_t>(row) * row_bytes);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Image image_from_tensor(const Tensor& values) {
  const Shape& shape = values.shape();
  const int channels = values.rank() == 2 ? 1 : values.rank() == 3 ? static_cast<int>(shape[2]) : 0;
  if (channels != 1 && channels != 3 && channels != 4)
    throw ShapeError("image_from_tensor: an image is (height, width) or (height, width, channels) with 1, 3 "
                     "or 4 channels, got " + shape_str(shape));
  const Tensor floats = values.to(DType::Float64);
  const std::span<const double> data = floats.span<double>();
  Image image{.height = shape[0], .width = shape[1], .channels = channels, .pixels = {}};
  image.pixels.resize(data.size());
  // The range of the finite values; NaN and infinities (a diverged training) are drawn black.
  double low = INFINITY, high = -INFINITY;
  for (double v : data)
    if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  const double range = high - low;
  for (size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i])) continue;  // pixels start at 0
    const double scaled = range > 0 ? (data[i] - low) / range * 255.0 : 128.0;
    image.pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(scaled, 0.0, 255.0)));
  }
  return image;
}

}  // namespace cairn
