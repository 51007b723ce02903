#!/usr/bin/env bash
# cairn side by side with today's peers on the same machine: cairn-bench, Keras 3 on TensorFlow 2.21
# (bench/keras_peer.py) and PyTorch 2.13 (bench/pytorch_peer.py), both peers from the oracle environment
# (.oracle-venv: scripts/setup --oracle). R rounds; in each, for every thread count and workload, the
# three run one after the other in an order that rotates from round to round, so that a slow spell of
# the shared machine falls on each of them in turn. Prints per workload and thread count the median
# samples/s of each with [min-max] over the rounds, and the ratios cairn/TensorFlow, cairn/PyTorch and
# cairn/faster peer (bench/compare.py; above 1 = cairn faster). Checkpoint speed: bench/checkpoint_compare.py.
#
#   bench/compare_peers.sh [--rounds R] [--seconds S] [--threads "1 2"] [--only w1,w2] [--out FILE]
#   flock /tmp/cairn-build.lock bench/compare_peers.sh    # the figures: nobody builds meanwhile (~25 min)
#   bench/compare_peers.sh --rounds 1 --seconds 1         # a check that everything runs (~2 min)
#
# Defaults: 5 rounds, 5 s of timed steps per run (after warm-up steps), threads 1 and 2, every workload.
# --out keeps the JSON lines of every run (with their round). Each contender in its best configuration
# for this machine:
#   cairn       --threads N: cairn's own OpenMP pool (cairn::set_num_threads); OpenBLAS single-threaded,
#               as cairn splits matrix products over its threads itself.
#   TensorFlow  intra-op pool N, inter-op pool 1 (a step is one chain of ops; a second pool only competes
#               for the cores); oneDNN kernels on (TF_ENABLE_ONEDNN_OPTS=1, its x86 default); Keras's
#               train_step in one tf.function on tensors made beforehand; XLA off, as it is slower on
#               every workload here (jit_compile: keras_peer.py's header has the figures).
#   PyTorch     torch.set_num_threads(N); eager mode, as torch.compile was slower (pytorch_peer.py's
#               header has the figures); OpenBLAS single-threaded, as its threads fight PyTorch's own
#               (4x slower at 2 threads otherwise).
# Every run has the same thread environment: OMP_NUM_THREADS=N, MKL_NUM_THREADS=N, OPENBLAS_NUM_THREADS=1.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
bench="${CAIRN_BENCH:-$repo/build/bench/cairn-bench}"
python="${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}/bin/python"
rounds=5
seconds=5
thread_counts="1 2"
only=moons_mlp,mnist_mlp,mnist_cnn,imdb_lstm,iris_dnn
out=""

usage() { sed -n '10,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --threads) thread_counts="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[ "$rounds" -ge 1 ] 2>/dev/null || { echo "--rounds must be a positive number" >&2; exit 2; }

if [ ! -x "$bench" ]; then
  echo "cairn-bench is not built: flock /tmp/cairn-build.lock cmake --build build --target cairn-bench" >&2
  exit 1
fi
if ! "$python" -c "import tensorflow, keras, torch" 2>/dev/null; then
  echo "the oracle environment ($python) lacks TensorFlow, Keras or PyTorch: run scripts/setup --oracle" >&2
  exit 1
fi

results="${out:-$(mktemp)}"
: > "$results"

errors="$(mktemp)"
trap 'rm -f "$errors"; [ -n "$out" ] || rm -f "$results"' EXIT

# One run: the thread environment, the contender, and its JSON line tagged with the round. A run's
# stderr (TensorFlow's start-up notices) is shown only when the run fails.
run() {  # ROUND CONTENDER THREADS WORKLOAD
  local round="$1" contender="$2" threads="$3" workload="$4" line
  local -a command
  case "$contender" in
    cairn) command=("$bench") ;;
    tensorflow) command=("$python" "$here/keras_peer.py") ;;
    pytorch) command=("$python" "$here/pytorch_peer.py") ;;
  esac
  if ! line="$(OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 \
      "${command[@]}" --threads "$threads" --seconds "$seconds" --only "$workload" 2>"$errors" |
      grep '^{' | tail -n 1)" || [ -z "$line" ]; then
    cat "$errors" >&2
    echo "$contender failed on $workload at $threads thread(s): ${command[*]}" >&2
    exit 1
  fi
  echo "{\"round\": $round, ${line#\{}" | tee -a "$results" >&2
}

contenders=(cairn tensorflow pytorch)
echo "cairn-bench, keras_peer.py and pytorch_peer.py ($python), $rounds round(s) of ${seconds}s runs," \
  "threads $thread_counts, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  # Round r starts with contender r mod 3 and every other round runs them backwards: each one runs
  # first, in the middle and last, after each of the others.
  order=("${contenders[@]:$(( (round - 1) % 3 ))}" "${contenders[@]:0:$(( (round - 1) % 3 ))}")
  if [ $(( (round - 1) / 3 % 2 )) -eq 1 ]; then order=("${order[2]}" "${order[1]}" "${order[0]}"); fi
  for threads in $thread_counts; do
    for workload in ${only//,/ }; do
      for contender in "${order[@]}"; do run "$round" "$contender" "$threads" "$workload"; done
    done
  done
done

echo >&2
"$python" "$here/compare.py" "$results"
