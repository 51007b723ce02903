#!/usr/bin/env bash
# `cairn train` under mpirun, checked from outside:
#   a 2-process run ends within 1e-5 of a 1-process run (without mpirun), and only process 0 prints;
#   a 2-process run stopped mid-epoch and resumed at 2 processes ends bit-identical to an uninterrupted
#     one, with Dropout in the model too (each process's dropout stream is in the sharded backups);
#   the stopped run resumed at 1 process (mpirun -np 1) ends within 1e-5 of the 1-process run;
#   with --save-best-only, a stopped and resumed run keeps the epoch checkpoints an uninterrupted one
#     keeps (ModelCheckpoint's best value is in the sharded backups);
#   a batch size that does not divide among the processes is refused, naming both numbers.
# usage: train_cli_test.sh CAIRN WORKER MPIEXEC   (WORKER: distributed_worker, for `compare`)
set -euo pipefail
cairn=$1 worker=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

train() {  # train NP DIR ARGS...: NP 0 is a run without mpirun
  local np=$1 dir=$2
  shift 2
  if [ "$np" = 0 ]; then
    "$cairn" train --checkpoint-dir "$dir" --verbose 2 "$@"
  else
    "$mpiexec" -np "$np" "$cairn" train --checkpoint-dir "$dir" --verbose 2 "$@"
  fi
}
resume() {  # resume NP DIR
  "$mpiexec" -np "$1" "$cairn" train --resume "$2" --verbose 2
}
same_bytes() {
  for file in "$1".index "$1".data-00000-of-00001; do
    cmp "$file" "${file/#$1/$2}" || fail "$1 and $2 differ"
  done
}
# iris (its training part): 120 samples in batches of 32, the last of 24; 4 epochs of 4 steps.
iris=(--model iris_dnn --data iris --epochs 4)

train 0 "$work/alone" "${iris[@]}" >"$work/alone.log"
train 2 "$work/two" "${iris[@]}" >"$work/two.log"
"$worker" compare "$work/alone/final" "$work/two/final" 1e-5 || fail "2 processes differ from 1"
[ "$(grep -c '^trained to epoch 4' "$work/two.log")" = 1 ] || fail "expected one 'trained to epoch' line: $(cat "$work/two.log")"
grep -q '"processes": 2' "$work/two/run.json" || fail "run.json does not record the job's 2 processes"
echo "ok: cairn train at 2 processes ends within 1e-5 of 1 process, and only process 0 prints"

# Stopped after 13 batches (the first of epoch 4); the last backup is of batch 12, the last of epoch 3.
if train 2 "$work/stopped" "${iris[@]}" --backup-every 4 --stop-after-batches 13 >"$work/stopped.log" 2>&1; then
  fail "the job was expected to stop: $(cat "$work/stopped.log")"
fi
ls "$work/stopped/backup"/backup-3.data-0000{0,1}-of-00002 >/dev/null || fail "no sharded backup: $(ls "$work/stopped/backup")"
cp -r "$work/stopped" "$work/stopped-copy"
resume 2 "$work/stopped" >"$work/resumed.log"
grep -q 'resuming from .*backup-3 (epoch 3, after batch 4)' "$work/resumed.log" || fail "$(cat "$work/resumed.log")"
same_bytes "$work/two/final" "$work/stopped/final"
echo "ok: stopped at 2 processes and resumed at 2, bit-identical to the uninterrupted run"

sed -i "s|$work/stopped/|$work/stopped-copy/|g" "$work/stopped-copy/backup/checkpoint"
resume 1 "$work/stopped-copy" >/dev/null
"$worker" compare "$work/alone/final" "$work/stopped-copy/final" 1e-5 || fail "resumed at 1 process differs"
echo "ok: stopped at 2 processes and resumed at 1, within 1e-5 of the 1-process run"

# The same with Dropout after the first layer (a Keras config of iris_dnn with a Dropout layer).
python3 - "$work/alone/model.json" "$work/dropout.json" <<'PY'
import json, sys
model = json.load(open(sys.argv[1]))
model["config"]["layers"].insert(2, {"class_name": "Dropout", "config": {
    "name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.3, "noise_shape": None, "seed": None}})
json.dump(model, open(sys.argv[2], "w"))
PY
dropout=(--model "$work/dropout.json" --data iris --epochs 4 --optimizer adagrad --learning-rate 0.05)
train 2 "$work/dropout-whole" "${dropout[@]}" >/dev/null
if train 2 "$work/dropout" "${dropout[@]}" --backup-every 4 --stop-after-batches 13 >/dev/null 2>&1; then
  fail "the dropout job was expected to stop"
fi
resume 2 "$work/dropout" >/dev/null
same_bytes "$work/dropout-whole/final" "$work/dropout/final"
echo "ok: with Dropout, stopped at 2 processes and resumed at 2, bit-identical to the uninterrupted run"

# With sgd at 0.5, epochs 1-4 improve the loss and 5-6 do not. Stopped after batch 19 (the last backup
# is of batch 18, inside epoch 5), the resumed run must remember epoch 4's loss as the best.
best=(--model iris_dnn --data iris --epochs 6 --optimizer sgd --learning-rate 0.5 --save-best-only)
train 2 "$work/best-whole" "${best[@]}" >/dev/null
if train 2 "$work/best" "${best[@]}" --backup-every 3 --stop-after-batches 19 >/dev/null 2>&1; then
  fail "the --save-best-only job was expected to stop"
fi
resume 2 "$work/best" >/dev/null
kept() { (cd "$1" && ls cp-*.index); }
[ "$(kept "$work/best-whole")" = "$(kept "$work/best")" ] ||
  fail "--save-best-only kept $(kept "$work/best" | tr '\n' ' ')after resuming, $(kept "$work/best-whole" | tr '\n' ' ')without"
[ "$(kept "$work/best" | wc -l)" = 4 ] || fail "expected 4 improving epochs: $(kept "$work/best")"
echo "ok: with --save-best-only, stopped and resumed at 2 processes keeps the uninterrupted run's checkpoints"

if "$mpiexec" -np 2 "$cairn" train --checkpoint-dir "$work/odd" "${iris[@]}" --batch-size 33 >"$work/odd.log" 2>&1; then
  fail "a batch of 33 among 2 processes was accepted"
fi
grep -q 'batch size 33 does not divide among the 2 processes' "$work/odd.log" || fail "$(cat "$work/odd.log")"
echo "ok: a batch size that does not divide among the processes is refused"
echo "cairn train under mpirun: all checks passed"
