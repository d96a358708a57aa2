"""Decision latency: Policy.decide, the standalone module, the reference interpreter,
a naive first-match loop and a read-6-facts baseline, in one run.

    python benchmarks/decide.py [--sizes 10,100,1000,10000] [--samples 2000]

Per-decision times are medians and p99s over samples (each sample timed over a
batch of repetitions, so the timer's own cost is amortised). Ratios are against
the baseline that only reads the 6 facts from the dict, measured the same way.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import policylang  # noqa: E402
from gen import facts_samples, policy_text  # noqa: E402
from policylang.pysource import NAMESPACE, emit_condition  # noqa: E402
from policylang.semantics.check import check_source  # noqa: E402


def read_six(facts):
    g = facts.get
    g("task"), g("tokens"), g("language"), g("tier"), g("region"), g("stream")
    return None


def read_six_subscript(facts):
    facts["task"], facts["tokens"], facts["language"], facts["tier"], facts["region"], facts["stream"]
    return None


def naive_loop(policy):
    """What one would write by hand: test each rule's condition in order."""
    ns = dict(NAMESPACE)
    rules = []
    for rule in policy.ir.rules:
        fn = eval(compile(f"lambda vals: {emit_condition(rule.cond)}", "<naive>", "eval"), ns)
        rules.append((fn, rule.decision))
    defaults = {n: f.default for n, f in policy.ir.facts.items() if f.has_default}

    def decide(facts):
        vals = {**defaults, **facts}
        for cond, d in rules:
            if cond(vals):
                return d
        return None

    return decide


def time_per_call(fn, samples, reps, rounds=3):
    """(median, p99) ns per call over samples; the best of `rounds` runs (noise only adds time)."""
    best = None
    clock = time.perf_counter_ns
    for _ in range(rounds):
        out = []
        for facts in samples:
            t0 = clock()
            for _ in range(reps):
                fn(facts)
            out.append((clock() - t0) / reps)
        out.sort()
        res = (statistics.median(out), out[int(len(out) * 0.99) - 1])
        best = res if best is None or res[0] < best[0] else best
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--samples", type=int, default=2000)
    args = ap.parse_args()
    samples = facts_samples(args.samples)
    print(f"python {sys.version.split()[0]}, {args.samples} fact samples, times in µs per decision (median / p99)")
    header = (f"{'rules':>6} {'parse+check s':>13} {'compile s':>9} {'nodes':>7} {'src KB':>7} | {'decide':>13} "
              f"{'standalone':>13} {'read-6 .get':>13} {'read-6 [k]':>13} {'naive loop':>13} {'interpreter':>13} | "
              f"{'decide/read6':>12}")
    print(header)
    print("-" * len(header))
    results = {}
    for n in [int(x) for x in args.sizes.split(",")]:
        text = policy_text(n)
        t0 = time.perf_counter()
        policy_ir, _ = check_source(text, f"gen{n}.policy")
        t1 = time.perf_counter()
        policy = policylang.Policy(policy_ir)
        t2 = time.perf_counter()
        check_s, compile_s = t1 - t0, t2 - t1
        src = policylang.compile_module(policy)
        ns = {}
        exec(compile(src, "<standalone>", "exec"), ns)
        standalone = ns["decide"]
        for f in samples[:200]:
            assert tuple(policy.decide(f)) == tuple(standalone(f)) == tuple(policy.interpret(f))
        gc.collect()
        gc.disable()
        row = {
            "decide": time_per_call(policy.decide, samples, 200),
            "standalone": time_per_call(standalone, samples, 200),
            "read6": time_per_call(read_six, samples, 200),
            "read6s": time_per_call(read_six_subscript, samples, 200),
            "naive": time_per_call(naive_loop(policy), samples[:200], max(1, 2000 // n), rounds=1),
            "interp": time_per_call(policy.interpret, samples[:100], max(1, 500 // n), rounds=1),
        }
        gc.enable()
        results[n] = row
        fmt = lambda mp: f"{mp[0] / 1000:6.3f}/{mp[1] / 1000:6.3f}"  # noqa: E731
        print(f"{n:>6} {check_s:>13.2f} {compile_s:>9.2f} {policy.compiled.layout.nodes:>7,} {len(src) / 1024:>7.0f} | "
              f"{fmt(row['decide'])} {fmt(row['standalone'])} {fmt(row['read6'])} {fmt(row['read6s'])} {fmt(row['naive'])} "
              f"{fmt(row['interp'])} | {row['decide'][0] / row['read6'][0]:>11.2f}x")
    sizes = sorted(results)
    if len(sizes) > 1:
        lo, hi = results[sizes[0]]["decide"][0], results[sizes[-1]]["decide"][0]
        print(f"\nflatness: decide median at {sizes[-1]:,} rules is {hi / lo:.2f}x that at {sizes[0]:,} rules")
        for n in sizes:
            r = results[n]
            print(f"{n:>6} rules: decide is {r['naive'][0] / r['decide'][0]:8.0f}x faster than the naive loop, "
                  f"{r['interp'][0] / r['decide'][0]:8.0f}x faster than the interpreter")


if __name__ == "__main__":
    main()
