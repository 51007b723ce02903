// Whole-file reads and writes shared by the data readers and writers, through an Env.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/env.h"

namespace cairn::data_internal {

// IOError naming the file if it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path, Env& env = Env::Default());
// Replaces the file atomically (write_file_atomically): after a failure or a crash it holds its old
// content or the new one. IOError naming the file if it cannot be written.
void write_file_bytes(const std::string& path, std::span<const uint8_t> bytes, Env& env = Env::Default());

}  // namespace cairn::data_internal
