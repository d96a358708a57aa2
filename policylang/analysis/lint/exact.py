"""Lint passes read off the exact decision diagram (ANALYSIS.md §5). Every witness is
replayed by LintContext.check_witness before it is reported, so a finding is never invented."""

from __future__ import annotations

from ...diagnostics import Diagnostic, Related
from ...interp import holds
from ...semantics import ir
from ...semantics.ir import tests_of
from ...syntax import printer
from ..atoms import AnalysisLimit, BoxBuilder, atoms_of, build_dims
from ..diagram import Diagram
from ..witness import concretize
from .context import LintContext, show

MAX_TAKERS = 8  # covering rules named in an unreachable-rule finding
SUB_BUDGET = 50_000  # nodes for each per-rule question


def _never(ctx: LintContext, rule: ir.Rule) -> None:
    ctx.emit(
        rule,
        "never-matches",
        "warning",
        rule.span,
        f"rule `{rule.name}` can never match: its condition is unsatisfiable on its own",
    )


def opaque_patterns(ctx: LintContext) -> None:
    """One note per pattern the automata cannot model: findings that depend on it may be missed."""
    for test, why in ctx.space.opaque_notes:
        rule = next(r for r in ctx.rules if test in tests_of(r.cond))
        ctx.out.append(
            Diagnostic(
                "analysis-incomplete",
                "info",
                rule.span,
                f"`{test.fact} {test.op} {printer.string(test.value)}` (rule `{rule.name}`) "
                f"{why}, so findings "
                "that depend on what it matches may be missed (none is invented)",
            )
        )


def never_matches(ctx: LintContext) -> None:
    """A rule whose condition no request satisfies (read off the diagram's space when there is
    one, else rule by rule)."""
    for rule in ctx.rules:
        if rule.is_default:
            continue
        if ctx.dg is not None:
            if ctx.space.rule_boxes[rule.index] == 0:
                _never(ctx, rule)
            continue
        try:
            dims, by_fact, by_test = build_dims(ctx.p.facts, (rule,))
            if not BoxBuilder(dims, by_fact, by_test).boxes(rule.cond):
                _never(ctx, rule)
        except AnalysisLimit:
            continue


def unreachable_rules(ctx: LintContext) -> None:
    """A satisfiable rule that decides no request: earlier rules take all it matches."""
    deciders = ctx.diagram.deciders()
    for r, _rule in enumerate(ctx.rules):
        if ctx.space.rule_boxes[r] != 0 and r not in deciders:
            _unreachable(ctx, r, quick=ctx.over_time("unreachable-rule examples"))


def _unreachable(ctx: LintContext, r: int, quick: bool) -> None:
    rule, dg = ctx.rules[r], ctx.diagram
    if quick:  # the diagram's verdict is exact; only the example and the takers are skipped
        ctx.emit(
            rule,
            "unreachable-rule",
            "warning",
            rule.span,
            f"rule `{rule.name}` is unreachable: earlier rules take every request it matches",
        )
        return
    # every cell of the rule's boxes is decided by an earlier rule: read them off the diagram
    takers: set[int] = set()
    witness, witness_taker = None, None
    for b in ctx.boxes(r):
        dom = ctx.box_domain(b)
        takers |= {t for t in dg.leaves_within(dom, limit=MAX_TAKERS + 1) if t is not None}
        if witness is None:
            for path in dg.paths_to(lambda t: t is not None and t < r, limit=8, domain=dom):
                facts = concretize(ctx.space, dict(path), dom)
                got = ctx.check_witness(facts) if facts is not None else None
                if (
                    facts is not None
                    and got
                    and got.index < r
                    and holds(rule.cond, ctx.values(facts))
                ):
                    witness, witness_taker = facts, got.index
                    break
    complete = len(takers) <= MAX_TAKERS
    if witness_taker is not None:  # name the witness's taker among those listed
        takers = set(sorted(takers - {witness_taker})[: MAX_TAKERS - 1]) | {witness_taker}
    if not takers or witness is None:
        return  # not shown by a concrete request: say nothing rather than guess
    related = tuple(
        Related(
            ctx.rules[t].span,
            f"`{ctx.rules[t].name}` takes "
            + (f"e.g. {show(witness)}" if t == witness_taker else "some of these requests"),
        )
        for t in sorted(takers)
    )
    listed = ", ".join(f"`{ctx.rules[t].name}`" for t in sorted(takers)) + (
        "" if complete else ", …"
    )
    ctx.emit(
        rule,
        "unreachable-rule",
        "warning",
        rule.span,
        f"rule `{rule.name}` is unreachable: earlier rules ({listed}) "
        "take every request it matches",
        related=related,
        witness=witness,
    )


