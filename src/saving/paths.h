// Path arithmetic for the files of a checkpoint directory (purely lexical, like os.path); join_path is
// in cairn/env.h.
#pragma once

#include <string>

namespace cairn {

// path relative to dir when it lies inside dir, otherwise path unchanged.
std::string path_relative_to(const std::string& dir, const std::string& path);

}  // namespace cairn
