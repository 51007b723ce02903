#!/usr/bin/env bash
# cairn side by side with PyTorch, in one run on the same machine: ratios hold on a shared machine where
# absolute times do not. For each of 1 and 2 threads, each training workload runs in cairn-bench and
# then in bench/pytorch_peer.py; then the 512 MB checkpoint save/load in both, and dd for the
# disk. Prints a table of samples/s and cairn/pytorch ratios (>1 = cairn faster), and MB/s. About 3.5
# minutes with the defaults.
#
#   bench/compare_pytorch.sh [--seconds S] [--checkpoint-mb MB]
#
# Nobody should build meanwhile on the 2 shared cores; hold the build lock for the whole run:
#   flock /tmp/cairn-build.lock bench/compare_pytorch.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
peer="$here/pytorch_peer.py"
bench="${CAIRN_BENCH:-$repo/build/bench/cairn-bench}"
seconds=5
checkpoint_mb=512
workloads=(moons_mlp mnist_mlp mnist_cnn imdb_lstm iris_dnn)

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --checkpoint-mb) checkpoint_mb="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds S] [--checkpoint-mb MB]" >&2; exit 2 ;;
  esac
done

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "python3-torch is missing: run scripts/setup --peers first" >&2
  exit 1
fi
if [ ! -f "$peer" ]; then
  echo "the PyTorch peer is missing: $peer" >&2
  exit 1
fi
if [ ! -x "$bench" ]; then
  echo "cairn-bench is not built: flock /tmp/cairn-build.lock cmake --build build --target cairn-bench" >&2
  exit 1
fi

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
record() { tee -a "$results" >&2; }

# cairn sets OpenMP's and OpenBLAS's threads itself (cairn::set_num_threads); the environment says the
# same so that neither runtime starts more threads than asked for. The peer runs as it is meant to:
# OpenBLAS single-threaded under PyTorch's own threads (see pytorch_peer.py).
run_cairn() {
  local threads="$1"; shift
  OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 "$bench" --threads "$threads" "$@" | record
}
run_peer() {
  local threads="$1"; shift
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$peer" --threads "$threads" "$@" | record
}

peer_version="$(/usr/bin/python3 -c 'import torch; print("pytorch", torch.__version__)')"
echo "cairn-bench vs $peer_version, ${seconds}s per workload, checkpoint ${checkpoint_mb} MB," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for threads in 1 2; do
  for workload in "${workloads[@]}"; do
    run_cairn "$threads" --seconds "$seconds" --only "$workload"
    run_peer "$threads" --seconds "$seconds" --only "$workload"
  done
done

# The checkpoint figures depend on how recently the VM's free memory was used: pages freed in the last
# second or two are cheap to take again, older ones were handed back to the host and cost a host fault
# each (measured: dd 790-880 MB/s right after another process freed 2 GB, 440-640 MB/s after 2-15 s
# idle). Each measurement therefore starts after the same pause, in two rounds of opposite order; the
# table takes each one's best round.
ddfile="$(mktemp "${PEER_TMP:-${TMPDIR:-/tmp}}/cairn-dd.XXXXXX")"
trap 'rm -f "$results" "$ddfile"' EXIT
dd_seconds() {  # dd's own timing, from its "... copied, 0.61 s, 876 MB/s" line
  LC_ALL=C dd "$@" 2>&1 | awk '/copied/ { for (i = 1; i <= NF; ++i) if ($i == "s,") print $(i - 1) }'
}
# The disk's own figure, in the same place ($PEER_TMP, as the peer's tempfile): write with fsync, then
# read back from the page cache as the loads do.
run_dd() {
  local write_s read_s
  write_s="$(dd_seconds if=/dev/zero of="$ddfile" bs=1M count="$checkpoint_mb" conv=fsync)"
  read_s="$(dd_seconds if="$ddfile" of=/dev/null bs=1M)"
  rm -f "$ddfile"
  awk -v mb="$checkpoint_mb" -v w="$write_s" -v r="$read_s" 'BEGIN {
    printf "{\"workload\": \"save_state_dict\", \"mb\": %d, \"save_mb_per_s\": %.1f, ", mb, mb / w
    printf "\"load_mb_per_s\": %.1f, \"threads\": 1, \"impl\": \"dd\"}\n", mb / r
  }' | record
}
checkpoint() {
  sleep 3
  case "$1" in
    cairn) run_cairn 1 --only save_state_dict --checkpoint-mb "$checkpoint_mb" ;;
    pytorch) run_peer 1 --only save_state_dict --checkpoint-mb "$checkpoint_mb" ;;
    dd) run_dd ;;
  esac
}
for impl in cairn pytorch dd dd pytorch cairn; do checkpoint "$impl"; done

echo >&2
/usr/bin/python3 "$here/compare.py" "$results"