def non_exhaustive(ctx: LintContext) -> None:
    """Requests no rule matches, in a policy without `default`."""
    dg = ctx.diagram
    if any(r.is_default for r in ctx.rules) or None not in dg.deciders():
        return
    for path in dg.paths_to(lambda x: x is None, limit=64):
        facts = concretize(dg.space, dict(path))
        if facts is None:
            continue
        if ctx.check_witness(facts) is None:
            span = ctx.rules[-1].span if ctx.rules else ir.NOWHERE
            ctx.emit(
                None,
                "non-exhaustive",
                "warning",
                span,
                f"some requests match no rule and there is no `default`, e.g. {show(facts)}",
                witness=facts,
                notes=("add `default route TARGET` as the last rule",),
            )
            return


def _deciding_rules(ctx: LintContext) -> list[int]:
    return sorted(x for x in ctx.diagram.deciders() if x is not None)


def context_overflows(ctx: LintContext) -> None:
    """Requests a rule decides whose `tokens` exceed a target's context window (§9)."""
    fact = ctx.p.facts.get("tokens")
    if fact is None or fact.kind != "int":
        return
    for r in _deciding_rules(ctx):
        if ctx.over_time("context-overflow"):
            return
        _context_overflow(ctx, r)


def _context_overflow(ctx: LintContext, r: int) -> None:
    rule, space = ctx.rules[r], ctx.space
    tok = space.by_fact.get("tokens")
    windows: list[tuple[str, int]] = [
        (m, c)
        for t in (rule.target, *rule.fallback)
        for m in t.models
        for c in [ctx.p.models[m].context]
        if c
    ]
    windows = list(dict.fromkeys(windows))
    if not windows:
        return
    smallest = min(c for _, c in windows)
    top = 0 if tok is None else len(tok.thresholds)  # the numeric atoms are 0..top

    def reach(a: int):
        """The domain of a cell rule r decides with tokens in atom a, or None."""
        for b in ctx.boxes(r):
            dom = list(ctx.box_domain(b))
            if tok is not None:
                if not dom[tok.index] >> a & 1:
                    continue
                dom[tok.index] = 1 << a
            if ctx.diagram.paths_to(lambda x: x == r, limit=1, domain=tuple(dom)):
                return tuple(dom)  # the whole diagram decides these cells: r takes some of them
        return None

    admitted = 0
    for b in ctx.boxes(r):
        admitted |= space.boxes[b].get(tok.index, tok.full) if tok is not None else 1
    numeric = admitted & ((1 << (top + 1)) - 1)
    atoms = [
        (a,) + (tok.interval(a) if tok is not None else (None, None)) for a in atoms_of(numeric)
    ]
    if not atoms:
        return

    def highest_reached():
        for a, lo, hi in reversed(atoms):
            if hi is not None and hi - 1 <= smallest:
                return None  # nothing reached above the smallest window
            found = reach(a)
            if found and hi is not None:
                return found, lo, hi
        return None

    if atoms[-1][0] == top:
        lowest = next(((found, lo) for a, lo, hi in atoms for found in [reach(a)] if found), None)
        if lowest is None:
            return
        found, lo = lowest
        if lo is not None and lo > smallest:
            # every request reaching the rule with `tokens` overflows the smallest window; say
            # "every" only if requests without `tokens` cannot reach it
            low = int(lo)
            assert tok is not None  # a bound on `tokens` came from its dim
            gap = tok.missing_atom
            untold = gap is not None and admitted >> gap & 1 and reach(gap) is not None
            _overflow(
                ctx,
                rule,
                found,
                [(m, c) for m, c in windows if low > c],
                low,
                every=not untold,
                untold=untold,
            )
            return
        if reach(top):
            return  # reached by arbitrarily large requests, and by some that fit: §9 says nothing
    hit = highest_reached()
    if hit:
        found, lo, hi = hit
        high = int(hi) - 1
        over = [(m, c) for m, c in windows if high > c]
        example = max(int(lo) if lo is not None else 0, min(c for _, c in over) + 1)
        _overflow(ctx, rule, found, over, example, every=False, high=high)


