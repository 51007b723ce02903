#!/usr/bin/env bash
# The other direction of the conformance cases: cairn converts each generated case's model file into a
# .keras and a legacy .h5 file, and real Keras (the case's generation) loads them, predicts and, where
# Keras can, trains one more step; check_cairn_files.py compares with the case's recorded numbers.
#
#   tests/conformance/check_reverse.sh CAIRN_CLI [VENV] [CASES_DIR]
#
# VENV defaults to .oracle-venv (or $CAIRN_ORACLE_VENV), CASES_DIR to tests/conformance/cases.
# Exits 0 when every file agrees, 1 on any mismatch, refusal or failed conversion, 2 on bad usage.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cli="${1:-}"
venv="${2:-${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}}"
cases="${3:-$here/cases}"
if [[ -z "$cli" || ! -x "$cli" || ! -x "$venv/bin/python" || ! -d "$cases" ]]; then
  echo "usage: $0 CAIRN_CLI [VENV] [CASES_DIR]  (CAIRN_CLI executable, VENV/bin/python present)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=0
checked=()
for case_dir in "$cases"/*/; do
  case_dir="${case_dir%/}"
  name="$(basename "$case_dir")"
  [[ -f "$case_dir/case.json" && -f "$case_dir/model.h5" ]] || continue
  out="$work/$name"
  mkdir -p "$out"
  ok=1
  for dst in model.keras model.h5; do
    if ! "$cli" convert "$case_dir/model.h5" "$out/$dst" >"$out/convert.log" 2>&1; then
      echo "$name: cairn convert to $dst failed: $(cat "$out/convert.log")"
      ok=0
    fi
  done
  if (( ! ok )); then failed=1; continue; fi
  # The case's spec and data, naming cairn's two files: Keras's predictions and next-step weights are
  # what a faithful copy of the model must give.
  "$venv/bin/python" - "$case_dir" "$out" <<'PY' || { failed=1; continue; }
import json, pathlib, shutil, sys
case_dir, out = map(pathlib.Path, sys.argv[1:])
spec = json.loads((case_dir / "case.json").read_text())
shutil.copy(case_dir / spec["data"], out / spec["data"])
holds = ["config", "weights", "optimizer", "training_config"]
# cairn's .keras is Keras 3's: its optimizer variables begin with iterations and learning_rate, and
# tf-keras, whose own .keras optimizers hold no learning_rate, skips them all ("Skipping variable loading
# for optimizer"), as it does for Keras 3's own files. tf-keras is judged there on the model alone.
keras_holds = holds if spec["keras"] == "keras3" else ["config", "weights", "training_config"]
spec["files"] = [{"format": "keras", "path": "model.keras", "holds": keras_holds},
                 {"format": "h5", "path": "model.h5", "holds": holds}]
(out / "case.json").write_text(json.dumps(spec, indent=1))
PY
  checked+=("$out")
done
if (( ${#checked[@]} == 0 )); then
  echo "no case with a model.h5 under $cases" >&2
  exit 2
fi
"$venv/bin/python" "$here/check_cairn_files.py" "${checked[@]}" || failed=1
exit $failed
