"""The canonical printer: AST → policy text that parses back to an equal AST.

One statement per line (catalog blocks one field per line), conditions
parenthesized only where precedence needs it. The formatter builds on this."""

from __future__ import annotations

import re
from decimal import Decimal

from ..operators import OPERATORS, REGEX
from . import ast
from .parser import KEYWORDS

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


def is_bare(text: str) -> bool:
    """Whether text can be written unquoted as a value (a name that is not a keyword)."""
    return bool(_BARE.match(text)) and text not in KEYWORDS and text not in ("true", "false")


def string(value: str) -> str:
    return (
        '"'
        + value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")  # a raw \r would end the line (span.split_lines)
        .replace("\t", "\\t")
        + '"'
    )


def number(value) -> str:
    if type(value) is int:
        return str(value)
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if "." not in text:
        text += ".0"
    return text


def constant(value) -> str:
    """A value as the IR holds it, written as policy text: names bare where they can be, other
    strings quoted, sets as `{a, b}`."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value if is_bare(value) else string(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (frozenset, set)):
        value = sorted(value, key=repr)
    if isinstance(value, (tuple, list)):
        return "{" + ", ".join(constant(x) for x in value) + "}"
    raise TypeError(f"not a policy value: {type(value).__name__}")


def literal(lit) -> str:
    if isinstance(lit, ast.ListLiteral):
        return "[" + ", ".join(literal(x) for x in lit.items) + "]"
    if lit.kind == "string":
        return string(lit.value)
    if lit.kind == "bool":
        return "true" if lit.value else "false"
    if lit.kind == "number":
        if lit.text and lit.text.replace("_", "").lstrip("-").replace(".", "", 1).isdigit():
            return lit.text
        return number(lit.value)
    return str(lit.value)


def ref(r: ast.Ref) -> str:
    return r.text


def value(v) -> str:
    if isinstance(v, ast.Ref):
        return ref(v)
    if isinstance(v, ast.Call):
        return f"{v.func}({string(str(v.arg.value))})"
    return literal(v)


def _set(values) -> str:
    return "{" + ", ".join(literal(x) for x in values) + "}"


def test(t: ast.Test) -> str:
    row = OPERATORS[t.op]
    if row.operand == "none":
        return row.prints(t.fact)
    return row.prints(t.fact, _set(t.value) if row.operand == "many" else literal(t.value))


def cond(c, parent: str | None = None) -> str:
    if isinstance(c, ast.Test):
        return test(c)
    if isinstance(c, ast.Not):
        inner = cond(c.item, "not")
        return f"not {inner}"
    if isinstance(c, ast.And):
        text = " and ".join(cond(x, "and") for x in c.items)
        return f"({text})" if parent in ("and", "not") else text
    if isinstance(c, ast.Or):
        text = " or ".join(cond(x, "or") for x in c.items)
        return f"({text})" if parent in ("and", "or", "not") else text
    raise AssertionError(c)


def constraint(c: ast.Constraint) -> str:
    if isinstance(c.operand, str):
        return f"{c.attribute} {c.op} {c.operand}"
    if isinstance(c.operand, tuple):
        return f"{c.attribute} {c.op} {_set(c.operand)}"
    return f"{c.attribute} {c.op} {literal(c.operand)}"


def only(constraints) -> str:
    """` only a and b`, or "" when there are none."""
    return " only " + " and ".join(constraint(c) for c in constraints) if constraints else ""


def _targets(refs) -> str:
    return "[" + ", ".join(ref(r) for r in refs) + "]"


def statement(s) -> str:
    if isinstance(s, ast.Import):
        return f"import {s.path}" if s.kind == "module" else f"import {string(s.path)}"
    if isinstance(s, ast.FactDecl):
        t = s.type
        ty = f"enum {{{', '.join(t.members)}}}" if t.kind == "enum" else t.kind
        default = f" = {literal(s.default)}" if s.default is not None else ""
        case = " ignoring case" if s.ignoring_case else ""
        return f"fact {s.name}: {ty}{default}{case}"
    if isinstance(s, (ast.ProviderDecl, ast.ModelDecl)):
        kw = "provider" if isinstance(s, ast.ProviderDecl) else "model"
        if not s.fields:
            return f"{kw} {s.name} {{}}"
        body = "\n".join(f"  {f.key} = {value(f.value)}" for f in s.fields)
        return f"{kw} {s.name} {{\n{body}\n}}"
    if isinstance(s, ast.PoolDecl):
        text = f"pool {s.name} = {_targets(s.members)}"
        if s.strategy is not None:
            text += " " + strategy(s.strategy)
        return text + only(s.only)
    if isinstance(s, ast.Rule):
        if s.is_default:
            text = f"default route {ref(s.target)}"
        else:
            label = f"{s.label}: " if s.label else ""
            text = f"{label}when {cond(s.cond)} route {ref(s.target)}"
        if s.fallback is not None:
            text += f" fallback {_targets(s.fallback)}"
        return text + only(s.only)
    if isinstance(s, ast.Only):
        return only(s.constraints).lstrip()
    if isinstance(s, ast.QualityDecl):
        width = max((len(ref(r)) for r, _ in s.entries), default=0)
        learned = ""
        if s.prior is not None:
            learned = f" learned with prior {literal(s.prior)}"
            if s.half_life is not None:
                learned += f" half-life {literal(s.half_life)}"
                if s.half_life_days is not None:
                    learned += f" or {literal(s.half_life_days)} days"
            if s.explore is not None:
                learned += f" explore {literal(s.explore)}%"
        lines = [f"quality by {s.fact}{learned} {{"]
        for r, scores in s.entries:
            inner = ", ".join(f"{k}: {literal(v)}" for k, v in scores)
            lines.append(f"  {(ref(r) + ':').ljust(width + 1)} {{{inner}}}")
        lines.append("}")
        return "\n".join(lines)
    if isinstance(s, ast.Expect):
        facts = "{" + ", ".join(f"{k}: {literal(v)}" for k, v in s.facts) + "}"
        return f"expect {facts} " + (
            f"route {ref(s.target)}" if s.target is not None else "no route"
        )
    if isinstance(s, ast.ClassifyDecl):
        lines = [f"classify {s.fact} from {s.source} {{"]
        for c in s.clauses:
            lines.append("  " + clause(c))
        lines.append("}")
        return "\n".join(lines)
    raise AssertionError(s)


def strategy(s: ast.Strategy) -> str:
    if s.kind == "cost":
        return "by cost"
    if s.kind == "latency":
        return "by latency"
    if s.kind == "order":
        return "in order"
    if s.kind == "value":
        assert s.trade is not None
        return f"by value {literal(s.trade)} per point"
    return "weighted {" + ", ".join(f"{ref(r)}: {literal(n)}" for r, n in s.weights) + "}"


def clause(c: ast.ClassClause) -> str:
    if c.kind == "otherwise":
        return f"otherwise {c.label}"
    if c.kind == "model":
        return f"model {string(c.patterns[0])} above {number(c.threshold)}"
    if c.kind == REGEX.name:
        return REGEX.prints(c.label, string(c.patterns[0]))
    items = "[" + ", ".join(string(p) for p in c.patterns) + "]"
    if c.kind == "keywords":
        return f"{c.label} keywords {items}"
    return f"{c.label} like {items} above {number(c.threshold)}"


def module(m: ast.Module) -> str:
    return "".join(statement(s) + "\n" for s in m.statements)
