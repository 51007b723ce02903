// Which files of a checkpoint (prefix.index + prefix.data-*) are on disk, for the code that restores,
// lists and deletes checkpoints after a crash may have cut a save or a deletion short.
#pragma once

#include <string>

#include "cairn/env.h"

namespace cairn {

// A checkpoint can be restored only when its index and data are both there. A deletion removes the
// index first (remove_bundle), so an index without any data file is never a save in progress: it is
// what a deletion in the wrong order (or by hand) left, and counts as no checkpoint at all.
bool checkpoint_complete(Env& env, const std::string& prefix);

// Whether a file name of the checkpoint's directory is one of the finished data shards of `base`
// (the prefix's last path element), not a temporary file of a save.
bool is_data_file_of(const std::string& file, const std::string& base);

// The content of a file that is small by nature (a state file): ResourceLimitError naming the file
// when it is larger than 16 MB, before any of it is read. `what` says what the file is.
std::string read_small_text_file(Env& env, const std::string& path, const std::string& what);

}  // namespace cairn
