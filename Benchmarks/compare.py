#!/usr/bin/env python3
"""Summarises compare.sh's RESULT lines: medians over repetitions, the ratios, and issue 8's targets."""
import re
import statistics
import sys

KINDS = {"habitrpc": "ours", "habitrpc-loop": "ours-loop", "grpc-swift-2": "grpc", "nio-raw-echo": "echo"}
# What compare.sh runs for each of our two kinds (its COMPARE_KINDS).
OURS = (("ours", "HabitRPC: default server, a task per call on the client (gRPC's shape)"),
        ("ours-loop", "HabitRPC: handlers on the event loop, callbacks on the client's loop (the echo's shape)"))


def parse(path):
    rows = {}
    for line in open(path):
        if not line.startswith("RESULT ") or line.startswith("RESULT failed"):
            continue
        kind = KINDS.get(line.split()[1])
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        if kind is None:
            continue
        key = (kind, fields["method"], int(fields["conns"]), int(fields["inflight"]))
        rows.setdefault(key, []).append({
            "rate": float(fields["rate_per_s"]), "p50": float(fields["p50_us"]), "p99": float(fields["p99_us"]),
            "server_cpu": float(fields.get("server_cpu_us_per_call", "nan")), "errors": int(fields.get("errors", 0)),
        })
    return rows


def median(runs, field):
    return statistics.median(run[field] for run in runs)


def cell(runs):
    if not runs:
        return "— | — | — | —"
    rates = [run["rate"] for run in runs]
    spread = f" ({min(rates):,.0f}–{max(rates):,.0f})" if len(runs) > 1 else ""
    return (f"{median(runs, 'rate'):,.0f}{spread} | {median(runs, 'p50'):,.0f} | {median(runs, 'p99'):,.0f} | "
            f"{median(runs, 'server_cpu'):.1f}")


def main(path):
    rows = parse(path)
    configs = sorted({(conns, inflight) for (_, _, conns, inflight) in rows})
    verdicts = []
    for method, (ours_kind, label) in ((m, o) for m in ("noop", "character") for o in OURS):
        if not any(key[0] == ours_kind for key in rows):
            continue
        print(f"\n### {method}, {label}: medians over {max((len(v) for v in rows.values()), default=0)} run(s); "
              "calls/s (min–max) | p50 µs | p99 µs | server CPU µs/call\n")
        print("| conns | in flight | HabitRPC | | | | grpc-swift-2 | | | | raw echo | | | | ours/grpc calls/s | "
              "grpc p99 / ours p99 | ours / echo |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for conns, inflight in configs:
            ours = rows.get((ours_kind, method, conns, inflight), [])
            grpc = rows.get(("grpc", method, conns, inflight), [])
            echo = rows.get(("echo", "echo", conns, inflight), [])
            speedup = median(ours, "rate") / median(grpc, "rate") if ours and grpc and median(grpc, "rate") else None
            tail = median(grpc, "p99") / median(ours, "p99") if ours and grpc and median(ours, "p99") else None
            ceiling = median(ours, "rate") / median(echo, "rate") if ours and echo and median(echo, "rate") else None
            fmt = lambda value, suffix="x": "—" if value is None else f"{value:.1f}{suffix}"
            print(f"| {conns} | {inflight} | {cell(ours)} | {cell(grpc)} | {cell(echo)} | {fmt(speedup)} | {fmt(tail)} | "
                  + ("—" if ceiling is None else f"{ceiling:.0%}") + " |")
            who = f"{method} ({ours_kind})"
            if inflight in (16, 64) and speedup is not None:
                verdicts.append((f"{who} {inflight} in flight: throughput >= 25x grpc-swift-2", speedup >= 25, f"{speedup:.1f}x"))
            if tail is not None:
                verdicts.append((f"{who} {inflight} in flight: p99 <= 1/20 of grpc-swift-2's", tail >= 20, f"1/{tail:.1f}"))
            if inflight == 64 and ceiling is not None:
                verdicts.append((f"{who} {inflight} in flight: >= 50% of the raw echo", ceiling >= 0.5, f"{ceiling:.0%}"))
        errors = sum(run["errors"] for key, runs in rows.items() if key[1] in (method, "echo") for run in runs)
        print(f"\nfailed calls ({method} and echo rows): {errors}")
    print("\n### Targets of issue 8\n")
    for name, reached, value in verdicts:
        print(f"- {name}: {'reached' if reached else 'NOT reached'} ({value})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "compare-results.txt")
