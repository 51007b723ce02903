#!/usr/bin/env python3
"""Compares cairn-bench between builds of cairn: interleaved rounds, medians, ratios to the first build.

    python3 bench/compare_builds.py --rounds 5 --threads 1 --seconds 3 \\
        native=/tmp/native/bench/cairn-bench portable=build/bench/cairn-bench

Each round runs every build's cairn-bench once (all workloads and the checkpoint, or --only), the builds in
alternating order, so that a slow spell of a shared machine falls on all of them alike. Prints a
Markdown table of median samples/s (checkpoint: MB/s) and, for each build, the median over rounds of
its ratio to the first build in the same round.
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(binary, threads, seconds, only, checkpoint_mb):
    """One cairn-bench run: {measure: value}, the checkpoint's save and load as two measures."""
    command = [binary, "--threads", str(threads), "--seconds", str(seconds)]
    if only:
        command += ["--only", only]
    if checkpoint_mb:
        command += ["--checkpoint-mb", str(checkpoint_mb)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    values = {}
    for line in out.splitlines():
        row = json.loads(line)
        if row["workload"] == "save_state_dict":
            values["checkpoint save MB/s"] = row["save_mb_per_s"]
            values["checkpoint load MB/s"] = row["load_mb_per_s"]
        else:
            values[row["workload"]] = row["samples_per_s"]
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--only", help="cairn-bench's --only: comma-separated workloads (default: all)")
    parser.add_argument("--checkpoint-mb", type=int, help="cairn-bench's --checkpoint-mb (default: its own)")
    parser.add_argument("builds", nargs="+", help="NAME=path/to/cairn-bench; ratios are to the first")
    args = parser.parse_args()
    builds = [b.split("=", 1) for b in args.builds]

    samples = {name: {} for name, _ in builds}
    for r in range(args.rounds):
        for name, binary in builds if r % 2 == 0 else builds[::-1]:
            for measure, value in run(binary, args.threads, args.seconds, args.only, args.checkpoint_mb).items():
                samples[name].setdefault(measure, []).append(value)
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    print("every round:", json.dumps(samples), file=sys.stderr)

    first = builds[0][0]
    names = [name for name, _ in builds]
    print(f"{args.threads} thread(s), {args.rounds} interleaved rounds of {args.seconds:g} s: medians, and medians "
          "of each round's ratio")
    print()
    print("| workload | " + " | ".join(names) + " | " + " | ".join(f"{n} / {first}" for n in names[1:]) + " |")
    print("|---|" + "---:|" * (2 * len(names) - 1))
    for measure in samples[first]:
        medians = [statistics.median(samples[name][measure]) for name in names]
        # The ratio of each round's runs, which ran back to back, then the median: the machine's speed
        # drifts more between rounds than within one.
        ratios = [statistics.median(b / a for a, b in zip(samples[first][measure], samples[name][measure]))
                  for name in names[1:]]
        print(f"| {measure} | " + " | ".join(f"{m:.1f}" for m in medians) + " | " +
              " | ".join(f"{r:.2f}" for r in ratios) + " |")


if __name__ == "__main__":
    main()
