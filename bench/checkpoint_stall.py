#!/usr/bin/env python3
"""What checkpoints cost training: build/bench/checkpoint_stall in its three modes (no checkpoints,
synchronous saves, asynchronous saves), in interleaved rounds, with medians and ranges.

    python3 bench/checkpoint_stall.py --rounds 5                                  # 100M parameters
    python3 bench/checkpoint_stall.py --rounds 5 --seconds 300 --every-seconds 30 # a save every 30 s
    python3 bench/checkpoint_stall.py --rounds 1 --params-m 5 --steps 20 --every-steps 5   # a quick check

Every round runs each mode once, in a rotating order, each in a fresh process (so that each mode's
peak memory is its own) after `sync` and --pause seconds. Prints, per mode, the median and range of
samples/s, of the training thread's blocked time per save and of the peak RSS; then, per round, the
throughput of each mode relative to no checkpoints in the same round, and the async save's blocked
time relative to the synchronous save's (medians, and the worst round).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODES = ["none", "sync", "async"]


def spread(values, digits=1):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pause", type=float, default=3)
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "bench", "checkpoint_stall"))
    parser.add_argument("--params-m", type=float, default=100)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=0, help="train this long instead of --steps")
    parser.add_argument("--every-steps", type=int, default=20)
    parser.add_argument("--every-seconds", type=float, default=0, help="save this often instead of --every-steps")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-reserve", action="store_true",
                        help="async: no staging buffers reserved in advance (the first save faults them in)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    common = ["--params-m", str(args.params_m), "--steps", str(args.steps), "--seconds", str(args.seconds),
              "--every-steps", str(args.every_steps), "--every-seconds", str(args.every_seconds), "--threads",
              str(args.threads)] + (["--no-reserve"] if args.no_reserve else [])
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS="1")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = {m: [] for m in MODES}
    for r in range(args.rounds):
        order = MODES[r % 3:] + MODES[:r % 3]
        for mode in order:
            subprocess.run(["sync"], check=True)
            time.sleep(args.pause)
            out = subprocess.run([args.binary, "--mode", mode, *common], capture_output=True, text=True, check=True,
                                 env=env).stdout
            row = json.loads(out.strip().splitlines()[-1])
            row["round"] = r + 1
            rows[mode].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    first = rows["none"][0]
    schedule = (f"every {args.every_seconds:g} s" if args.every_seconds > 0 else f"every {args.every_steps} steps")
    length = f"{args.seconds:g} s" if args.seconds > 0 else f"{args.steps} steps"
    print(f"checkpoint_stall: {first['params'] / 1e6:.1f}M parameters (checkpoint {first['checkpoint_mb']:.0f} MB with "
          f"Adam's slots), batch {first['batch']}, {args.threads} thread(s), {length}, a save {schedule}; "
          f"{args.rounds} interleaved rounds ({started}, load average at the end {os.getloadavg()[0]:.2f})")
    print()
    print("| mode | samples/s | saves | blocked ms per save (median of the run) | first save blocked ms | worst blocked ms | "
          "wait at the end ms | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in MODES:
        rs = rows[mode]
        print(f"| {mode} | {spread([r['samples_per_s'] for r in rs], 2)} | {rs[0]['saves']} | "
              f"{spread([r['blocked_ms_per_save'] for r in rs])} | {spread([r['blocked_ms_first'] for r in rs])} | "
              f"{spread([r['blocked_ms_max'] for r in rs])} | "
              f"{spread([r['final_wait_ms'] for r in rs])} | {spread([r['peak_rss_mb'] for r in rs], 0)} |")
    print()
    print("| per round | median | worst round |")
    print("|---|---:|---:|")
    for mode in ("sync", "async"):
        ratios = [a["samples_per_s"] / b["samples_per_s"] for a, b in zip(rows[mode], rows["none"])]
        print(f"| {mode} samples/s / none | {statistics.median(ratios):.3f} | {min(ratios):.3f} |")
    blocked = [a["blocked_ms_per_save"] / b["blocked_ms_per_save"] for a, b in zip(rows["async"], rows["sync"])
               if b["blocked_ms_per_save"] > 0]
    if blocked:
        print(f"| async blocked / sync blocked per save | {statistics.median(blocked):.3f} | {max(blocked):.3f} |")


if __name__ == "__main__":
    main()
