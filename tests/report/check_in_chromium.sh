#!/usr/bin/env bash
# A real browser looks at what cairn shows: headless Chromium (Debian chromium) opens
#  1. the `cairn report` page of the CNN trained 2 epochs on Fashion-MNIST: every image must decode, the
#     curves, the confusion matrix's cells and the filter grid must be there, and the console must stay
#     silent;
#  2. the report of examples/cnn_early_stopping (--quick, 3 epochs on 2000 images), with the Saver
#     tutorial's three filter grids, the same way;
#  3. TensorBoard (`tensorboard --logdir` from the oracle environment) on the first run's logs: its Time
#     Series page must list cairn's runs and show its scalar, histogram and image cards.
# Screenshots go to OUT_DIR as report_cnn.png, report_cnn_early_stopping.png and tensorboard_cnn.png
# (`tests/report/check_in_chromium.sh build docs/images` makes the README's pictures).
#   tests/report/check_in_chromium.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, a temporary directory)
# About two minutes (the training is most of it). Exit status 0 when everything rendered.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
venv="${CAIRN_ORACLE_VENV:-$repo/.oracle-venv}"
cairn="$build/tools/cairn"
command -v chromium >/dev/null || { echo "no chromium: apt-get install chromium" >&2; exit 2; }
[ -x "$cairn" ] || { echo "no $cairn: build the cairn-cli target" >&2; exit 2; }
example="$build/examples/cnn_early_stopping"
[ -x "$example" ] || { echo "no $example: build the cnn_early_stopping target" >&2; exit 2; }
work="$(mktemp -d)"
out="${2:-$work}"
mkdir -p "$out"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
browser() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

"$cairn" train --model cnn --data fashion_mnist --epochs 2 --validation-split 0.1 --verbose 0 \
  --checkpoint-dir "$work/run" --tensorboard "$work/run/logs" --histogram-freq 1 >/dev/null
"$cairn" report "$work/run" --output "$work/report.html" >/dev/null

# A report page, checked: a copy with a script that reports what rendered once the page has loaded.
check_report() {  # PAGE NAME EXPECTED_VERDICT SCREENSHOT_HEIGHT
  { cat "$1"; cat <<'SCRIPT'
<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const verdict = {images: images.length,
                   broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
                   curves: document.querySelectorAll("svg.curve polyline").length,
                   cells: document.querySelectorAll("svg.confusion rect").length,
                   filter_grids: document.querySelectorAll("script.filter-values").length};
  const pre = document.createElement("pre");
  pre.id = "cairn-check";
  pre.textContent = JSON.stringify(verdict);
  document.body.appendChild(pre);
});
</script>
SCRIPT
  } > "$work/check.html"
  local verdict
  verdict="$(browser --virtual-time-budget=5000 --dump-dom "file://$work/check.html" 2>"$work/console.txt" |
             sed -n 's|.*<pre id="cairn-check">\([^<]*\)</pre>.*|\1|p')"
  [ -n "$verdict" ] || fail "the $2 page did not load"
  if grep -q "CONSOLE" "$work/console.txt"; then fail "console messages: $(grep CONSOLE "$work/console.txt")"; fi
  [ "$verdict" = "$3" ] || fail "the $2 rendered $verdict, not $3"
  browser --window-size="1200,$4" --screenshot="$out/$2.png" "file://$1" 2>/dev/null >/dev/null
}

# 1. 16 filters and 24 misclassified examples; loss and accuracy with both curves; 10x10 cells.
check_report "$work/report.html" report_cnn '{"images":40,"broken":[],"curves":4,"cells":100,"filter_grids":1}' 2600

# 2. Three grids of 16 filters and 24 misclassified examples.
(cd "$work" && "$example" --quick --epochs 3 --report "$work/early_stopping.html" >/dev/null)
check_report "$work/early_stopping.html" report_cnn_early_stopping \
  '{"images":72,"broken":[],"curves":4,"cells":100,"filter_grids":3}' 2700

# 3. TensorBoard's own page on the run's logs.
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" -m tensorboard.main --logdir "$work/run/logs" --host 127.0.0.1 \
  --port "$port" >"$work/tensorboard.log" 2>&1 &
server=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/data/runs" | grep -q validation && break
  sleep 0.5
done
dom="$(browser --window-size=1400,1000 --virtual-time-budget=15000 --dump-dom "http://127.0.0.1:$port/#timeseries" 2>/dev/null)"
# Run names, scalar, histogram and image cards, and the images themselves (served from cairn's PNGs).
for pattern in '> *train *<' '> *validation *<' 'epoch_loss' 'conv2d/kernel/histogram' 'conv2d/kernel/image' \
               '<img[^>]*alt="Image at step 1"[^>]*src="data/plugin/timeseries/imageData'; do
  grep -Eq -- "$pattern" <<<"$dom" || fail "TensorBoard's page shows nothing matching $pattern"
done
browser --window-size=1400,1000 --virtual-time-budget=15000 --screenshot="$out/tensorboard_cnn.png" \
  "http://127.0.0.1:$port/#timeseries" 2>/dev/null >/dev/null
echo "the report and TensorBoard rendered cairn's run in Chromium; screenshots in $out"
