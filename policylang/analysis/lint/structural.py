"""Lint passes that read declarations and rules as written: no diagram needed."""

from __future__ import annotations

import re
from pathlib import Path

from ...diagnostics import Diagnostic
from ...resources import stdlib_dir
from ...semantics import ir
from ...semantics.ir import tests_of
from ...span import Span
from ...textmodel import keyword_implies
from .context import LintContext

_ALLOW_NO_RULES = re.compile(r"^\s*#\s*policylang:\s*allow\b[^\n]*\bno-rules\b", re.M)


def no_rules(p: ir.PolicyIR) -> Diagnostic | None:
    """A policy with no rules that declares nothing either (an empty file, or only `import
    std`): every request would get no route. A file that declares facts, models, providers or
    pools is a library and is left alone; so is std, and a file of imports only that says
    `# policylang: allow no-rules` on a line of its own."""
    if p.rules or p.local_names or p.classifiers:
        return None
    text = p.sources.get(p.name, "")
    try:
        if Path(p.name).resolve().is_relative_to(stdlib_dir().resolve()):
            return None
    except OSError:
        pass
    if _ALLOW_NO_RULES.search(text):
        return None
    return Diagnostic(
        "no-rules",
        "warning",
        Span(p.name, 1, 1, 1, 1),
        f"{p.name} has no rules: every request would get no route",
        notes=(
            "add rules and a last `default route TARGET`; a file of imports only, meant to be "
            "imported, can say `# policylang: allow no-rules`",
        ),
    )


def duplicate_targets(ctx: LintContext) -> None:
    """A fallback listed twice in a rule, or one that adds no candidate."""
    for rule in ctx.rules:
        seen = list(rule.target.models)
        names = [rule.target.written]
        for t in rule.fallback:
            if t.written in names:
                ctx.emit(
                    rule,
                    "duplicate-target",
                    "warning",
                    rule.span,
                    f"fallback `{t.written}` is listed twice in rule `{rule.name}`",
                )
            elif all(m in seen for m in t.models):
                ctx.emit(
                    rule,
                    "duplicate-target",
                    "warning",
                    rule.span,
                    f"fallback `{t.written}` adds no candidate to rule `{rule.name}`: "
                    f"{', '.join(t.models)} {'is' if len(t.models) == 1 else 'are'} already tried",
                )
            names.append(t.written)
            seen += [m for m in t.models if m not in seen]


def unpriced_cost_pools(ctx: LintContext) -> None:
    """A `by cost` pool (declared in this file) with members that have no price."""
    p = ctx.p
    for name, pool in p.pools.items():
        if ("pool", name) not in p.local_names or pool.strategy != "cost":
            continue
        unpriced = [m for m in pool.members if p.models[m].blended_price is None]
        if unpriced:
            ctx.out.append(
                Diagnostic(
                    "unpriced-cost-pool",
                    "warning",
                    pool.span,
                    f"pool `{name}` is ordered `by cost`, but {', '.join(unpriced)} "
                    f"{'has' if len(unpriced) == 1 else 'have'} no price (they go last)",
                )
            )


def unused_declarations(ctx: LintContext) -> None:
    """A fact, model, provider or pool declared in this file that nothing uses."""
    p = ctx.p
    used: dict[str, set] = {"fact": set(), "model": set(), "provider": set(), "pool": set()}
    for rule in ctx.rules:
        used["fact"].update(t.fact for t in tests_of(rule.cond))
        for _, attributes, constraints in rule.constraint_spec:  # facts constraints read
            used["fact"].update(c[3] for c in constraints if c[2])
            if any(c[0] == "cost" for c in constraints):
                used["fact"].add("tokens")
            if any(c[0] == "quality" for c in constraints) and attributes[4] is not None:
                used["fact"].add(attributes[4][0])
        for t in (rule.target, *rule.fallback):
            if t.kind in ("pool", "provider"):
                used[t.kind].add(t.written)
            used["model"].update(t.models)
    for e in p.expects:
        used["fact"].update(e.facts)
    for c in p.classifiers:
        used["fact"].add(c.fact)
    for pool in p.pools.values():
        if pool.name in used["pool"]:
            used["model"].update(pool.members)
    for m in list(used["model"]):
        used["provider"].add(p.models[m].provider)
    declared: dict[str, dict] = {
        "fact": p.facts,
        "model": p.models,
        "provider": p.providers,
        "pool": p.pools,
    }
    for kind, name in sorted(p.local_names):
        decl = declared[kind].get(name)
        if name in used[kind] or decl is None:
            continue
        ctx.out.append(
            Diagnostic(
                "unused-declaration",
                "info",
                decl.span,
                f"{kind} `{name}` is declared here but never used",
            )
        )


def classifier_classes(ctx: LintContext) -> None:
    """Keyword classes an earlier class always beats; `otherwise` values no rule tests."""
    mentioned: dict[str, set] = {}
    for rule in ctx.rules:
        for t in tests_of(rule.cond):
            vals = t.value if isinstance(t.value, tuple) else (t.value,)
            mentioned.setdefault(t.fact, set()).update(v for v in vals if isinstance(v, str))
    for spec in ctx.p.classifiers:
        if spec.span.file != ctx.p.name:
            continue  # an imported classifier (std/task): its file is not the author's to fix
        earlier: list[tuple[str, str]] = []
        for clause in spec.clauses:
            if clause.kind != "keywords":
                continue
            own = list(clause.patterns)
            shadow = {}
            for kw in own:
                hit = next(((lab, e) for lab, e in earlier if keyword_implies(e, kw)), None)
                if hit is None:
                    break
                shadow[kw] = hit
            else:
                by = ", ".join(sorted({f"`{e}` ({lab})" for lab, e in shadow.values()}))
                ctx.out.append(
                    Diagnostic(
                        "shadowed-class",
                        "warning",
                        clause.span,
                        f"class `{clause.label}` can never be chosen by its keywords: every one "
                        "of them contains, as whole words, "
                        f"an earlier class's keyword ({by}), which is tried first",
                    )
                )
            earlier += [(clause.label, k) for k in own]
        if spec.otherwise is not None and spec.otherwise not in mentioned.get(spec.fact, set()):
            ctx.out.append(
                Diagnostic(
                    "unused-class",
                    "info",
                    spec.span,
                    f"`otherwise {spec.otherwise}` sets `{spec.fact}` to a value no rule tests",
                )
            )
