"""Rules, expectations and classifiers checked into IR against the catalog."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import textmodel
from ..diagnostics import Related
from ..operators import REGEX
from ..pacing import pace
from ..prelude import did_you_mean
from ..span import split_lines
from ..syntax import ast
from ..syntax.parser import KEYWORDS
from . import ir
from .catalog import Catalog, CatalogChecker
from .conditions import (
    ConditionChecker,
    LiteralError,
    compile_pattern,
    fact_value,
    float_of,
    positive_float,
)
from .constraints import check_all
from .report import Reporter, unknown

SOURCES = ("prompt", "request", "system", "last_message")
_ALLOW = re.compile(r"#\s*policylang:\s*allow\s+([\w\-, ]+)")


class StatementChecker(Reporter):
    """Checks the main module's statements; targets resolve through the catalog."""

    def __init__(self, catalog: Catalog, catalog_checker: CatalogChecker, source: str):
        super().__init__(catalog_checker.diags)
        self.cat = catalog
        self.resolver = catalog_checker
        self.source_lines = split_lines(source)
        self._quality: dict[str, ir.Quality | None] = {}

    def target(self, ref: ast.Ref) -> ir.Target | None:
        c = self.cat
        return self.resolver.resolve_models(ref, c.providers, c.models, c.pools)

    # ---- rules ---------------------------------------------------------------
    def rules(self, module: ast.Module) -> tuple[ir.Rule, ...]:
        checker = ConditionChecker(self.cat.facts, self.diags)
        allows = AllowComments(module, self.source_lines)
        models = self.cat.models
        policy_wide = self.policy_constraints(module)
        quality = self.quality(module)
        out: list[ir.Rule] = []
        labels: dict[str, ast.Rule] = {}
        default_seen: ast.Rule | None = None
        for stmt in module.statements:
            if not isinstance(stmt, ast.Rule):
                continue
            pace()
            if default_seen is not None:
                self.error(
                    "syntax-error",
                    stmt.span,
                    "`default` must be the last rule; this rule comes after it",
                    related=[Related(default_seen.span, "the `default` rule")],
                )
            if stmt.is_default:
                default_seen = stmt
            name = stmt.label if stmt.label else f"rule@{stmt.span.line}"
            if stmt.label in KEYWORDS and not stmt.is_default:
                self.error(
                    "syntax-error", stmt.span, f"`{stmt.label}` is a keyword and cannot be a label"
                )
            if stmt.label and stmt.label in labels and not stmt.is_default:
                self.error(
                    "duplicate-definition",
                    stmt.span,
                    f"label `{stmt.label}` is used twice",
                    related=[Related(labels[stmt.label].span, "first used here")],
                )
            elif stmt.label:
                labels[stmt.label] = stmt
            cond = ir.TRUE if stmt.cond is None else checker.check(stmt.cond)
            target = self.target(stmt.target)
            written = [self.target(r) for r in (stmt.fallback or ())]
            fallback = [t for t in written if t is not None]
            if cond is None or target is None or len(fallback) < len(written):
                continue
            rule_only = check_all(stmt.only, self.cat.facts, self, self.resolver.quality_fact)
            if rule_only is None or policy_wide is None:
                continue
            candidates: list[str] = []
            spec = []
            value_order = []
            for t in [target, *fallback]:
                pool = self.cat.pools[t.written] if t.kind == "pool" else None
                added = []
                for m in t.models:
                    c = models[m].candidate
                    if c not in candidates:
                        candidates.append(c)
                        added.append(c)
                        applying = (*policy_wide, *rule_only, *(pool.constraints if pool else ()))
                        scores = quality.of(m) if quality is not None else None
                        attributes = (*models[m].attributes, scores)
                        spec.append((c, attributes, tuple(x.data for x in applying)))
                if pool is not None and pool.trade is not None and len(added) > 1:
                    value_order.append((pool.trade, tuple(added)))
            out.append(
                ir.Rule(
                    len(out),
                    name,
                    stmt.span.line,
                    cond,
                    target,
                    tuple(fallback),
                    tuple(candidates),
                    stmt.is_default,
                    stmt.span,
                    allows.codes(stmt.span),
                    tuple(spec) if value_order or any(cs for _, _, cs in spec) else (),
                    tuple(value_order),
                )
            )
        return tuple(out)

    def quality(self, module: ast.Module) -> ir.Quality | None:
        """The `quality by FACT { … }` declaration, checked (once): one per policy, an enum
        fact, known models (by name or provider/model), members of the fact, scores in [0, 1]."""
        if module.file not in self._quality:
            self._quality[module.file] = self._check_quality(module)
        return self._quality[module.file]

    def _check_quality(self, module: ast.Module) -> ir.Quality | None:
        decls = [s for s in module.statements if isinstance(s, ast.QualityDecl)]
        if not decls:
            return None
        for extra in decls[1:]:
            self.error(
                "duplicate-definition",
                extra.span,
                "a policy has one `quality by` declaration",
                related=[Related(decls[0].span, "the first one")],
            )
        d = decls[0]
        fact = self.cat.facts.get(d.fact)
        if fact is None:
            self.error("unknown-name", d.span, unknown("fact", d.fact, self.cat.facts))
            return None
        if fact.kind != "enum":
            self.error(
                "type-mismatch",
                d.span,
                f"quality scores are keyed by an enum fact's values; `{d.fact}` is {fact.kind}",
            )
            return None
        scores: dict[str, dict[str, float]] = {}
        for ref, entries in d.entries:
            target = self.resolver.resolve_models(
                ref, self.cat.providers, self.cat.models, {}, allow_pool=False
            )
            if target is None:
                continue
            model = target.models[0]
            if model in scores:
                self.error("duplicate-definition", ref.span, f"`{ref.text}` is scored twice")
                continue
            row: dict[str, float] = {}
            for key, value in entries:
                if key not in fact.members:
                    self.error(
                        "type-mismatch",
                        value.span,
                        f"`{key}` is not a member of enum fact `{fact.name}` "
                        f"(members: {', '.join(fact.members)}){did_you_mean(key, fact.members)}",
                    )
                elif not isinstance(value.value, (int, float)) or not 0 <= value.value <= 1:
                    self.error("invalid-value", value.span, "a quality score is between 0 and 1")
                else:
                    row[key] = float(value.value)
            scores[model] = row
        explore = ir.EXPLORE
        prior = self._positive(
            d.prior, None, "a prior's weight is how many feedbacks the declared score counts for"
        )
        half_life = self._positive(
            d.half_life,
            ir.HALF_LIFE,
            "a half-life is how many newer ratings halve a rating's weight",
        )
        days = self._positive(
            d.half_life_days,
            ir.HALF_LIFE_DAYS,
            "a half-life in days is how long until a rating's weight halves",
        )
        if d.explore is not None:
            try:
                share: float | None = float_of(d.explore)
            except LiteralError:
                share = None
            if share is None or not 0 <= share <= 100:
                self.error(
                    "invalid-value",
                    d.explore.span,
                    "`explore` takes a share of a rule's requests from 0% to 100%, "
                    f"not {d.explore.text}%",
                )
            else:
                explore = share / 100
        return ir.Quality(fact.name, scores, d.span, prior, half_life, explore, days)

    def _positive(self, lit: ast.Literal | None, default, what: str):
        """The literal as a positive number, or the default when it is absent or wrong (an
        invalid-value error says why)."""
        if lit is None:
            return default
        try:
            return positive_float(lit, what)
        except LiteralError as exc:
            self.error("invalid-value", lit.span, str(exc))
            return default

    def policy_constraints(self, module: ast.Module) -> tuple[ir.Constraint, ...] | None:
        """The policy-wide `only …` statements' constraints (None when one is wrong)."""
        written = tuple(
            c for s in module.statements if isinstance(s, ast.Only) for c in s.constraints
        )
        return check_all(written, self.cat.facts, self, self.resolver.quality_fact)

    def expects(self, module: ast.Module) -> tuple[ir.Expect, ...]:
        facts = self.cat.facts
        out = []
        for stmt in module.statements:
            if not isinstance(stmt, ast.Expect):
                continue
            values, ok = {}, True
            names = stmt.name_spans or tuple(lit.span for _, lit in stmt.facts)
            for (key, lit), name_span in zip(stmt.facts, names):
                fact = facts.get(key)
                span = lit.span
                if fact is None:
                    self.error("unknown-name", name_span, unknown("fact", key, facts))
                    ok = False
                    continue
                try:
                    values[key] = fact_value(fact, lit)
                except LiteralError as exc:
                    self.error("type-mismatch", span, str(exc))
                    ok = False
            target = None
            if stmt.target is not None:
                if self.target(stmt.target) is None:
                    ok = False
                target = stmt.target.text
            if ok:
                out.append(ir.Expect(values, target, stmt.span))
        return tuple(out)

    def classifiers(self, statements: Iterable[ast.Statement]) -> tuple[ir.Classifier, ...]:
        facts = self.cat.facts
        out = []
        seen: dict[str, ast.Span] = {}
        for stmt in statements:
            if not isinstance(stmt, ast.ClassifyDecl):
                continue
            fact = facts.get(stmt.fact)
            if fact is None:
                self.error("unknown-name", stmt.span, unknown("fact", stmt.fact, facts))
                continue
            if fact.kind not in ("enum", "string"):
                self.error(
                    "type-mismatch",
                    stmt.span,
                    f"only enum and string facts can be classified; `{fact.name}` is {fact.kind}",
                )
                continue
            if stmt.fact in seen:
                self.error(
                    "duplicate-definition",
                    stmt.span,
                    f"fact `{stmt.fact}` has two classifiers",
                    related=[Related(seen[stmt.fact], "first classifier")],
                )
                continue
            seen[stmt.fact] = stmt.span
            if stmt.source not in SOURCES:
                self.error(
                    "invalid-value",
                    stmt.span,
                    f"unknown source `{stmt.source}` (sources: {', '.join(SOURCES)})",
                )
                continue
            clauses, otherwise = [], None
            for c in stmt.clauses:
                if c.kind == "model":
                    if self._model_clause(fact, c):
                        clauses.append(ir.ClassClause("", "model", c.patterns, c.threshold, c.span))
                    continue
                if fact.kind == "enum" and c.label not in fact.members:
                    self.error(
                        "type-mismatch",
                        c.span,
                        f"`{c.label}` is not a member of enum fact `{fact.name}` (members: "
                        f"{', '.join(fact.members)})",
                    )
                    continue
                if c.kind == "otherwise":
                    if otherwise is not None:
                        self.error(
                            "duplicate-definition", c.span, "a classifier has one `otherwise`"
                        )
                    otherwise = c.label
                    continue
                if c.kind == REGEX.name and not compile_pattern(c.patterns[0], c.span, self.diags):
                    continue
                if c.kind == "keywords" and not all(k.strip() for k in c.patterns):
                    self.error(
                        "invalid-value",
                        c.span,
                        "an empty keyword would match every text; remove it",
                    )
                    continue
                if c.kind == "like" and not self._threshold(c):
                    continue
                clauses.append(ir.ClassClause(c.label, c.kind, c.patterns, c.threshold, c.span))
            out.append(ir.Classifier(fact.name, stmt.source, tuple(clauses), otherwise, stmt.span))
        return tuple(out)

    def _threshold(self, c: ast.ClassClause) -> bool:
        """A `like` or `model` clause's `above T` is between 0 and 1 (else an error)."""
        if c.threshold is not None and 0 <= c.threshold <= 1:
            return True
        self.error("invalid-value", c.span, f"a `{c.kind}` threshold is between 0 and 1")
        return False

    def _model_clause(self, fact: ir.Fact, c: ast.ClassClause) -> bool:
        """A `model "NAME" above T` clause names a shipped model whose every label the fact can
        hold, with a threshold between 0 and 1."""
        name = c.patterns[0]
        if name not in textmodel.MODELS:
            self.error(
                "invalid-value",
                c.span,
                f"unknown model `{name}` (shipped models: {', '.join(textmodel.MODELS)})",
            )
            return False
        if not self._threshold(c):
            return False
        labels = textmodel.shipped_labels(name)
        missing = [lab for lab in labels if fact.kind == "enum" and lab not in fact.members]
        if missing:
            self.error(
                "type-mismatch",
                c.span,
                f"model `{name}` answers {', '.join(labels)}; enum fact `{fact.name}` cannot hold "
                f"{', '.join(missing)}",
            )
            return False
        return True


class AllowComments:
    """Which `# policylang: allow CODE` comments govern a rule: those on any line of the rule,
    and the run of own-line comments directly above it (no blank line between). The parsed
    comments are read, never raw lines, so a string holding `# policylang: allow` is no comment;
    `fmt` keeps every comment inside this region (tests/test_printer.py's law)."""

    def __init__(self, module: ast.Module, lines: list[str]):
        self.by_line: dict[int, list[str]] = {}
        self.own_line: set[int] = set()  # lines holding nothing but a comment
        for c in module.comments:
            self.by_line.setdefault(c.span.line, []).append(c.text)
            before = (
                lines[c.span.line - 1][: c.span.column - 1] if c.span.line <= len(lines) else ""
            )
            if not before.strip():
                self.own_line.add(c.span.line)

    def codes(self, span: ast.Span) -> frozenset:
        texts = [t for n in range(span.line, span.end_line + 1) for t in self.by_line.get(n, ())]
        n = span.line - 1
        while n in self.own_line:
            texts.extend(self.by_line[n])
            n -= 1
        codes: set[str] = set()
        for text in texts:
            m = _ALLOW.search(text)
            if m:
                codes.update(c for c in m.group(1).replace(",", " ").split() if c)
        return frozenset(codes)
