"""Readers for the hand-written prompt files of this folder (the format is in their headers)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_blocks(path: Path) -> list[dict]:
    """Rows {text, task, language[, style]} of a "## <language> <task> [<style>]" file."""
    rows, head = [], None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("# "):
            continue
        if line.startswith("## "):
            head = line[3:].split()
            continue
        if head is None:
            raise SystemExit(f"{path}:{n}: a prompt before any '## <language> <task>' heading")
        row = {"text": line.replace("\\n", "\n"), "task": head[1], "language": head[0]}
        if len(head) > 2:
            row["style"] = head[2]
        rows.append(row)
    return rows


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