def _overflow(
    ctx: LintContext, rule: ir.Rule, dom, over, example, every, high=None, untold=False
) -> None:
    witness = None
    for path in ctx.diagram.paths_to(lambda x: x == rule.index, limit=16, domain=dom):
        facts = concretize(ctx.space, dict(path), dom, prefer={"tokens": example})
        if facts is None:
            continue
        facts["tokens"] = example
        got = ctx.check_witness(facts)
        if got and got.index == rule.index:
            witness = facts
            break
    if witness is None:
        return
    models = ", ".join(f"`{m}` ({c:,} tokens)" for m, c in over)
    if every:
        msg = (
            f"every request reaching rule `{rule.name}` has at least {example:,} tokens, "
            f"more than the context window of {models}"
        )
    elif untold:
        msg = (
            f"some requests reaching rule `{rule.name}` have at least {example:,} tokens (every "
            "one "
            f"that carries `tokens`), more than the context window of {models}"
        )
    else:
        msg = (
            f"rule `{rule.name}` is reached by requests of up to {high:,} tokens, "
            f"more than the context window of {models}"
        )
    ctx.emit(rule, "context-overflow", "warning", rule.span, msg, witness=witness)


def redundant_rules(ctx: LintContext) -> None:
    """A rule whose requests later rules would route the same way without it."""
    later: set = set()
    later_keys: list[set] = [set() for _ in ctx.rules]
    for i in range(len(ctx.rules) - 1, -1, -1):
        later_keys[i] = set(later)
        later.add(ctx.route_keys[i])
    for r in _deciding_rules(ctx):
        if ctx.over_time("redundant-rule"):
            return
        if ctx.route_keys[r] in later_keys[r]:
            _redundant(ctx, r)


REFUTE_SAMPLES = 4  # requests per box tried before the exact sub-diagram


def _refuted(ctx: LintContext, r: int, differs) -> bool:
    """True when a concrete request rule r decides would go, without r, to no rule or one that
    routes differently: then r is not redundant, and the sub-diagrams need not be built."""
    for b in ctx.boxes(r):
        dom = ctx.box_domain(b)
        for path in ctx.diagram.paths_to(lambda x: x == r, limit=REFUTE_SAMPLES, domain=dom):
            facts = concretize(ctx.space, dict(path), dom)
            if facts is None:
                continue
            try:
                values = ctx.values(facts)
            except ValueError:
                continue
            if ctx.first_match(values) != r:
                continue  # not a request r decides (the diagram is exact, but be sure)
            if differs(ctx.first_match(values, skip=r)):
                return True
    return False


def _redundant(ctx: LintContext, r: int) -> None:
    rule, space = ctx.rules[r], ctx.space
    key = ctx.route_keys[r]
    others = space.all_boxes & ~space.rule_boxes[r]
    heirs: set[int] = set()
    routes = ctx.route_keys

    def differs(t) -> bool:
        return t is None or (t > r and routes[t] != key)

    if _refuted(ctx, r, differs):
        return
    for b in ctx.boxes(r):
        try:
            sub = Diagram(
                space, live=others, domain=ctx.box_domain(b), budget=SUB_BUDGET, stop=differs
            )
        except AnalysisLimit:
            return
        if sub.stopped:
            return
        for t in sub.deciders():
            if t is not None and t < r:
                continue
            if t is None or routes[t] != key:
                return
            heirs.add(t)
    related = tuple(
        Related(ctx.rules[t].span, f"`{ctx.rules[t].name}` routes them the same way")
        for t in sorted(heirs)
    )
    ctx.emit(
        rule,
        "redundant-rule",
        "info",
        rule.span,
        f"rule `{rule.name}` is redundant: without it, every request it decides is routed "
        f"the same way ({rule.target.written}) by later rules",
        related=related,
    )
