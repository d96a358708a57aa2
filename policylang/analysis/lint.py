"""The exact linter (docs/language.md §11): every finding is read off the decision
diagram the compiler uses, and every witness is replayed through the reference
interpreter before it is reported, so a finding is never invented.
"""
from __future__ import annotations

import time

from ..diagnostics import Diagnostic, Related
from ..interp import holds, interpret, with_defaults
from ..prelude import check_facts
from ..pysource import first_match
from ..semantics import ir
from ..semantics.ir import tests_of
from ..syntax import printer
from .atoms import AnalysisLimit, atoms_of
from .diagram import DEFAULT_NODE_BUDGET, Diagram, Space
from .witness import concretize

MAX_TAKERS = 8               # covering rules named in an unreachable-rule finding
NAIVE_ABOVE = 200            # rules; above this, witnesses are replayed by a compiled first-match loop
SUB_BUDGET = 50_000          # nodes for each per-rule question
TIME_BUDGET = 20.0           # seconds for the per-rule questions of one policy


class Linter:
    def __init__(self, policy: ir.PolicyIR, diagram: Diagram | None = None):
        self.p = policy
        self.rules = policy.rules
        self.out: list[Diagnostic] = []
        self.dg = diagram
        self.deadline = time.monotonic() + TIME_BUDGET
        self.incomplete: list[str] = []
        self.route_keys = [rule.route_key for rule in self.rules]
        self.index_of = {rule.name: rule.index for rule in self.rules}
        self._first_match = None
        self.later_keys: list[set] = [set() for _ in self.rules]
        seen: set = set()
        for i in range(len(self.rules) - 1, -1, -1):
            self.later_keys[i] = set(seen)
            seen.add(self.route_keys[i])

    # ---- helpers ------------------------------------------------------------------
    def emit(self, rule: ir.Rule | None, code, severity, span, message, **kw):
        if rule is not None and code in rule.suppressed:
            return
        self.out.append(Diagnostic(code, severity, span, message, **kw))

    def check_witness(self, facts: dict) -> ir.Rule | None | bool:
        """The rule first-match evaluation picks for these facts (None: no route); False if invalid.

        Independent of the diagram the witness came from: the reference interpreter, or for
        large policies the same first-match loop over each rule's condition compiled on its own."""
        try:
            values = self.values(facts)
        except ValueError:
            return False
        if len(self.rules) <= NAIVE_ABOVE:
            d = interpret(self.p, facts)
            return None if d.rule is None else self.rules[self.index_of[d.rule]]
        if self._first_match is None:
            self._first_match = first_match(self.rules)
        r = self._first_match(values)
        return None if r is None else self.rules[r]

    def values(self, facts: dict) -> dict:
        return with_defaults(self.p, check_facts(self.p.fact_specs, facts))

    def box_domain(self, space: Space, b: int) -> tuple[int, ...]:
        dom = list(space.full_domain())
        for d, m in space.boxes[b].items():
            dom[d] = m
        return tuple(dom)

    def _boxes(self, space: Space, r: int):
        x = space.rule_boxes[r]
        while x:
            lb = x & -x
            x ^= lb
            yield lb.bit_length() - 1

    def over_time(self, what: str) -> bool:
        if time.monotonic() > self.deadline:
            if what not in self.incomplete:
                self.incomplete.append(what)
            return True
        return False

    # ---- the run ------------------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        self.structural()
        try:
            if self.dg is None or not self.dg.space.exact_strings:
                self.dg = Diagram(Space(self.p.facts, self.rules), budget=DEFAULT_NODE_BUDGET,
                                  deadline=self.deadline)
        except AnalysisLimit as exc:
            span = self.rules[0].span if self.rules else ir.NOWHERE
            self.out.append(Diagnostic(
                "analysis-incomplete", "info", span,
                f"exact analysis skipped: {exc}; unreachable, redundant, non-exhaustive and "
                "context-overflow findings are not reported for this policy"))
            self.never_matches_only()
            return self.out
        space = self.dg.space
        self.opaque_notes(space)
        deciders = self.dg.deciders()
        for r, rule in enumerate(self.rules):
            if space.rule_boxes[r] == 0:
                if not rule.is_default:
                    self.emit(rule, "never-matches", "warning", rule.span,
                              f"rule `{rule.name}` can never match: its condition is unsatisfiable on its own")
            elif r not in deciders:
                self.unreachable(space, r, quick=self.over_time("unreachable-rule examples"))
        self.non_exhaustive()
        for r in sorted(x for x in deciders if x is not None):
            if not self.over_time("redundant-rule"):
                self.redundant(space, r)
            if not self.over_time("context-overflow"):
                self.context_overflow(space, r)
        if self.incomplete:
            self.out.append(Diagnostic(
                "analysis-incomplete", "info", self.rules[0].span,
                f"analysis stopped after {TIME_BUDGET:.0f} s; not every rule was checked for: {', '.join(self.incomplete)}"))
        return self.out

    def opaque_notes(self, space: Space):
        """One note per pattern the automata cannot model: findings that depend on it may be missed."""
        for test, why in space.opaque_notes:
            rule = next(r for r in self.rules if test in tests_of(r.cond))
            self.out.append(Diagnostic(
                "analysis-incomplete", "info", rule.span,
                f"`{test.fact} {test.op} {printer.string(test.value)}` (rule `{rule.name}`) {why}, so findings "
                "that depend on what it matches may be missed (none is invented)"))

    def never_matches_only(self):
        from .atoms import BoxBuilder, build_dims

        for rule in self.rules:
            try:
                dims, by_fact, by_test = build_dims(self.p.facts, (rule,))
                if not BoxBuilder(dims, by_fact, by_test).boxes(rule.cond) and not rule.is_default:
                    self.emit(rule, "never-matches", "warning", rule.span,
                              f"rule `{rule.name}` can never match: its condition is unsatisfiable on its own")
            except AnalysisLimit:
                continue

    # ---- unreachable ----------------------------------------------------------------
    def unreachable(self, space: Space, r: int, quick: bool = False):
        rule = self.rules[r]
        if quick:  # the diagram's verdict is exact; only the example and the takers are skipped
            self.emit(rule, "unreachable-rule", "warning", rule.span,
                      f"rule `{rule.name}` is unreachable: earlier rules take every request it matches")
            return
        # every cell of the rule's boxes is decided by an earlier rule: read them off the diagram
        takers: set[int] = set()
        witness, witness_taker = None, None
        for b in self._boxes(space, r):
            dom = self.box_domain(space, b)
            takers |= {t for t in self.dg.leaves_within(dom, limit=MAX_TAKERS + 1) if t is not None}
            if witness is None:
                for path in self.dg.paths_to(lambda t: t is not None and t < r, limit=8, domain=dom):
                    facts = concretize(space, dict(path), dom)
                    got = self.check_witness(facts) if facts is not None else None
                    if got and got.index < r and holds(rule.cond, self.values(facts)):
                        witness, witness_taker = facts, got.index
                        break
        complete = len(takers) <= MAX_TAKERS
        if witness_taker is not None:   # name the witness's taker among those listed
            takers = set(sorted(takers - {witness_taker})[:MAX_TAKERS - 1]) | {witness_taker}
        if not takers or witness is None:
            return  # not shown by a concrete request: say nothing rather than guess
        related = tuple(Related(self.rules[t].span, f"`{self.rules[t].name}` takes "
                                + (f"e.g. {_show(witness)}" if t == witness_taker else "some of these requests"))
                        for t in sorted(takers))
        listed = ", ".join(f"`{self.rules[t].name}`" for t in sorted(takers)) + ("" if complete else ", …")
        self.emit(rule, "unreachable-rule", "warning", rule.span,
                  f"rule `{rule.name}` is unreachable: earlier rules ({listed}) take every request it matches",
                  related=related, witness=witness)

    # ---- non-exhaustive -------------------------------------------------------------
    def non_exhaustive(self):
        if any(r.is_default for r in self.rules):
            return
        if None not in self.dg.deciders():
            return
        for path in self.dg.paths_to(lambda x: x is None, limit=64):
            facts = concretize(self.dg.space, dict(path))
            if facts is None:
                continue
            if self.check_witness(facts) is None:
                span = self.rules[-1].span if self.rules else ir.NOWHERE
                self.emit(None, "non-exhaustive", "warning", span,
                          f"some requests match no rule and there is no `default`, e.g. {_show(facts)}",
                          witness=facts, notes=("add `default route TARGET` as the last rule",))
                return

    # ---- redundant ------------------------------------------------------------------
    def redundant(self, space: Space, r: int):
        rule = self.rules[r]
        key = self.route_keys[r]
        if key not in self.later_keys[r]:
            return
        others = space.all_boxes & ~space.rule_boxes[r]
        heirs: set[int] = set()
        routes = self.route_keys

        def differs(t) -> bool:
            return t is None or (t > r and routes[t] != key)

        for b in self._boxes(space, r):
            try:
                sub = Diagram(space, live=others, domain=self.box_domain(space, b), budget=SUB_BUDGET, stop=differs)
            except AnalysisLimit:
                return
            if sub.stopped:
                return
            for t in sub.deciders():
                if t is not None and t < r:
                    continue
                if t is None or self.rules[t].route_key != key:
                    return
                heirs.add(t)
        related = tuple(Related(self.rules[t].span, f"`{self.rules[t].name}` routes them the same way")
                        for t in sorted(heirs))
        self.emit(rule, "redundant-rule", "info", rule.span,
                  f"rule `{rule.name}` is redundant: without it, every request it decides is routed "
                  f"the same way ({rule.target.written}) by later rules", related=related)

    # ---- context overflow -------------------------------------------------------------
    def context_overflow(self, space: Space, r: int):
        rule = self.rules[r]
        tok = space.by_fact.get("tokens")
        fact = self.p.facts.get("tokens")
        if fact is None or fact.kind != "int":
            return
        windows = [(m, self.p.models[m].context) for t in (rule.target, *rule.fallback) for m in t.models
                   if self.p.models[m].context]
        windows = list(dict.fromkeys(windows))
        if not windows:
            return
        smallest = min(c for _, c in windows)
        top = 0 if tok is None else len(tok.thresholds)     # the numeric atoms are 0..top

        def reach(a: int):
            """A witness reaching rule r with tokens in atom a (and its box), or None."""
            for b in self._boxes(space, r):
                dom = list(self.box_domain(space, b))
                if tok is not None:
                    if not dom[tok.index] >> a & 1:
                        continue
                    dom[tok.index] = 1 << a
                if self.dg.paths_to(lambda x: x == r, limit=1, domain=tuple(dom)):
                    return tuple(dom)    # the whole diagram decides these cells: r takes some of them
            return None

        admitted = 0
        for b in self._boxes(space, r):
            admitted |= space.boxes[b].get(tok.index, tok.full) if tok is not None else 1
        numeric = admitted & ((1 << (top + 1)) - 1)
        atoms = [(a,) + (tok.interval(a) if tok is not None else (None, None)) for a in atoms_of(numeric)]
        if not atoms:
            return

        def highest_reached():
            for a, lo, hi in reversed(atoms):
                if hi is not None and hi - 1 <= smallest:
                    return None      # nothing reached above the smallest window
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
                gap = tok.missing_atom
                untold = gap is not None and admitted >> gap & 1 and reach(gap) is not None
                self._overflow(rule, space, found, [(m, c) for m, c in windows if low > c], low,
                               every=not untold, untold=untold)
                return
            if reach(top):
                return  # reached by arbitrarily large requests, and by some that fit: §9 says nothing
        hit = highest_reached()
        if hit:
            found, lo, hi = hit
            high = int(hi) - 1
            over = [(m, c) for m, c in windows if high > c]
            example = max(int(lo) if lo is not None else 0, min(c for _, c in over) + 1)
            self._overflow(rule, space, found, over, example, every=False, high=high)

    def _overflow(self, rule, space, found, over, example, every, high=None, untold=False):
        dom = found
        witness = None
        for path in self.dg.paths_to(lambda x: x == rule.index, limit=16, domain=dom):
            facts = concretize(space, dict(path), dom, prefer={"tokens": example})
            if facts is None:
                continue
            facts["tokens"] = example
            got = self.check_witness(facts)
            if got and got.index == rule.index:
                witness = facts
                break
        if witness is None:
            return
        models = ", ".join(f"`{m}` ({c:,} tokens)" for m, c in over)
        if every:
            msg = (f"every request reaching rule `{rule.name}` has at least {example:,} tokens, "
                   f"more than the context window of {models}")
        elif untold:
            msg = (f"some requests reaching rule `{rule.name}` have at least {example:,} tokens (every one "
                   f"that carries `tokens`), more than the context window of {models}")
        else:
            msg = (f"rule `{rule.name}` is reached by requests of up to {high:,} tokens, "
                   f"more than the context window of {models}")
        self.emit(rule, "context-overflow", "warning", rule.span, msg, witness=witness)

    # ---- structural findings -----------------------------------------------------------
    def structural(self):
        p = self.p
        for rule in self.rules:
            seen = list(rule.target.models)
            names = [rule.target.written]
            for t in rule.fallback:
                if t.written in names:
                    self.emit(rule, "duplicate-target", "warning", rule.span,
                              f"fallback `{t.written}` is listed twice in rule `{rule.name}`")
                elif all(m in seen for m in t.models):
                    self.emit(rule, "duplicate-target", "warning", rule.span,
                              f"fallback `{t.written}` adds no candidate to rule `{rule.name}`: "
                              f"{', '.join(t.models)} {'is' if len(t.models) == 1 else 'are'} already tried")
                names.append(t.written)
                seen += [m for m in t.models if m not in seen]
        for name, pool in p.pools.items():
            if ("pool", name) not in p.local_names or pool.strategy != "cost":
                continue
            unpriced = [m for m in pool.members if p.models[m].blended_price is None]
            if unpriced:
                self.out.append(Diagnostic(
                    "unpriced-cost-pool", "warning", pool.span,
                    f"pool `{name}` is ordered `by cost`, but {', '.join(unpriced)} "
                    f"{'has' if len(unpriced) == 1 else 'have'} no price (they go last)"))
        self.unused()
        self.classifiers()

    def classifiers(self):
        """Keyword classes an earlier class always beats; `otherwise` values no rule tests."""
        mentioned: dict[str, set] = {}
        for rule in self.rules:
            for t in tests_of(rule.cond):
                vals = t.value if isinstance(t.value, tuple) else (t.value,)
                mentioned.setdefault(t.fact, set()).update(v for v in vals if isinstance(v, str))
        for spec in self.p.classifiers:
            earlier: list[tuple[str, str]] = []
            for clause in spec.clauses:
                if clause.kind != "keywords":
                    continue
                own = [k.lower() for k in clause.patterns]
                shadow = {}
                for kw in own:
                    hit = next(((lab, e) for lab, e in earlier if e in kw), None)
                    if hit is None:
                        break
                    shadow[kw] = hit
                else:
                    by = ", ".join(sorted({f"`{e}` ({lab})" for lab, e in shadow.values()}))
                    self.out.append(Diagnostic(
                        "shadowed-class", "warning", clause.span,
                        f"class `{clause.label}` can never be chosen by its keywords: every one of them contains "
                        f"an earlier class's keyword ({by}), which is tried first"))
                earlier += [(clause.label, k) for k in own]
            if spec.otherwise is not None and spec.otherwise not in mentioned.get(spec.fact, set()):
                self.out.append(Diagnostic(
                    "unused-class", "info", spec.span,
                    f"`otherwise {spec.otherwise}` sets `{spec.fact}` to a value no rule tests"))

    def unused(self):
        p = self.p
        used = {"fact": set(), "model": set(), "provider": set(), "pool": set()}
        for rule in self.rules:
            used["fact"].update(t.fact for t in tests_of(rule.cond))
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
        for kind, name in sorted(p.local_names):
            if name in used[kind]:
                continue
            decl = {"fact": p.facts, "model": p.models, "provider": p.providers, "pool": p.pools}[kind].get(name)
            if decl is None:
                continue
            self.out.append(Diagnostic("unused-declaration", "info", decl.span,
                                       f"{kind} `{name}` is declared here but never used"))


def _show(facts: dict) -> str:
    import json

    return json.dumps(facts, sort_keys=True)


def lint(policy: ir.PolicyIR, diagram: Diagram | None = None) -> list[Diagnostic]:
    return Linter(policy, diagram).run()
