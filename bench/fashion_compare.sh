#!/usr/bin/env bash
# Time to accuracy on the real Fashion-MNIST: the seed CNN trained by cairn and by PyTorch
# (bench/pytorch_fashion.py, under the oracle environment's PyTorch 2.13 as in bench/compare_peers.sh;
# CAIRN_ORACLE_VENV names another environment), same epochs, batch and learning rate, one after the other.
#   bench/fashion_compare.sh [epochs] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-3}"
threads="${2:-1}"
peer="$(pwd)/bench/pytorch_fashion.py"
python="${CAIRN_ORACLE_VENV:-$(pwd)/.oracle-venv}/bin/python"
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "PyTorch is not installed in $python: run scripts/setup --oracle first" >&2
  exit 1
fi
flock /tmp/cairn-build.lock cmake --build build -j2 --target cnn_early_stopping >/dev/null
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
build/examples/cnn_early_stopping --compare --epochs "$epochs" --threads "$threads" --lr 0.001 --batch 64 | tee -a "$out"
(cd "$(dirname "$peer")" && OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 "$python" "$peer" --model cnn --epochs "$epochs" \
  --threads "$threads" --batch 64 --lr 0.001) | tee -a "$out"
"$python" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cairn = [r for r in rows if r.get("impl") == "cairn"][-1]
torch = [r for r in rows if "peer" in r][-1]
print(f"\nafter {cairn['epoch']} epochs: cairn test accuracy {cairn['test_accuracy']:.4f} in {cairn['train_seconds']:.1f} s, "
      f"PyTorch {torch['test_accuracy']:.4f} in {torch['train_seconds']:.1f} s")
print(f"accuracy difference {100 * (cairn['test_accuracy'] - torch['test_accuracy']):+.2f} points; "
      f"training time ratio PyTorch/cairn {torch['train_seconds'] / cairn['train_seconds']:.2f} (>1: cairn faster)")
PY
