"""`policylang check` cost: parse + type-check alone, then the whole check (layout and
exact lint), wall time and peak memory, for generated realistic policies.

    python benchmarks/check.py [--sizes 100,1000,10000]

Each size runs in a fresh process, so its peak RSS (ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import policy_text  # noqa: E402


def one(n: int) -> dict:
    from policylang.analysis.lint import lint
    from policylang.compiler import layout_policy
    from policylang.semantics.check import check_source

    text = policy_text(n)
    t0 = time.perf_counter()
    check_source(text, f"gen{n}.policy")
    t_front = time.perf_counter() - t0
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    policy_ir, _ = check_source(text, f"gen{n}.policy")
    t1 = time.perf_counter()
    layout, _ = layout_policy(policy_ir)
    t2 = time.perf_counter()
    found = lint(policy_ir, layout.diagram)
    t3 = time.perf_counter()
    return {"rules": n, "front": t_front, "check": t3 - t0, "layout": t2 - t1, "lint": t3 - t2,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mib": base_rss / 1024,
            "findings": dict(Counter(d.code for d in found))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"{'rules':>6} | {'parse+typecheck s':>17} | {'check s':>7} = {'front':>5} + {'layout':>6} + {'lint':>5} | "
          f"{'peak RSS MiB':>12} | findings")
    for n in [int(x) for x in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        front = r["check"] - r["layout"] - r["lint"]
        counts = ", ".join(f"{k} {v}" for k, v in sorted(r["findings"].items()))
        print(f"{n:>6} | {r['front']:>17.2f} | {r['check']:>7.2f} = {front:>5.2f} + {r['layout']:>6.2f} + "
              f"{r['lint']:>5.2f} | {r['peak_mib']:>12.0f} | {counts}")


if __name__ == "__main__":
    main()
