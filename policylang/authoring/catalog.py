"""`policylang catalog`: std's model prices kept equal to genai-prices (the Pydantic team's
maintained price data), with every exception written down.

stdlib/catalog.json says, for each model std/providers declares, where its price comes from:
  {"genai_prices": {"provider": ID, "model": REF}}  the package's price for that model, or
  {"override": REASON}                               std's own figure, and why.
and the date prices are read for (`as_of`: the package knows dated price changes and
peak/off-peak windows; a list price at noon UTC that day, for prompts in the lowest tier).

`catalog` prints std beside the package; `--check` exits 1 when a model drifted from it;
`--write` rewrites stdlib/providers.policy's prices (context windows, quality scores and the
rest kept) and its dated header, printing what changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from ..resources import stdlib_dir
from ..semantics import ir
from ..span import NOWHERE, Span
from ..syntax.formatter import format_text

TOKENS = 1_000  # priced per this many tokens, then scaled: stays in the lowest context tier
_HEADER = re.compile(r"^# Price list dated \d{4}-\d{2}-\d{2}.*$", re.M)


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class Row:
    model: str
    ours: tuple[float | None, float | None]
    theirs: tuple[float, float] | None  # None: an override
    source: str  # "genai-prices PROVIDER/REF" or the override's reason
    span: Span = NOWHERE  # the model's declaration in std/providers

    @property
    def drifted(self) -> bool:
        return self.theirs is not None and self.theirs != self.ours


def mapping(folder: Path | None = None) -> dict:
    path = (folder or stdlib_dir()) / "catalog.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from None


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("genai-prices")
    except Exception:  # noqa: BLE001 - not installed: the import below says so
        return "?"


def package_price(provider: str, ref: str, as_of: date) -> tuple[float, float]:
    """USD per million input and output tokens, from genai-prices, at noon UTC on as_of."""
    try:
        from genai_prices import Usage, calc_price  # lazy: the catalog extra
    except ImportError:
        raise CatalogError(
            "the catalog needs its extra: pip install 'policylang[catalog]'"
        ) from None
    when = datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=UTC)
    scale = Decimal(1_000_000) / TOKENS
    try:
        i = calc_price(
            Usage(input_tokens=TOKENS), ref, provider_id=provider, genai_request_timestamp=when
        )
        o = calc_price(
            Usage(output_tokens=TOKENS), ref, provider_id=provider, genai_request_timestamp=when
        )
    except LookupError as exc:
        raise CatalogError(f"genai-prices has no `{ref}` at `{provider}`: {exc}") from None
    return float(i.input_price * scale), float(o.output_price * scale)


def compare(policy: ir.PolicyIR, file: str, spec: dict) -> list[Row]:
    """The models declared in `file` beside the package's prices, in declaration order, as
    `spec` (catalog.json's content) maps them."""
    try:
        as_of = date.fromisoformat(spec["as_of"])
        sources = spec["models"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(
            f"stdlib/catalog.json needs `as_of` (YYYY-MM-DD) and `models`: {exc}"
        ) from None
    rows = []
    std_models = [m for m in policy.models.values() if m.span.file == file]
    missing = [m.name for m in std_models if m.name not in sources]
    if missing:
        raise CatalogError(
            f"stdlib/catalog.json does not say where these prices come from: {', '.join(missing)}"
        )
    for m in std_models:
        src = sources[m.name]
        if "override" in src:
            if not str(src["override"]).strip():
                raise CatalogError(f"the override of `{m.name}` needs a reason")
            rows.append(Row(m.name, (m.input, m.output), None, str(src["override"]), m.span))
            continue
        g = src["genai_prices"]
        theirs = package_price(g["provider"], g["model"], as_of)
        rows.append(
            Row(
                m.name,
                (m.input, m.output),
                theirs,
                f"genai-prices {g['provider']}/{g['model']}",
                m.span,
            )
        )
    return rows


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    text = f"{x:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def render(rows: list[Row], spec: dict) -> str:
    out = [
        f"std prices beside genai-prices {package_version()} as of {spec['as_of']} "
        "(USD per million tokens)"
    ]
    width = max(len(r.model) for r in rows)
    for r in rows:
        ours = f"{_num(r.ours[0])} / {_num(r.ours[1])}"
        if r.theirs is None:
            out.append(f"  {r.model:<{width}}  {ours:<16} override: {r.source}")
        elif r.drifted:
            theirs = f"{_num(r.theirs[0])} / {_num(r.theirs[1])}"
            out.append(f"  {r.model:<{width}}  {ours:<16} -> {theirs}  ({r.source})")
        else:
            out.append(f"  {r.model:<{width}}  {ours:<16} same  ({r.source})")
    drifted = sum(r.drifted for r in rows)
    out.append(
        f"{len(rows)} models: {drifted} changed, {sum(r.theirs is None for r in rows)} overridden"
    )
    return "\n".join(out)


def rewrite(text: str, rows: list[Row], as_of: str, version: str) -> str:
    """providers.policy with each drifted model's input and output prices replaced, inside the
    declaration its span names (last first, so earlier offsets hold)."""
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    drifted = sorted((r for r in rows if r.drifted), key=lambda r: (r.span.line, r.span.column))
    for r in reversed(drifted):
        assert r.theirs is not None
        begin = starts[r.span.line - 1] + r.span.column - 1
        end = starts[r.span.end_line - 1] + r.span.end_column - 1
        body = text[begin:end]
        if not re.match(rf"model\s+{re.escape(r.model)}\b", body):
            raise CatalogError(f"cannot find `model {r.model}` in std/providers")
        for field, value in (("input", r.theirs[0]), ("output", r.theirs[1])):
            body, n = re.subn(rf"(\b{field}\s*=\s*)[0-9_.]+", rf"\g<1>{_num(value)}", body)
            if n != 1:
                raise CatalogError(f"`model {r.model}` has no single `{field} = …` to update")
        text = text[:begin] + body + text[end:]
    header = f"# Price list dated {as_of} (genai-prices {version}; `policylang catalog`)."
    if _HEADER.search(text):
        text = _HEADER.sub(header, text, count=1)
    return format_text(text)  # a longer number realigns its neighbours, as `fmt` would
