"""Realistic generated policies over 6 facts: token bands × task × language × tier × region × stream."""
from __future__ import annotations

import random

TASKS = ["summarize", "chat", "code", "reasoning", "translate", "extract", "classify"]
LANGS = ["en", "ja", "zh", "de", "fr", "es", "ko", "pt", "ar", "hi"]
REGIONS = ["us", "eu", "apac", "latam", "mea", "ca", "uk", "in"]
TIERS = ["free", "pro", "enterprise"]
BANDS = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000]
TARGETS = ["cheap", "balanced", "premium", "gpt-5", "claude-sonnet", "qwen-max", "deepseek-v3",
           "gemini-2.5-flash", "mistral-large", "codestral"]


def policy_text(n_rules: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    lines, broad = ["import std"], []
    seen = set()
    while len(lines) + len(broad) - 1 < n_rules - 1:
        task, lang, region, tier = rnd.choice(TASKS), rnd.choice(LANGS), rnd.choice(REGIONS), rnd.choice(TIERS)
        band = rnd.randrange(len(BANDS))
        stream = rnd.random() < 0.3
        key = (task, lang, region, tier, band, stream)
        if key in seen:
            continue
        seen.add(key)
        lo = BANDS[band - 1] if band else 0
        parts = [f"task == {task}", f"language == {lang}", f"region == {region}", f"tier == {tier}",
                 f"tokens >= {lo}", f"tokens < {BANDS[band]}"]
        if stream:
            parts.append("stream")
        fb = f" fallback [{rnd.choice(TARGETS)}]" if rnd.random() < 0.5 else ""
        if rnd.random() < 0.15:                      # broader rules, after the specific ones
            broad.append(f"when {' and '.join(rnd.sample(parts, 2))} route {rnd.choice(TARGETS)}{fb}")
        else:
            lines.append(f"when {' and '.join(parts)} route {rnd.choice(TARGETS)}{fb}")
    lines += broad
    lines.append("default route balanced")
    return "\n".join(lines) + "\n"


def facts_samples(n: int, seed: int = 2) -> list[dict]:
    rnd = random.Random(seed)
    return [{
        "task": rnd.choice(TASKS), "tokens": rnd.randrange(0, 140_000), "language": rnd.choice(LANGS),
        "tier": rnd.choice(TIERS), "region": rnd.choice(REGIONS), "stream": rnd.random() < 0.3,
    } for _ in range(n)]
