#!/usr/bin/env bash
# A 4-process job writes a sharded checkpoint; TensorFlow's tf.train.load_checkpoint (the oracle venv,
# scripts/setup --oracle) reads it to the values of cairn's consolidated copy. Exit 77 (skipped) without
# the venv.
# usage: tensorflow_reads.sh WORKER CAIRN MPIEXEC VENV
set -euo pipefail
worker=$1 cairn=$2 mpiexec=$3 venv=$4
[ -x "$venv/bin/python" ] || { echo "skipped: no oracle venv at $venv (scripts/setup --oracle)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$mpiexec" -np 4 "$worker" train "$work/run" 10 10
"$cairn" convert "$work/run/ckpt-1" "$work/consolidated" >/dev/null
TF_CPP_MIN_LOG_LEVEL=2 "$venv/bin/python" "$(dirname "$0")/tensorflow_reads.py" "$work/run/ckpt-1" "$work/consolidated"
