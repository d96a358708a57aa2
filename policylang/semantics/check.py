"""From parsed modules to the typed PolicyIR: names, catalog, targets, rules, types."""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from ..diagnostics import Diagnostic, Related
from ..syntax import ast
from . import ir
from .conditions import ConditionChecker, LiteralError, fact_value
from .loader import Loaded, load_source, read_source

MAX_ERRORS = 50
ADAPTERS = ("openai", "anthropic", "gemini", "echo")
PROVIDER_FIELDS = ("adapter", "base_url", "api_key", "default", "timeout")
MODEL_FIELDS = ("provider", "id", "input", "output", "context")
SOURCES = ("prompt", "system", "last_message")
_ALLOW = re.compile(r"#\s*policylang:\s*allow\s+([\w\-, ]+)")


class _Builder:
    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.diags: list[Diagnostic] = []
        scope = loaded.scopes[loaded.main.file]
        self.decls = scope.decls

    def error(self, code, span, message, related=(), **kw):
        self.diags.append(Diagnostic(code, "error", span, message, related=tuple(related), **kw))

    def warn(self, code, span, message, severity="warning", **kw):
        self.diags.append(Diagnostic(code, severity, span, message, **kw))

    # ---- facts ---------------------------------------------------------------
    def facts(self) -> dict[str, ir.Fact]:
        out = {}
        for name, d in self.decls["fact"].items():
            members = d.type.members
            if d.type.kind == "enum":
                dup = {m for m in members if members.count(m) > 1}
                if dup:
                    self.error("duplicate-definition", d.name_span, f"enum `{name}` lists {', '.join(sorted(dup))} twice")
                if not members:
                    self.error("type-mismatch", d.name_span, f"enum `{name}` has no members")
            fact = ir.Fact(name, d.type.kind, tuple(dict.fromkeys(members)), ir.NO_DEFAULT, d.span)
            if d.default is not None:
                try:
                    fact = ir.Fact(name, fact.kind, fact.members, fact_value(fact, d.default), d.span)
                except LiteralError as exc:
                    self.error("type-mismatch", d.default.span, str(exc))
            out[name] = fact
        return out

    # ---- catalog -------------------------------------------------------------
    def _fields(self, decl, known) -> dict[str, ast.Field]:
        out = {}
        for f in decl.fields:
            if f.key not in known:
                hint = difflib.get_close_matches(f.key, known, n=1)
                extra = f"; did you mean `{hint[0]}`?" if hint else f" (fields: {', '.join(known)})"
                self.error("invalid-value", f.span, f"unknown field `{f.key}`{extra}")
            elif f.key in out:
                self.error("duplicate-definition", f.span, f"field `{f.key}` is set twice",
                           related=[Related(out[f.key].span, "first set here")])
            else:
                out[f.key] = f
        return out

    def _string(self, f: ast.Field | None, what: str):
        if f is None:
            return None
        if isinstance(f.value, ast.Literal) and f.value.kind == "string":
            return f.value.value
        self.error("invalid-value", f.value.span, f"`{what}` takes a quoted string")
        return None

    def _number(self, f: ast.Field | None, what: str, integer=False):
        if f is None:
            return None
        v = f.value
        if isinstance(v, ast.Literal) and v.kind == "number" and v.value >= 0 and (not integer or type(v.value) is int):
            return v.value
        kind = "a whole number of tokens" if integer else "a non-negative number"
        self.error("invalid-value", v.span, f"`{what}` takes {kind}")
        return None

    def _word(self, f: ast.Field | None, what: str):
        if f is None:
            return None
        v = f.value
        if isinstance(v, ast.Ref) and v.provider is None:
            return v.name
        if isinstance(v, ast.Literal) and v.kind in ("word", "string"):
            return str(v.value)
        self.error("invalid-value", v.span, f"`{what}` takes a name")
        return None

    def providers(self) -> dict[str, ir.Provider]:
        out = {}
        for name, d in self.decls["provider"].items():
            fields = self._fields(d, PROVIDER_FIELDS)
            adapter = self._word(fields.get("adapter"), "adapter")
            if "adapter" not in fields:
                self.error("invalid-value", d.name_span, f"provider `{name}` needs `adapter = {'|'.join(ADAPTERS)}`")
            elif adapter is not None and adapter not in ADAPTERS:
                self.error("invalid-value", fields["adapter"].value.span,
                           f"unknown adapter `{adapter}` (adapters: {', '.join(ADAPTERS)})")
            base_url = self._string(fields.get("base_url"), "base_url")
            if base_url is not None and not re.match(r"https?://", base_url):
                self.error("invalid-value", fields["base_url"].value.span, "`base_url` must start with http:// or https://")
            key_env = None
            key = fields.get("api_key")
            if key is not None:
                v = key.value
                if isinstance(v, ast.Call) and v.func == "env":
                    key_env = v.arg.value
                    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
                        self.error("invalid-value", v.arg.span, "env() takes an environment variable name")
                elif isinstance(v, ast.Literal) and v.kind == "string":
                    self.error("literal-secret", v.span,
                               f"provider `{name}` has its API key written in the policy; "
                               "secrets come only from the environment: api_key = env(\"NAME\")", redact=True)
                else:
                    self.error("invalid-value", v.span, "`api_key` takes env(\"NAME\")")
            for f in fields.values():
                if isinstance(f.value, ast.Call) and f.key != "api_key":
                    self.error("invalid-value", f.value.span, f"`{f.value.func}(…)` is only allowed for `api_key`")
                elif isinstance(f.value, ast.Call) and f.value.func != "env":
                    self.error("unknown-name", f.value.span, f"unknown function `{f.value.func}`; only env(\"NAME\") exists")
            timeout = self._number(fields.get("timeout"), "timeout")
            default = self._word(fields.get("default"), "default")
            out[name] = ir.Provider(name, adapter or "openai", base_url, key_env, default, timeout, d.span)
        return out

    def models(self, providers) -> dict[str, ir.Model]:
        out = {}
        for name, d in self.decls["model"].items():
            fields = self._fields(d, MODEL_FIELDS)
            prov = self._word(fields.get("provider"), "provider")
            if "provider" not in fields:
                self.error("invalid-value", d.name_span, f"model `{name}` needs `provider = NAME`")
            elif prov is not None and prov not in providers:
                self.error("unknown-name", fields["provider"].value.span, _unknown("provider", prov, providers))
            model_id = self._string(fields.get("id"), "id") or name
            out[name] = ir.Model(
                name, prov or "", model_id,
                _float(self._number(fields.get("input"), "input")),
                _float(self._number(fields.get("output"), "output")),
                self._number(fields.get("context"), "context", integer=True),
                d.span,
            )
        for pname, p in providers.items():
            decl = self.decls["provider"][pname]
            if p.default_model is None:
                continue
            m = out.get(p.default_model)
            span = next(f.value.span for f in decl.fields if f.key == "default")
            if m is None:
                self.error("unknown-name", span, _unknown("model", p.default_model, out))
            elif m.provider != pname:
                self.error("invalid-value", span, f"model `{m.name}` belongs to provider `{m.provider}`, not `{pname}`")
        return out

    def resolve_models(self, ref: ast.Ref, providers, models, pools, allow_pool=True) -> ir.Target | None:
        """A written target → the models it stands for, in candidate order."""
        if ref.provider is not None:
            if ref.provider not in providers:
                self.error("unknown-name", ref.span, _unknown("provider", ref.provider, providers))
                return None
            m = models.get(ref.name)
            if m is None or m.provider != ref.provider:
                ours = [n for n, x in models.items() if x.provider == ref.provider]
                self.error("unknown-name", ref.span, _unknown(f"model of provider `{ref.provider}`", ref.name, ours))
                return None
            return ir.Target(ref.text, "model", (m.name,))
        if allow_pool and ref.name in pools:
            return ir.Target(ref.name, "pool", pools[ref.name].members)
        if ref.name in models:
            return ir.Target(ref.name, "model", (ref.name,))
        if ref.name in providers:
            p = providers[ref.name]
            if p.default_model is None or p.default_model not in models:
                self.error("unknown-name", ref.span, f"provider `{ref.name}` has no `default` model to route to")
                return None
            return ir.Target(ref.name, "provider", (p.default_model,))
        names = list(models) + list(providers) + (list(pools) if allow_pool else [])
        what = "target (pool, model or provider)" if allow_pool else "model or provider"
        self.error("unknown-name", ref.span, _unknown(what, ref.name, names))
        return None

    def pools(self, providers, models) -> dict[str, ir.Pool]:
        out = {}
        for name, d in self.decls["pool"].items():
            members: list[str] = []
            ok = True
            for ref in d.members:
                if ref.provider is None and ref.name in self.decls["pool"] and ref.name not in models:
                    self.error("type-mismatch", ref.span, f"a pool's members are models or providers; `{ref.name}` is a pool")
                    ok = False
                    continue
                t = self.resolve_models(ref, providers, models, {}, allow_pool=False)
                if t is None:
                    ok = False
                    continue
                members.extend(m for m in t.models if m not in members)
            if not d.members:
                self.error("invalid-value", d.name_span, f"pool `{name}` has no members")
            strategy = d.strategy.kind if d.strategy else "order"
            weights: tuple[float, ...] = ()
            if strategy == "weighted" and ok:
                by_model = {}
                for ref, num in d.strategy.weights:
                    t = self.resolve_models(ref, providers, models, {}, allow_pool=False)
                    if t is None:
                        continue
                    if t.models[0] not in members:
                        self.error("unknown-name", ref.span, f"`{ref.text}` is not a member of pool `{name}`")
                    elif num.value <= 0:
                        self.error("invalid-value", num.span, "a weight must be positive")
                    else:
                        by_model[t.models[0]] = float(num.value)
                missing = [m for m in members if m not in by_model]
                if missing:
                    self.error("invalid-value", d.strategy.span,
                               f"pool `{name}` gives no weight to {', '.join(missing)}")
                weights = tuple(by_model.get(m, 1.0) for m in members)
            if strategy == "cost":
                members = _by_cost(members, models)
            out[name] = ir.Pool(name, tuple(members), strategy, weights, d.span)
        return out

    # ---- rules ---------------------------------------------------------------
    def rules(self, module: ast.Module, facts, providers, models, pools) -> tuple[ir.Rule, ...]:
        checker = ConditionChecker(facts, self.diags)
        source_lines = self.loaded.sources.get(module.file, "").split("\n")
        out: list[ir.Rule] = []
        labels: dict[str, ast.Rule] = {}
        default_seen: ast.Rule | None = None
        for stmt in module.statements:
            if not isinstance(stmt, ast.Rule):
                continue
            if default_seen is not None:
                self.error("syntax-error", stmt.span, "`default` must be the last rule; this rule comes after it",
                           related=[Related(default_seen.span, "the `default` rule")])
            if stmt.is_default:
                default_seen = stmt
            name = stmt.label if stmt.label else f"rule@{stmt.span.line}"
            if stmt.label in _KEYWORDS() and not stmt.is_default:
                self.error("syntax-error", stmt.span, f"`{stmt.label}` is a keyword and cannot be a label")
            if stmt.label and stmt.label in labels and not stmt.is_default:
                self.error("duplicate-definition", stmt.span, f"label `{stmt.label}` is used twice",
                           related=[Related(labels[stmt.label].span, "first used here")])
            elif stmt.label:
                labels[stmt.label] = stmt
            cond = ir.TRUE if stmt.cond is None else checker.check(stmt.cond)
            target = self.resolve_models(stmt.target, providers, models, pools)
            fallback = [self.resolve_models(r, providers, models, pools) for r in (stmt.fallback or ())]
            if cond is None or target is None or None in fallback:
                continue
            candidates: list[str] = []
            for t in [target, *fallback]:
                for m in t.models:
                    c = models[m].candidate
                    if c not in candidates:
                        candidates.append(c)
            out.append(ir.Rule(
                len(out), name, stmt.span.line, cond, target, tuple(fallback), tuple(candidates),
                stmt.is_default, stmt.span, _suppressed(source_lines, stmt.span.line),
            ))
        return tuple(out)

    def expects(self, module: ast.Module, facts, providers, models, pools) -> tuple[ir.Expect, ...]:
        out = []
        for stmt in module.statements:
            if not isinstance(stmt, ast.Expect):
                continue
            values, ok = {}, True
            for key, lit in stmt.facts:
                fact = facts.get(key)
                span = lit.span
                if fact is None:
                    self.error("unknown-name", span, _unknown("fact", key, facts))
                    ok = False
                    continue
                try:
                    values[key] = fact_value(fact, lit)
                except LiteralError as exc:
                    self.error("type-mismatch", span, str(exc))
                    ok = False
            target = None
            if stmt.target is not None:
                if self.resolve_models(stmt.target, providers, models, pools) is None:
                    ok = False
                target = stmt.target.text
            if ok:
                out.append(ir.Expect(values, target, stmt.span))
        return tuple(out)

    def classifiers(self, module: ast.Module, facts) -> tuple[ir.Classifier, ...]:
        out = []
        seen = {}
        for stmt in module.statements:
            if not isinstance(stmt, ast.ClassifyDecl):
                continue
            fact = facts.get(stmt.fact)
            if fact is None:
                self.error("unknown-name", stmt.span, _unknown("fact", stmt.fact, facts))
                continue
            if fact.kind not in ("enum", "string"):
                self.error("type-mismatch", stmt.span, f"only enum and string facts can be classified; `{fact.name}` is {fact.kind}")
                continue
            if stmt.fact in seen:
                self.error("duplicate-definition", stmt.span, f"fact `{stmt.fact}` has two classifiers",
                           related=[Related(seen[stmt.fact], "first classifier")])
                continue
            seen[stmt.fact] = stmt.span
            if stmt.source not in SOURCES:
                self.error("invalid-value", stmt.span, f"unknown source `{stmt.source}` (sources: {', '.join(SOURCES)})")
                continue
            clauses, otherwise = [], None
            for c in stmt.clauses:
                if fact.kind == "enum" and c.label not in fact.members:
                    self.error("type-mismatch", c.span, f"`{c.label}` is not a member of enum fact `{fact.name}` (members: {', '.join(fact.members)})")
                    continue
                if c.kind == "otherwise":
                    if otherwise is not None:
                        self.error("duplicate-definition", c.span, "a classifier has one `otherwise`")
                    otherwise = c.label
                    continue
                if c.kind == "matches":
                    try:
                        re.compile(c.patterns[0])
                    except re.error as exc:
                        self.error("invalid-value", c.span, f"invalid regular expression: {exc}")
                        continue
                if c.kind == "like" and not (0 <= c.threshold <= 1):
                    self.error("invalid-value", c.span, "a `like` threshold is between 0 and 1")
                    continue
                clauses.append(ir.ClassClause(c.label, c.kind, c.patterns, c.threshold, c.span))
            out.append(ir.Classifier(fact.name, stmt.source, tuple(clauses), otherwise, stmt.span))
        return tuple(out)


