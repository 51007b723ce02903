// The HTML report of a run directory, which `cairn report` writes and `cairn train --report` writes when
// training ends.
#pragma once

#include <string>

#include "workflow.h"

namespace cairn::cli {

// Writes the page about the run in `dir` (see `cairn help report`) to `output`: curves from the
// TensorBoard logs in `logs`, test data from `data` or, when none is given, the run's own. Pieces that
// cannot be made are said in the page; warnings (a torn log record) also go to stderr. IOError when dir
// is not a run directory.
void write_run_report(const std::string& dir, const std::string& logs, const std::string& output,
                      const DataOptions& data);

}  // namespace cairn::cli
