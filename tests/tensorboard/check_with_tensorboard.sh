#!/usr/bin/env bash
# TensorBoard itself reads the logs cairn writes, and must find every record with cairn's values, both
# through its event loader and from `tensorboard --logdir` serving them on localhost (about 30 s):
#   tests/tensorboard/check_with_tensorboard.sh [BUILD_DIR]     (default: build)
# Needs the oracle environment (scripts/setup --oracle; $CAIRN_ORACLE_VENV, default .oracle-venv) and
# the build's tensorboard_log_writer (cmake --build BUILD_DIR --target tensorboard_log_writer).
# Exit status 0 when TensorBoard agrees; otherwise what it disagrees with is printed and the status is 1.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
venv="${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}"
writer="$build/tests/tensorboard_log_writer"
[ -x "$writer" ] || { echo "no $writer: build it with cmake --build $build --target tensorboard_log_writer" >&2; exit 2; }
[ -x "$venv/bin/python" ] || { echo "no oracle environment at $venv: run scripts/setup --oracle" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$writer" "$work/logs" "$work/expected.json" >/dev/null
# TensorFlow's C++ logging and oneDNN notices are not part of the verdict.
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" "$repo/tests/tensorboard/check_with_tensorboard.py" \
  "$work/logs" "$work/expected.json" --serve
