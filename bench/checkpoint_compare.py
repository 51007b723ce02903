#!/usr/bin/env python3
"""Checkpoint save and load speed, cairn against torch.save/torch.load and dd, in interleaved rounds.

    python3 bench/checkpoint_compare.py --rounds 5 --mb 512            # nobody else using the machine
    flock /tmp/cairn-build.lock python3 bench/checkpoint_compare.py --rounds 7 --drop-caches

Contenders, each writing and reading back its own file of the same size in $PEER_TMP (else /tmp):
  cairn  build/bench/cairn-bench --only save_state_dict: Checkpoint::write (streamed, checksummed,
         fsynced, renamed into place) and Checkpoint::restore into fresh variables (every checksum
         verified before anything is assigned)
  torch  bench/pytorch_peer.py under the oracle venv's PyTorch (.oracle-venv): torch.save + fsync,
         torch.load
  dd     dd bs=1M conv=fsync from /dev/zero, then read back to /dev/null (the disk and page cache alone)

Single figures swing by 3x on the project's VMs (pages freed a few seconds earlier are handed back to
the host and cost a host fault each to take again), so every round runs every contender once, the
order rotating from round to round, and each run starts from the same state: `sync`, the page cache
dropped when --drop-caches is given (root only; the files are written and read back within a run, so
loads read from the page cache either way), then --pause seconds. Prints the median and the range
(min-max) of each contender's MB/s, and the median and worst of each round's cairn/torch and cairn/dd
ratios (the runs of one round ran close together, so the ratios are steadier than the figures).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def run_cairn(args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([args.cairn_bench, "--threads", "1", "--only", "save_state_dict", "--checkpoint-mb",
                          str(args.mb)], capture_output=True, text=True, check=True, env=env).stdout
    row = json.loads(out.strip().splitlines()[-1])
    return row["save_mb_per_s"], row["load_mb_per_s"]


def run_torch(args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([args.python, os.path.join(HERE, "pytorch_peer.py"), "--threads", "1", "--only",
                          "save_state_dict", "--checkpoint-mb", str(args.mb)], capture_output=True, text=True,
                         check=True, env=env).stdout
    row = json.loads(out.strip().splitlines()[-1])
    return row["save_mb_per_s"], row["load_mb_per_s"]


def dd_seconds(*operands):
    """dd's own timing, from its '... copied, 0.61 s, 876 MB/s' line."""
    err = subprocess.run(["dd", *operands], capture_output=True, text=True, check=True,
                         env=dict(os.environ, LC_ALL="C")).stderr
    for line in err.splitlines():
        if "copied" in line:
            fields = line.replace(",", " ").split()
            return float(fields[fields.index("s") - 1])
    raise RuntimeError("dd printed no timing: " + err)


def run_dd(args):
    fd, path = tempfile.mkstemp(prefix="cairn-dd.", dir=os.environ.get("PEER_TMP"))
    os.close(fd)
    try:
        write_s = dd_seconds("if=/dev/zero", f"of={path}", "bs=1M", f"count={args.mb}", "conv=fsync")
        read_s = dd_seconds(f"if={path}", "of=/dev/null", "bs=1M")
    finally:
        os.remove(path)
    return args.mb / write_s, args.mb / read_s


CONTENDERS = {"cairn": run_cairn, "torch": run_torch, "dd": run_dd}


def settle(args):
    subprocess.run(["sync"], check=True)
    if args.drop_caches:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    time.sleep(args.pause)


def spread(values):
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mb", type=int, default=512, help="checkpoint size in MB (2^20 bytes)")
    parser.add_argument("--pause", type=float, default=3, help="seconds of rest before each run")
    parser.add_argument("--drop-caches", action="store_true", help="drop the page cache before each run (root)")
    parser.add_argument("--cairn-bench", default=os.path.join(REPO, "build", "bench", "cairn-bench"))
    parser.add_argument("--python", default=os.path.join(REPO, ".oracle-venv", "bin", "python"),
                        help="the Python with PyTorch")
    parser.add_argument("--only", default="cairn,torch,dd")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    names = args.only.split(",")
    for name in names:
        if name not in CONTENDERS:
            parser.error(f"unknown contender {name}; choose from {', '.join(CONTENDERS)}")

    torch_version = ""
    if "torch" in names:
        torch_version = subprocess.run([args.python, "-c", "import torch; print(torch.__version__)"],
                                       capture_output=True, text=True, check=True).stdout.strip()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    save = {n: [] for n in names}
    load = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        if r % 2:
            order.reverse()
        for name in order:
            settle(args)
            s, l = CONTENDERS[name](args)
            save[name].append(s)
            load[name].append(l)
            print(json.dumps({"round": r + 1, "impl": name, "save_mb_per_s": round(s, 1),
                              "load_mb_per_s": round(l, 1)}), file=sys.stderr, flush=True)

    print(f"Checkpoint of {args.mb} MB, {args.rounds} interleaved rounds ({started}, load average at the end "
          f"{os.getloadavg()[0]:.2f}; pause {args.pause:g} s{', page cache dropped' if args.drop_caches else ''} "
          f"before each run){'; torch ' + torch_version if torch_version else ''}")
    print()
    print("| contender | save MB/s, median (min-max) | load MB/s, median (min-max) |")
    print("|---|---:|---:|")
    for name in names:
        print(f"| {name} | {spread(save[name])} | {spread(load[name])} |")
    print()
    if "cairn" in names:
        print("| ratio, per round | median | worst round |")
        print("|---|---:|---:|")
        for other in [n for n in names if n != "cairn"]:
            for what, values in (("save", save), ("load", load)):
                ratios = [c / o for c, o in zip(values["cairn"], values[other])]
                print(f"| cairn / {other} {what} | {statistics.median(ratios):.2f} | {min(ratios):.2f} |")


if __name__ == "__main__":
    main()
