"""Classification latency: 200- and 4,000-character prompts, keyword-only, with a `like`
class, and std/task (the trained model, reading the `request` part), cache cold (a new text
each time) and warm (the same text again). Then `--large`: 4 MB prompts (the gateway's default
body limit) built to be hostile to each stage (a keyword's stem repeated where its boundary
fails, thousands of paragraphs or `>` lines, unclosed fences, accented text), cold, beside a
normal prompt in the same process; the target is 5 ms.

    python benchmarks/classify.py [--large]
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


LARGE = 4 * 1024 * 1024
HOSTILE = {
    "stems": "functional improved summarized ",  # `function`, `summarize`: boundary fails each time
    "paragraphs": "a short line\n\n",
    "quoted": "> quoted functional\n",
    "fences": "```x",
    "accented": "Résumé Ünïcödé őrző ",
    "cjk": "要約してください関数",
    "mixed": "要é",  # scripts alternating: folding works run by run
}


def large():
    """Cold classification of 4 MB hostile prompts, median of 7, beside a normal prompt."""
    normal = "Fix this Rust borrow checker error in my function, please"
    policies = (("keywords", KEYWORDS), ("keywords/request", KEYWORDS.replace("from prompt", "from request")),
                ("keywords+like", LIKE), ("std/task", STD_TASK))
    print(f"{'classifier':<17} {'prompt':<11} {'chars':>9} {'median ms':>10} {'x normal':>9}")
    worst = 0.0
    for name, text in policies:
        policy = loads(text, "large.policy")
        base = None
        for shape, unit in (("normal", normal), *HOSTILE.items()):
            prompt = unit if shape == "normal" else (unit * (LARGE // len(unit) + 1))[:LARGE]
            req = {"messages": [{"role": "user", "content": prompt}]}
            times = []
            for _ in range(7):
                cls = Classifiers(policy.ir)  # cold: a new cache each time
                t0 = time.perf_counter_ns()
                cls.run(req)
                times.append(time.perf_counter_ns() - t0)
            ms = statistics.median(times) / 1e6
            base = base or ms
            if shape != "normal":
                worst = max(worst, ms)
            print(f"{name:<17} {shape:<11} {len(prompt):>9,} {ms:>10.3f} {ms / base:>9.0f}")
    print(f"worst 4 MB prompt: {worst:.2f} ms (target: 5 ms)")


def main():
    if "--large" in sys.argv[1:]:
        large()
        return
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
