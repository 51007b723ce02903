#include "file_util.h"

#include <string_view>

namespace cairn::data_internal {

std::vector<uint8_t> read_file_bytes(const std::string& path, Env& env) {
  auto file = env.new_random_access_file(path);
  std::vector<uint8_t> bytes(file->size());
  bytes.resize(file->read(0, bytes.size(), reinterpret_cast<char*>(bytes.data())));
  return bytes;
}

void write_file_bytes(const std::string& path, std::span<const uint8_t> bytes, Env& env) {
  write_file_atomically(env, path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace cairn::data_internal
