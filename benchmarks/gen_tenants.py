"""Policies shaped like multi-tenant routing (the shape of issue #12): six facts, eight models,
each rule a random, overlapping `tokens >= A and tokens < B` range, usually with `task ==`,
sometimes `language in {two values}`, `tier ==`, `region ==`, `stream`; a default at the end."""
from __future__ import annotations

import random

TASKS = ["summarize", "chat", "code", "reasoning", "translate", "extract", "classify"]
LANGS = ["en", "ja", "zh", "de", "fr", "es", "ko", "pt", "ar", "hi"]
REGIONS = ["us", "eu", "apac", "latam", "mea", "ca", "uk", "in"]
TIERS = ["free", "pro", "enterprise"]
MODELS = ["gpt-5", "gpt-5-mini", "claude-sonnet", "claude-haiku", "gemini-2.5-flash", "deepseek-v3",
          "mistral-large", "qwen-max"]


def policy_text(n_rules: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    lines = ["import std"]
    for _ in range(n_rules - 1):
        a = rnd.randrange(0, 120_000)
        b = a + rnd.randrange(100, 40_000)
        parts = [f"tokens >= {a}", f"tokens < {b}"]
        if rnd.random() < 0.8:
            parts.append(f"task == {rnd.choice(TASKS)}")
        if rnd.random() < 0.3:
            x, y = rnd.sample(LANGS, 2)
            parts.append(f"language in {{{x}, {y}}}")
        if rnd.random() < 0.3:
            parts.append(f"tier == {rnd.choice(TIERS)}")
        if rnd.random() < 0.3:
            parts.append(f"region == {rnd.choice(REGIONS)}")
        if rnd.random() < 0.2:
            parts.append("stream")
        lines.append(f"when {' and '.join(parts)} route {rnd.choice(MODELS)}")
    lines.append("default route balanced")
    return "\n".join(lines) + "\n"
