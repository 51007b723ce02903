#!/usr/bin/env bash
# Whole MPI jobs of distributed_worker (see its header), checked from outside:
#   exact resume: a 2-process run killed after step 12 and restarted ends bit-identical to an
#     uninterrupted one;
#   a process killed mid-save (putting its data shard or the index in place) leaves the previous
#     checkpoint the latest, and a restart from it still ends bit-identical;
#   resharding: a checkpoint of 4 processes (step 10) restored in 1, 2 and 4 processes ends, after 20
#     steps, within 1e-5 of a single process's run, and so does `cairn convert`'s consolidation of the
#     4-process run's last checkpoint.
# usage: job_test.sh WORKER CAIRN MPIEXEC
set -euo pipefail
worker=$1 cairn=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run NP ARGS...: a job of NP processes
  local np=$1
  shift
  "$mpiexec" -np "$np" "$worker" "$@"
}
killed() {  # killed NP ARGS...: a job that must die
  if run "$@" >"$work/killed.log" 2>&1; then
    echo "FAIL: the job was expected to be killed: $*"
    exit 1
  fi
}
expect_latest() {
  local latest
  latest=$("$worker" latest "$1")
  [ "$latest" = "$2" ] || { echo "FAIL: latest checkpoint of $1 is $latest, expected $2"; exit 1; }
}
same_bytes() {
  for file in "$1".index "$1".data-00000-of-00001; do
    cmp "$file" "${file/#$1/$2}" || { echo "FAIL: $1 and $2 differ"; exit 1; }
  done
}

run 1 train "$work/alone" 20 5
run 2 train "$work/two" 20 5

# A process killed between saves: the job stops; the restart resumes from step 10.
killed 2 train "$work/resumed" 20 5 --kill-at-step 1:12
expect_latest "$work/resumed" "$work/resumed/ckpt-2"
run 2 train "$work/resumed" 20 5
same_bytes "$work/two/final" "$work/resumed/final"
echo "ok: 2 processes killed at step 12 and restarted end bit-identical"

# A process killed while putting its shard of ckpt-3 in place, and process 0 killed while putting the
# index of ckpt-3 in place: ckpt-2 stays the latest and ckpt-3 does not exist.
for point in "1:ckpt-3.data-00001-of-00002" "0:ckpt-3.index"; do
  dir="$work/mid-save-${point%%:*}"
  killed 2 train "$dir" 20 5 --kill-on-rename "$point"
  expect_latest "$dir" "$dir/ckpt-2"
  [ ! -e "$dir/ckpt-3.index" ] || { echo "FAIL: $dir/ckpt-3.index exists"; exit 1; }
  run 2 train "$dir" 20 5
  same_bytes "$work/two/final" "$dir/final"
  echo "ok: killed renaming $point: ckpt-2 stays the latest, the restart ends bit-identical"
done

# 4 processes write ckpt-2 (step 10) in 4 shards; 1, 2 and 4 processes each carry on from it.
killed 4 train "$work/four" 20 5 --kill-at-step 3:12
expect_latest "$work/four" "$work/four/ckpt-2"
ls "$work/four"/ckpt-2.data-0000{0,1,2,3}-of-00004 >/dev/null
for m in 1 2 4; do
  mkdir "$work/from-four-$m"
  cp "$work/four"/ckpt-2.* "$work/four/checkpoint" "$work/from-four-$m/"
  sed -i "s|$work/four/|$work/from-four-$m/|g" "$work/from-four-$m/checkpoint"
  run "$m" train "$work/from-four-$m" 20 5
  "$worker" compare "$work/alone/final" "$work/from-four-$m/final" 1e-5
  echo "ok: a 4-process checkpoint restored in $m process(es) ends within 1e-5 of one process's run"
done

# The 4-process run's last checkpoint, consolidated into one file.
run 4 train "$work/four-whole" 20 5
"$cairn" convert "$work/four-whole/ckpt-4" "$work/consolidated" >/dev/null
"$worker" compare "$work/alone/ckpt-4" "$work/consolidated" 1e-5
echo "ok: cairn convert consolidates a 4-shard checkpoint, within 1e-5 of one process's checkpoint"
echo "distributed jobs: all checks passed"
