"""check and load+compile at scale, on policies shaped like multi-tenant routing
(benchmarks/gen_tenants.py), each figure printed beside its target.

    python benchmarks/scale.py [--sizes 100,1000,10000] [--samples 2000] [--big]

Each size runs in a fresh process (so peak memory is that run's own): `check` as
the CLI runs it (parse, type-check, layout, analysis, rendering) and `load` (parse,
type-check, compile: what the API and the gateway do). Then, in this
process: decide against reading the six facts, and re-checking a 200-rule file
after a one-line edit. Times are wall-clock seconds on this machine.

--big adds issue 35's large inputs, each a fresh `policylang` process timed whole (start-up
included) with its CPU seconds beside (on a shared machine wall time includes waiting for a
core): `route` for one decision on 10,000 rules (cold: a new process), `check` on 50,000 rules
(with its peak memory), and `check` of one rule of 20,000 `or`s, each
`(tokens >= N and language == "lN")`.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import gen_tenants  # noqa: E402

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
what, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if what == "check":
    import io, contextlib
    from policylang.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", path])
else:
    import policylang
    policy = policylang.load(path)
    code = 0
took = time.perf_counter() - t
print(json.dumps({{"seconds": took, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "exit": code}}))
"""


def run_child(what: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(HERE.parent)), what, str(path)],
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> tuple[float, float, float, int]:
    """A whole `policylang` process: (wall s, CPU s, peak RSS MB, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "policylang", *args], capture_output=True, text=True,
                         timeout=3600, cwd=HERE.parent)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr)
    return wall, cpu, after.ru_maxrss / 1024, out.returncode


def big_inputs(tmp: Path) -> None:
    """Issue 35 item 8's targets, each beside its figure."""
    print("large inputs (a fresh process each; wall s, CPU s):")
    path = tmp / "tenants-10000.policy"
    path.write_text(gen_tenants.policy_text(10_000))
    wall, cpu, _, _ = run_cli("route", str(path), "--facts", '{"task": "code", "tokens": 5000}')
    print(f"  route, one decision, 10,000 rules   {wall:6.2f} s  (CPU {cpu:6.2f} s)  target ≤ 3 s")
    path = tmp / "or-20000.policy"
    path.write_text("import std\nwhen " + " or ".join(f'(tokens >= {i * 10} and language == "l{i}")'
                                                      for i in range(20_000)) + " route cheap\n"
                    "default route balanced\n")
    wall, cpu, _, _ = run_cli("check", str(path))
    print(f"  check, one rule of 20,000 `or`s     {wall:6.2f} s  (CPU {cpu:6.2f} s)  target ≤ 5 s")
    path = tmp / "tenants-50000.policy"
    path.write_text(gen_tenants.policy_text(50_000))
    wall, cpu, rss, _ = run_cli("check", str(path))
    print(f"  check, 50,000 rules                 {wall:6.2f} s  (CPU {cpu:6.2f} s)  target ≤ 30 s; "
          f"peak {rss:,.0f} MB, target ≤ 1,536 MB")


def decide_ratio(n: int, samples: int) -> tuple[float, float]:
    import policylang
    from gen import facts_samples

    policy = policylang.loads(gen_tenants.policy_text(n), f"tenants-{n}.policy")
    facts = facts_samples(samples)
    decide = policy.decide

    def read6(f):
        g = f.get
        g("task"), g("tokens"), g("language"), g("tier"), g("region"), g("stream")

    def per_call(fn) -> float:
        best = []
        for _ in range(7):
            t = time.perf_counter()
            for f in facts:
                fn(f)
            best.append((time.perf_counter() - t) / len(facts) * 1e6)
        return statistics.median(best)

    d, r = per_call(decide), per_call(read6)
    return d, d / r


def editor_loop(kind: str = "comment") -> float:
    """Seconds to re-check a 200-rule file after a one-line edit, in one process (what an editor
    does): kind "comment" appends a comment to a rule's line, "condition" changes a number in a
    rule's condition (the diagram must be built again)."""
    import re

    from policylang.analysis.lint import lint
    from policylang.compiler import layout_policy
    from policylang.semantics.check import check_source

    text = gen_tenants.policy_text(200, seed=9)
    lines = text.split("\n")
    ir, _ = check_source(text, "edit.policy")              # the editor's first check of the file
    lint(ir, layout_policy(ir, use_table=False)[0].diagram)
    times = []
    rules = [i for i, ln in enumerate(lines) if re.search(r"tokens >= \d+", ln)]
    for i in range(7):
        at = rules[10 + 7 * i]
        if kind == "comment":
            lines[at] = lines[at] + f"  # edit {i}"
        else:
            lines[at] = re.sub(r"tokens >= (\d+)", lambda m: f"tokens >= {int(m.group(1)) + 1}", lines[at], count=1)
        t = time.perf_counter()
        ir, _ = check_source("\n".join(lines), "edit.policy")
        layout, _ = layout_policy(ir, use_table=False)     # as `check` does
        lint(ir, layout.diagram)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--big", action="store_true", help="also issue 35's large inputs (minutes)")
    ap.add_argument("--only-big", action="store_true", help="only those")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = HERE / ".scale"
    tmp.mkdir(exist_ok=True)
    print(f"python {sys.version.split()[0]}; policies from benchmarks/gen_tenants.py")
    if args.big or args.only_big:
        big_inputs(tmp)
        if args.only_big:
            return
    print(f"{'rules':>6} | {'check s':>8} {'target':>7} {'MB':>6} | {'load s':>7} {'target':>7} {'MB':>6}")
    got = {}
    for n in sizes:
        path = tmp / f"tenants-{n}.policy"
        path.write_text(gen_tenants.policy_text(n))
        c, lo = run_child("check", path), run_child("load", path)
        got[n] = (c["seconds"], lo["seconds"])
        target = "≤ 1" if n <= 1000 else "≤ 10"
        mem = "" if n < 10_000 else " (≤ 1024 MB)"
        print(f"{n:>6} | {c['seconds']:8.2f} {target:>7} {c['rss_mb']:6.0f} | {lo['seconds']:7.2f} {target:>7} "
              f"{lo['rss_mb']:6.0f}{mem}")
    if 1000 in got and 10000 in got:
        nlogn = 10 * math.log(10000) / math.log(1000)
        print(f"growth 1k -> 10k: check {got[10000][0] / got[1000][0]:.1f}x, load {got[10000][1] / got[1000][1]:.1f}x "
              f"(n log n: {nlogn:.1f}x)")
    for n in (10, 1000, 10000):
        if n <= max(sizes):
            us, ratio = decide_ratio(n, args.samples)
            print(f"decide at {n:>5} rules: {us:.3f} µs, {ratio:.2f}x reading the six facts (target ≤ 2.5x)")
    print(f"editor loop: re-check of a 200-rule file after a one-line edit {editor_loop() * 1000:.0f} ms "
          "(target ≤ 100 ms; a comment added to a rule)")
    print(f"editor loop: re-check after changing a number in a rule's condition "
          f"{editor_loop('condition') * 1000:.0f} ms (target ≤ 100 ms)")


if __name__ == "__main__":
    main()
