#!/usr/bin/env bash
# The example models as real Keras 3 sees them: build/examples/transformer_imdb (a Transformer encoder) and
# fashion_resnet (a ResNet-style CNN with BatchNormalization) each train at their test size, are killed and
# resumed bit-identically (each exits non-zero otherwise), save .keras, and write a case directory: the
# .keras file, inputs, and what cairn's model loaded from that file predicts. check_cairn_files.py then has
# Keras 3 load each file, with no code of ours, and predict the same within 1e-5.
#
#   tests/conformance/check_examples.sh EXAMPLES_DIR [VENV]
#
# EXAMPLES_DIR is build/examples; VENV defaults to .oracle-venv (or $CAIRN_ORACLE_VENV). Exits 0 when Keras
# agrees on both, 1 otherwise, 2 on bad usage.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
examples="${1:-}"
venv="${2:-${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}}"
if [[ -z "$examples" || ! -x "$examples/transformer_imdb" || ! -x "$examples/fashion_resnet" || ! -x "$venv/bin/python" ]]; then
  echo "usage: $0 EXAMPLES_DIR [VENV]  (EXAMPLES_DIR holding the built transformer_imdb and fashion_resnet)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=0
for example in transformer_imdb fashion_resnet; do
  if ! "$examples/$example" --tiny --dir "$work/$example" --keras-case "$work/cases/$example" > "$work/$example.log" 2>&1; then
    echo "$example failed:" >&2
    cat "$work/$example.log" >&2
    failed=1
  fi
done
"$venv/bin/python" "$here/check_cairn_files.py" "$work"/cases/* || failed=1
exit $failed
