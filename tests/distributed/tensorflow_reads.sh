#!/usr/bin/env bash
# TensorFlow's own tf.train.load_checkpoint reads a sharded checkpoint that a 4-process job of cairn wrote,
# to the values of cairn's consolidated copy (about 20 s):
#   tests/distributed/tensorflow_reads.sh [BUILD_DIR]     (default: build)
# Builds what it runs (distributed_worker, cairn) in BUILD_DIR, which must be configured with MPI
# (CAIRN_WITH_MPI, on where libopenmpi-dev is installed: scripts/setup). Needs the oracle environment
# (scripts/setup --oracle, or scripts/conformance; $CAIRN_ORACLE_VENV, default .oracle-venv).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
venv="${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}"
[ -x "$venv/bin/python" ] || { echo "no oracle environment at $venv: run scripts/setup --oracle" >&2; exit 2; }
grep -q '^CAIRN_WITH_MPI:BOOL=ON' "$build/CMakeCache.txt" ||
  { echo "$build is not configured with MPI (CAIRN_WITH_MPI): install libopenmpi-dev (scripts/setup)" >&2; exit 2; }
cmake --build "$build" --target distributed_worker cairn-cli
mpiexec=$(sed -n 's/^MPIEXEC_EXECUTABLE:FILEPATH=//p' "$build/CMakeCache.txt")
# Root may start MPI jobs (CI runs as root), and 4 processes may share fewer cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${mpiexec:-mpiexec}" -np 4 "$build/tests/distributed_worker" train "$work/run" 10 10
"$build/tools/cairn" convert "$work/run/ckpt-1" "$work/consolidated" >/dev/null
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" "$repo/tests/distributed/tensorflow_reads.py" "$work/run/ckpt-1" "$work/consolidated"
