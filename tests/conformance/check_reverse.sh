#!/usr/bin/env bash
# The other direction of the conformance cases: cairn loads each generated case's model.h5 and writes the
# model in every format it writes (write_cairn_files.cc: .keras, .h5, .weights.h5, and for tf-keras cases
# the legacy weights .h5, save_weights' TensorFlow checkpoint and a tf.train.Checkpoint(model=,
# optimizer=)), with its own predictions and next-step weights; real Keras (the case's generation) and
# TensorFlow load every file, predict, train one more step where the file holds the optimizer, restore the
# checkpoints with assert_consumed() and list them with tf.train.load_checkpoint (check_cairn_files.py).
#
#   tests/conformance/check_reverse.sh WRITER [VENV] [CASES_DIR]
#
# WRITER is the built write_cairn_files (build/tests/write_cairn_files); VENV defaults to .oracle-venv (or
# $CAIRN_ORACLE_VENV), CASES_DIR to tests/conformance/cases. Exits 0 when every file agrees, 1 on any
# mismatch, refusal or failed write, 2 on bad usage.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
writer="${1:-}"
venv="${2:-${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}}"
cases="${3:-$here/cases}"
if [[ -z "$writer" || ! -x "$writer" || ! -x "$venv/bin/python" || ! -d "$cases" ]]; then
  echo "usage: $0 WRITER [VENV] [CASES_DIR]  (WRITER the built write_cairn_files, VENV/bin/python present)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=0
written=()
for case_dir in "$cases"/*/; do
  case_dir="${case_dir%/}"
  [[ -f "$case_dir/case.json" && -f "$case_dir/model.h5" ]] || continue
  out="$work/$(basename "$case_dir")"
  if ! "$writer" "$case_dir" "$out"; then
    failed=1
  elif [[ -f "$out/case.json" ]]; then  # none for the legacy optimizers' cases
    written+=("$out")
  fi
done
if (( ${#written[@]} == 0 )); then
  echo "no case with a model.h5 under $cases" >&2
  exit 2
fi
"$venv/bin/python" "$here/check_cairn_files.py" "${written[@]}" || failed=1
exit $failed
