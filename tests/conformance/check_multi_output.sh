#!/usr/bin/env bash
# Models whose layers have several outputs (keras.io's lstm_seq2seq, its GRU form, Bidirectional with
# merge_mode None and return_state; tests/fixtures, written by generate_seq2seq.py), as real Keras sees
# cairn's files of them: cairn loads each Keras 3 .keras and tf-keras .h5 fixture and writes the file of
# the same generation (write_cairn_files --fixture), with its predictions; check_cairn_files.py then has
# Keras 3 load cairn's .keras and tf-keras cairn's .h5, with no code of ours, and predict the same within
# 1e-5.
#
#   tests/conformance/check_multi_output.sh WRITER [VENV]
#
# WRITER is the built write_cairn_files (build/tests/write_cairn_files); VENV defaults to .oracle-venv (or
# $CAIRN_ORACLE_VENV). Exits 0 when Keras agrees on every file, 1 otherwise, 2 on bad usage.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
writer="${1:-}"
venv="${2:-${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}}"
if [[ -z "$writer" || ! -x "$writer" || ! -x "$venv/bin/python" ]]; then
  echo "usage: $0 WRITER [VENV]  (WRITER the built write_cairn_files, VENV/bin/python present)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fixtures="$repo/tests/fixtures"
failed=0
written=()
for name in seq2seq_lstm seq2seq_gru bidirectional_outputs; do
  for generation in keras3 tf_keras; do
    if [[ $generation == keras3 ]]; then
      model="$fixtures/keras3/$name.keras" data="$fixtures/keras3/$name.npz"
    else
      model="$fixtures/keras_h5/${name}_tfkeras.h5" data="$fixtures/keras_h5/${name}_tfkeras.npz"
    fi
    out="$work/$generation-$name"
    if "$writer" --fixture "$model" "$data" "$generation" "$out"; then
      written+=("$out")
    else
      failed=1
    fi
  done
done
"$venv/bin/python" "$here/check_cairn_files.py" "${written[@]}" || failed=1
exit $failed
