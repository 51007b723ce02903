// NumPy's .npy and .npz files (numpy.save / numpy.load / numpy.savez).
//
// Reading accepts format versions 1.0, 2.0 and 3.0 and the dtypes '<f4' '<f8' '<i4' '<i8' '|u1' '|b1'
// in either byte order (big-endian data is swapped). It refuses Fortran-ordered arrays, every other
// dtype, and object arrays ('|O'), whose contents are Python pickles that cairn will not execute. The
// header is parsed as the strict literal numpy writes, and the data size is checked against the file
// before anything is allocated, so a hostile file gives a FormatError naming it.
//
// Writing produces exactly the bytes numpy.save writes (version 1.0, 2.0 if the header needs it).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/tensor.h"

namespace cairn {

Tensor load_npy(const std::string& path);
// Replaces the file atomically through env (write_file_atomically): a crash leaves the old file or the
// new one.
void save_npy(const std::string& path, const Tensor& tensor, Env& env = Env::Default());

// The same on bytes in memory; `source` names the bytes in error messages.
Tensor decode_npy(std::span<const uint8_t> bytes, const std::string& source);
std::vector<uint8_t> encode_npy(const Tensor& tensor);

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// The arrays of an .npz in archive order, named as numpy.load(path).files does (member name without
// ".npy"). Members that are not .npy files are refused. Stored and deflated (savez_compressed) members
// are read.
std::vector<NamedTensor> load_npz(const std::string& path);
// Writes like numpy.savez (stored members "<name>.npy"), atomically through env as save_npy.
void save_npz(const std::string& path, const std::vector<NamedTensor>& arrays, Env& env = Env::Default());

}  // namespace cairn
