"""Readers for the hand-written prompt files of this folder (the format is in their headers)."""

from __future__ import annotations

import json
import subprocess
import unicodedata
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


# Characters str.splitlines() breaks at that json.dumps(ensure_ascii=False) leaves as they are:
# written as JSON escapes, so that read_jsonl sees one row a line.
LINE_BREAKS = "\x85\u2028\u2029"


def write_jsonl(path: Path, rows: list[dict]) -> None:
    lines = []
    for row in rows:
        line = json.dumps(row, ensure_ascii=False)
        for ch in LINE_BREAKS:
            line = line.replace(ch, f"\\u{ord(ch):04x}")
        lines.append(line + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def git(mirrors: Path, repo: str, *args: str, stdin: bytes | None = None) -> bytes:
    """What git prints for args in the bare clone of repo ("owner/name") under mirrors
    (MIRRORS/<owner>+<name>/repo, as the importers' MIRRORS argument holds them)."""
    where = mirrors / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "-C", str(where), *args], input=stdin, capture_output=True, check=True).stdout


def show(mirrors: Path, repo: str, commit: str, path: str) -> str:
    """The text of path at commit in repo's mirror (`git show COMMIT:PATH`), UTF-8."""
    return git(mirrors, repo, "show", f"{commit}:{path}").decode("utf-8")


EVALUATION = (
    "public_eval.jsonl", "heldout.jsonl", "phrasing.txt", "fresh.txt", "oasst_eval.jsonl", "languages.txt",
    "arena_eval.jsonl", "helpful_eval.jsonl",
    # written by the project for training in round six, then left out of it: trained on, the
    # users' prompts left out fell (training/README.md); the benchmark shows them beside (b)
    "written_ext.jsonl", "written_mc.jsonl",
    # likewise in round seven: trained on, it moved neither the users' prompts left out nor the
    # public families held out (training/README.md)
    "written_apps.jsonl",
    # likewise in round nine: trained on, the users' prompts left out fell (by 0.5 to 1.0 points)
    "written_casual.jsonl", "written_complex3.jsonl", "written_ml4.jsonl", "written_complex4.jsonl",
)

# Prompts written by others that the models train on, one file per way they were obtained
# (training/README.md): each is read when present.
PUBLIC_TRAIN = ("public_train.jsonl", "labelled_train.jsonl")


# Prompts written by the project's engineers that the models train on (training/README.md): each
# is read when present. Frames (templates.py) are generated, not listed here.
NATURAL_TRAIN = (
    "tune.jsonl", "written.jsonl", "written_ml.jsonl", "written_users.jsonl", "written_ml2.jsonl",
    "written_ml3.jsonl", "written_complex.jsonl", "written_complex2.jsonl", "written_tech.jsonl",
)


def natural_training_rows() -> list[dict]:
    """Every row of the NATURAL_TRAIN files that exist, in that order."""
    return [row for name in NATURAL_TRAIN if (HERE / name).exists() for row in read_jsonl(HERE / name)]


def public_training_rows() -> list[dict]:
    """Every row of the PUBLIC_TRAIN files that exist, in that order."""
    return [row for name in PUBLIC_TRAIN if (HERE / name).exists() for row in read_jsonl(HERE / name)]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def decontaminate(rows: list[dict], against: tuple[str, ...] = EVALUATION) -> tuple[list[dict], list[dict]]:
    """(kept, dropped): rows whose text equals an evaluation prompt (EVALUATION, the sets no
    model may train on; or the files named in `against`), or holds one of 30+ characters, are
    dropped."""
    evaluation = set()
    for name in against:
        path = HERE / name
        evaluation |= {_norm(r["text"]) for r in (read_jsonl(path) if name.endswith(".jsonl") else read_blocks(path))}
    long = [e for e in evaluation if len(e) >= 30]
    kept, dropped = [], []
    for row in rows:
        text = _norm(row["text"])
        (dropped if text in evaluation or any(e in text for e in long) else kept).append(row)
    return kept, dropped