def _KEYWORDS():
    from ..syntax.parser import KEYWORDS

    return KEYWORDS


def _suppressed(lines: list[str], line: int) -> frozenset:
    codes: set[str] = set()
    for n in (line - 1, line - 2):
        if 0 <= n < len(lines):
            text = lines[n]
            if n == line - 2 and not text.lstrip().startswith("#"):
                continue
            m = _ALLOW.search(text)
            if m:
                codes.update(c.strip() for c in m.group(1).replace(",", " ").split() if c.strip())
    return frozenset(codes)


def _float(v):
    return None if v is None else float(v)


def _by_cost(members: list[str], models: dict[str, ir.Model]) -> list[str]:
    """Cheapest first by blended price; ties and unpriced keep written order, unpriced last."""
    def key(item):
        i, name = item
        m = models.get(name)
        price = m.blended_price if m else None
        return (price is None, price if price is not None else 0.0, i)

    return [name for _, name in sorted(enumerate(members), key=key)]


def _unknown(what: str, name: str, known) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    extra = f"; did you mean `{hint[0]}`?" if hint else ""
    return f"unknown {what} `{name}`{extra}"


def build(loaded: Loaded) -> tuple[ir.PolicyIR | None, list[Diagnostic]]:
    """Check a loaded policy; returns the IR (None when there are errors) and all diagnostics."""
    diags = list(loaded.diagnostics)
    if loaded.main is None:
        return None, diags
    b = _Builder(loaded)
    facts = b.facts()
    providers = b.providers()
    models = b.models(providers)
    pools = b.pools(providers, models)
    module = loaded.main
    rules = b.rules(module, facts, providers, models, pools)
    expects = b.expects(module, facts, providers, models, pools)
    classifiers = b.classifiers(module, facts)
    diags.extend(b.diags)
    errors = [d for d in diags if d.severity == "error"]
    if len(errors) > MAX_ERRORS:
        cut = errors[MAX_ERRORS]
        diags = [d for d in diags if d.severity != "error" or errors.index(d) < MAX_ERRORS]
        diags.append(Diagnostic("too-many-errors", "error", cut.span,
                                f"{len(errors) - MAX_ERRORS} more errors not shown (limit {MAX_ERRORS})"))
    if errors:
        return None, diags
    local = frozenset(
        (kind, s.name) for s in module.statements
        for kind in [{ast.FactDecl: "fact", ast.ProviderDecl: "provider", ast.ModelDecl: "model", ast.PoolDecl: "pool"}.get(type(s))]
        if kind
    )
    policy = ir.PolicyIR(module.file, facts, providers, models, pools, rules, expects, classifiers,
                         dict(loaded.sources), local)
    return policy, diags


def check_source(text: str, name: str = "<string>", base_dir: Path | None = None):
    return build(load_source(text, name, base_dir))


def check_file(path: str | Path):
    path = Path(os.path.normpath(str(path)))
    text = read_source(path)
    return build(load_source(text, str(path), path.parent))
