#!/usr/bin/env python3
"""Joins the JSON lines of cairn-bench, bench/keras_peer.py and bench/pytorch_peer.py, run in rounds by
bench/compare_peers.sh, into one table.

    python3 bench/compare.py results.jsonl

Rows are keyed by (workload, threads). For each contender: the median samples/s over the rounds and
[min-max]. Ratios (above 1 = cairn faster): cairn's median over TensorFlow's, over PyTorch's, and over
the faster peer's; and the worst round's cairn/faster-peer ratio, each round's contenders having run
close together.
"""
import json
import statistics
import sys

CONTENDERS = ("cairn", "tensorflow", "pytorch")


def contender(row):
    if row.get("impl") == "cairn":
        return "cairn"
    peer = str(row.get("peer", ""))
    if peer.startswith("keras"):
        return "tensorflow"
    if peer.startswith("pytorch"):
        return "pytorch"
    return None


def figure(values):
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{statistics.median(values):.0f} [{min(values):.0f}-{max(values):.0f}]"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
    peers = {}
    rates, order = {}, []
    for row in rows:
        name = contender(row)
        if name is None or "samples_per_s" not in row:
            continue
        if name != "cairn":
            peers[name] = row["peer"]
        key = (row["workload"], row["threads"])
        if key not in rates:
            rates[key] = {}
            order.append(key)
        rates[key].setdefault(name, {})[row.get("round", 1)] = row["samples_per_s"]
    if not order:
        sys.exit(f"{sys.argv[1]}: no training rows")

    rounds = max(len(per_round) for by_name in rates.values() for per_round in by_name.values())
    print(f"samples/s, median [min-max] of {rounds} round(s); TensorFlow = "
          f"{peers.get('tensorflow', 'keras_peer.py')}, PyTorch = {peers.get('pytorch', 'pytorch_peer.py')}")
    print()
    header = ["workload", "threads", "cairn", "TensorFlow", "PyTorch", "cairn/TF", "cairn/PyTorch",
              "cairn/faster peer", "worst round"]
    table = []
    for workload, threads in sorted(order, key=lambda k: (k[1], order.index(k))):
        by_name = rates[(workload, threads)]
        medians = {n: statistics.median(by_name[n].values()) if by_name.get(n) else None for n in CONTENDERS}
        peer_medians = [m for m in (medians["tensorflow"], medians["pytorch"]) if m]
        faster = max(peer_medians) if peer_medians else None
        cairn = by_name.get("cairn", {})
        worst = [cairn[r] / max(by_name[p][r] for p in ("tensorflow", "pytorch") if r in by_name.get(p, {}))
                 for r in cairn if any(r in by_name.get(p, {}) for p in ("tensorflow", "pytorch"))]
        table.append([workload, str(threads)] +
                     [figure(list(by_name.get(n, {}).values())) for n in CONTENDERS] +
                     [ratio(medians["cairn"], medians["tensorflow"]), ratio(medians["cairn"], medians["pytorch"]),
                      ratio(medians["cairn"], faster), f"{min(worst):.2f}" if worst else "-"])
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 1) + ("-" if i < 1 else ":") for i, w in enumerate(widths)) + "|")
    for r in table:
        cells = [c.ljust(w) if i < 1 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
