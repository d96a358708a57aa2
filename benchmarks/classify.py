"""Classification latency: 200- and 4,000-character prompts, keyword-only, with a `like`
class, and std/task (the trained model, reading the `request` part), cache cold (a new text
each time) and warm (the same text again).

    python benchmarks/classify.py
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policylang import loads  # noqa: E402
from policylang.runtime.classify import Classifiers  # noqa: E402

KEYWORDS = """import std
classify task from prompt {
  code      keywords ["```", "stack trace", "def ", "function"]
  summarize keywords ["summarize", "tl;dr", "key points"]
  otherwise chat
}
default route balanced
"""
LIKE = KEYWORDS.replace("  otherwise chat", '  translate like ["translate this into French", "how do you say this in '
                                              'Japanese?", "render this text in German"] above 0.6\n  otherwise chat')
STD_TASK = "import std\nimport std/task\ndefault route balanced\n"
WORDS = ("the quarterly numbers show steady growth across regions while costs in logistics rose because of "
         "fuel prices and the new warehouse opened in spring so the board asked for a plan").split()


def text_of(n: int, rnd: random.Random) -> str:
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append(rnd.choice(WORDS))
    return " ".join(out)[:n]


def measure(cls: Classifiers, texts: list[str], warm: bool) -> tuple[float, float]:
    times = []
    for t in texts:
        req = {"messages": [{"role": "user", "content": t}]}
        if warm:
            cls.run(req)
        t0 = time.perf_counter_ns()
        cls.run(req)
        times.append(time.perf_counter_ns() - t0)
    times.sort()
    return statistics.median(times) / 1000, times[int(len(times) * 0.99) - 1] / 1000


def main():
    rnd = random.Random(5)
    print(f"{'classifier':<14} {'chars':>6} {'cache':>6} {'median µs':>10} {'p99 µs':>8}")
    for name, text in (("keywords", KEYWORDS), ("keywords+like", LIKE), ("std/task", STD_TASK)):
        policy = loads(text, f"{name}.policy")
        for n in (200, 4000):
            for warm in (False, True):
                cls = Classifiers(policy.ir)
                texts = [text_of(n, rnd) + f" #{i}" for i in range(1000)]
                med, p99 = measure(cls, texts, warm)
                print(f"{name:<14} {n:>6} {'warm' if warm else 'cold':>6} {med:>10.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
