"""The catalog: fact, provider, model and pool declarations checked into IR, and written
targets (a pool, a model, provider/model, a provider's default) resolved to their models."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..adapters import NAMES as ADAPTERS
from ..diagnostics import Related
from ..prelude import did_you_mean
from ..syntax import ast
from . import ir
from .conditions import LiteralError, fact_value, positive_float
from .constraints import check_all
from .locations import REGION_OF, region_of
from .report import Reporter, unknown

_A_YEAR = 365 * 86400  # seconds: a phase timeout longer than this is a typo
_PHASES = ("connect", "first_byte", "idle")  # a provider's `<phase>_timeout` fields, in order
PROVIDER_FIELDS = (
    "adapter",
    "base_url",
    "api_key",
    "default",
    "timeout",
    "connect_timeout",
    "first_byte_timeout",
    "idle_timeout",
    "regions",
    "location",
    "api_version",
    "project",
)
MODEL_FIELDS = ("provider", "id", "input", "output", "context", "regions")


@dataclass
class Catalog:
    facts: dict[str, ir.Fact]
    providers: dict[str, ir.Provider]
    models: dict[str, ir.Model]
    pools: dict[str, ir.Pool]


class CatalogChecker(Reporter):
    def __init__(self, decls: dict[str, dict], diags, quality_fact: str | None = None):
        super().__init__(diags)
        self.decls = decls
        self.quality_fact = quality_fact  # the fact `quality by FACT` keys scores by

    def catalog(self) -> Catalog:
        facts = self.facts()
        providers = self.providers()
        models = self.models(providers)
        return Catalog(facts, providers, models, self.pools(providers, models, facts))

    # ---- facts ---------------------------------------------------------------
    def facts(self) -> dict[str, ir.Fact]:
        out = {}
        for name, d in self.decls["fact"].items():
            members = d.type.members
            if d.type.kind == "enum":
                dup = {m for m in members if members.count(m) > 1}
                if dup:
                    self.error(
                        "duplicate-definition",
                        d.name_span,
                        f"enum `{name}` lists {', '.join(sorted(dup))} twice",
                    )
                if not members:
                    self.error("type-mismatch", d.name_span, f"enum `{name}` has no members")
            folding = d.ignoring_case
            if folding and d.type.kind not in ("string", "enum"):
                self.error(
                    "type-mismatch",
                    d.name_span,
                    f"`ignoring case` applies to string and enum facts; `{name}` is {d.type.kind}",
                )
            upper = [m for m in members if m != m.lower()]
            if folding and upper:
                self.error(
                    "invalid-value",
                    d.name_span,
                    f"enum `{name}` ignores case, so its members are written in lowercase: "
                    f"{', '.join(upper)}",
                )
            fact = ir.Fact(
                name, d.type.kind, tuple(dict.fromkeys(members)), ir.NO_DEFAULT, d.span, folding
            )
            if d.default is not None:
                try:
                    default = fact_value(fact, d.default)
                    if folding and isinstance(default, str):
                        default = default.lower()
                    fact = ir.Fact(name, fact.kind, fact.members, default, d.span, folding)
                except LiteralError as exc:
                    self.error("type-mismatch", d.default.span, str(exc))
            out[name] = fact
        return out

    # ---- catalog -------------------------------------------------------------
    def _fields(self, decl, known) -> dict[str, ast.Field]:
        out: dict[str, ast.Field] = {}
        for f in decl.fields:
            if f.key not in known:
                extra = did_you_mean(f.key, known) or f" (fields: {', '.join(known)})"
                self.error("invalid-value", f.span, f"unknown field `{f.key}`{extra}")
            elif f.key in out:
                self.error(
                    "duplicate-definition",
                    f.span,
                    f"field `{f.key}` is set twice",
                    related=[Related(out[f.key].span, "first set here")],
                )
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
        if (
            isinstance(v, ast.Literal)
            and v.kind == "number"
            and isinstance(v.value, (int, float))
            and v.value >= 0
            and (not integer or type(v.value) is int)
        ):
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
                self.error(
                    "invalid-value",
                    d.name_span,
                    f"provider `{name}` needs `adapter = {'|'.join(ADAPTERS)}`",
                )
            elif adapter is not None and adapter not in ADAPTERS:
                self.error(
                    "invalid-value",
                    fields["adapter"].value.span,
                    f"unknown adapter `{adapter}` (adapters: {', '.join(ADAPTERS)})",
                )
            base_url = self._string(fields.get("base_url"), "base_url")
            if base_url is not None and not re.match(r"https?://", base_url):
                self.error(
                    "invalid-value",
                    fields["base_url"].value.span,
                    "`base_url` must start with http:// or https://",
                )
            key_env = self._api_key(name, fields.get("api_key"))
            self._only_env_calls(fields)
            timeout = self._number(fields.get("timeout"), "timeout")
            phases = [self._seconds(fields.get(f"{p}_timeout"), p) for p in _PHASES]
            default = self._word(fields.get("default"), "default")
            if adapter == "azure" and base_url is None and "base_url" not in fields:
                self.error(
                    "invalid-value",
                    d.name_span,
                    f"provider `{name}` uses adapter = azure: set `base_url` to the resource "
                    'endpoint, e.g. base_url = "https://RES.openai.azure.com"',
                )
            if adapter == "bedrock":
                self._bedrock(name, d, fields)
            if adapter == "vertex":
                self._vertex(name, d, fields)
            regions = self._regions(fields.get("regions"))
            location = self._location(
                fields.get("location"), regions is not None, adapter == "vertex"
            )
            hosted = region_of(location) if location is not None else None
            if regions is None and hosted is not None:
                regions = frozenset({hosted})
            connect, first_byte, idle = phases
            out[name] = ir.Provider(
                name,
                adapter or "openai",
                base_url,
                key_env,
                default,
                timeout,
                d.span,
                regions,
                connect_timeout=connect,
                first_byte_timeout=first_byte,
                idle_timeout=idle,
                location=location,
                api_version=self._api_version(fields.get("api_version"), adapter),
                project=self._project(fields.get("project"), adapter),
            )
        return out

    def _bedrock(self, name: str, d, fields: dict[str, ast.Field]) -> None:
        """adapter = bedrock needs a `location` and takes no `api_key` (requests are signed with
        the AWS default chain's credentials)."""
        if "api_key" in fields:
            self.error(
                "invalid-value",
                fields["api_key"].span,
                f"provider `{name}` uses adapter = bedrock, which takes no `api_key`: it signs "
                "with the AWS default credential chain (AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, the instance's role)",
            )
        if "location" not in fields:
            self.error(
                "invalid-value",
                d.name_span,
                f"provider `{name}` uses adapter = bedrock: set `location` to the AWS region "
                'it signs for, e.g. location = "eu-central-1"',
            )

    def _vertex(self, name: str, d, fields: dict[str, ast.Field]) -> None:
        """adapter = vertex needs a `location` and takes no `api_key` (it uses Application
        Default Credentials)."""
        if "api_key" in fields:
            self.error(
                "invalid-value",
                fields["api_key"].span,
                f"provider `{name}` uses adapter = vertex, which takes no `api_key`: it "
                "authenticates with Application Default Credentials "
                "(GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login)",
            )
        if "location" not in fields:
            self.error(
                "invalid-value",
                d.name_span,
                f"provider `{name}` uses adapter = vertex: set `location` to the Vertex "
                'location, e.g. location = "europe-west4" (or "global")',
            )

    def _api_key(self, provider: str, key: ast.Field | None) -> str | None:
        """`api_key = env("NAME")`: the variable's name; a literal key is a literal-secret error
        (its text never shown)."""
        if key is None:
            return None
        v = key.value
        if isinstance(v, ast.Call) and v.func == "env":
            key_env = str(v.arg.value)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
                self.error("invalid-value", v.arg.span, "env() takes an environment variable name")
            return key_env
        if isinstance(v, ast.Literal) and v.kind == "string":
            self.error(
                "literal-secret",
                v.span,
                f"provider `{provider}` has its API key written in the policy; "
                "secrets come only from the environment: api_key = env(\"NAME\")",
                redact=True,
            )
        else:
            self.error("invalid-value", v.span, "`api_key` takes env(\"NAME\")")
        return None

    def _only_env_calls(self, fields: dict[str, ast.Field]) -> None:
        """A call is env("NAME"), and only as `api_key`."""
        for f in fields.values():
            if isinstance(f.value, ast.Call) and f.key != "api_key":
                self.error(
                    "invalid-value",
                    f.value.span,
                    f"`{f.value.func}(…)` is only allowed for `api_key`",
                )
            elif isinstance(f.value, ast.Call) and f.value.func != "env":
                self.error(
                    "unknown-name",
                    f.value.span,
                    f"unknown function `{f.value.func}`; only env(\"NAME\") exists",
                )

    def _location(self, f: ast.Field | None, has_regions: bool, vertex: bool = False) -> str | None:
        """`location = "swedencentral"`: the cloud region of the endpoint, lowercased. Without
        `regions` it must be one semantics.locations lists, since the regions come from it;
        Vertex's `global` is no region at all (no `regions` unless declared)."""
        location = self._word(f, "location")
        if f is None or location is None:
            return None
        location = location.lower()
        if vertex and location == "global":
            return location
        if not has_regions and region_of(location) is None:
            hint = did_you_mean(location, REGION_OF) or ""
            self.error(
                "invalid-value",
                f.value.span,
                f"location `{location}` is not in the table of cloud locations "
                "(docs/language.md §5): write where it is hosted beside it, "
                f"e.g. regions = [eu]{hint}",
            )
        return location

    def _api_version(self, f: ast.Field | None, adapter: str | None) -> str | None:
        """`api_version = "2024-10-21"`: Azure's `api-version` query, a date with an optional
        `-preview`."""
        version = self._string(f, "api_version")
        if f is None or version is None:
            return None
        if adapter != "azure":
            self.error(
                "invalid-value",
                f.span,
                f"`api_version` applies to adapter = azure, not {adapter or 'openai'}",
            )
        elif not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version):
            self.error(
                "invalid-value",
                f.value.span,
                "`api_version` takes Azure's date form, e.g. \"2024-10-21\" or "
                "\"2025-04-01-preview\"",
            )
        return version

    def _project(self, f: ast.Field | None, adapter: str | None) -> str | None:
        """`project = "my-project"`: the Google Cloud project of adapter = vertex (its id: 6-30
        lowercase letters, digits and hyphens, or a domain-scoped `example.com:name`)."""
        project = self._string(f, "project")
        if f is None or project is None:
            return None
        if adapter != "vertex":
            self.error(
                "invalid-value", f.span, f"`project` applies to adapter = vertex, not {adapter}"
            )
        elif not re.fullmatch(r"([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]", project):
            self.error(
                "invalid-value",
                f.value.span,
                "`project` takes a Google Cloud project id (6-30 lowercase letters, digits and "
                'hyphens), e.g. project = "my-project"',
            )
        return project

    def _seconds(self, f: ast.Field | None, phase: str) -> float | None:
        """`connect_timeout = 5`: a positive, finite number of seconds."""
        if f is None:
            return None
        v = f.value
        if (
            isinstance(v, ast.Literal)
            and v.kind == "number"
            and isinstance(v.value, (int, float))
            and 0 < v.value < _A_YEAR  # a float too: a 400-digit int has none
        ):
            return float(v.value)
        self.error(
            "invalid-value",
            v.span,
            f"`{phase}_timeout` takes a positive number of seconds (under a year)",
        )
        return None

    def _regions(self, f: ast.Field | None) -> frozenset[str] | None:
        """`regions = [eu, "us-east"]`: region names, lowercased (they compare ignoring case)."""
        if f is None:
            return None
        v = f.value
        if isinstance(v, ast.ListLiteral) and all(
            isinstance(x, ast.Literal) and x.kind in ("word", "string") for x in v.items
        ):
            return frozenset(str(x.value).lower() for x in v.items)
        self.error("invalid-value", v.span, "`regions` takes a list of region names, e.g. [eu, us]")
        return None

    def models(self, providers) -> dict[str, ir.Model]:
        out = {}
        for name, d in self.decls["model"].items():
            fields = self._fields(d, MODEL_FIELDS)
            prov = self._word(fields.get("provider"), "provider")
            if "provider" not in fields:
                self.error("invalid-value", d.name_span, f"model `{name}` needs `provider = NAME`")
            elif prov is not None and prov not in providers:
                self.error(
                    "unknown-name",
                    fields["provider"].value.span,
                    unknown("provider", prov, providers),
                )
            model_id = self._string(fields.get("id"), "id") or name
            regions = self._regions(fields.get("regions"))
            if regions is None and prov in providers:
                regions = providers[prov].regions  # a model is hosted where its provider is
            out[name] = ir.Model(
                name,
                prov or "",
                model_id,
                _float(self._number(fields.get("input"), "input")),
                _float(self._number(fields.get("output"), "output")),
                self._number(fields.get("context"), "context", integer=True),
                d.span,
                regions,
            )
        for pname, p in providers.items():
            decl = self.decls["provider"][pname]
            if p.default_model is None:
                continue
            m = out.get(p.default_model)
            span = next(f.value.span for f in decl.fields if f.key == "default")
            if m is None:
                self.error("unknown-name", span, unknown("model", p.default_model, out))
            elif m.provider != pname:
                self.error(
                    "invalid-value",
                    span,
                    f"model `{m.name}` belongs to provider `{m.provider}`, not `{pname}`",
                )
        return out

    def resolve_models(
        self, ref: ast.Ref, providers, models, pools, allow_pool=True
    ) -> ir.Target | None:
        """A written target → the models it stands for, in candidate order."""
        if ref.provider is not None:
            if ref.provider not in providers:
                self.error("unknown-name", ref.span, unknown("provider", ref.provider, providers))
                return None
            m = models.get(ref.name)
            if m is None or m.provider != ref.provider:
                ours = [n for n, x in models.items() if x.provider == ref.provider]
                self.error(
                    "unknown-name",
                    ref.span,
                    unknown(f"model of provider `{ref.provider}`", ref.name, ours),
                )
                return None
            return ir.Target(ref.text, "model", (m.name,))
        if allow_pool and ref.name in pools:
            return ir.Target(ref.name, "pool", pools[ref.name].members)
        if ref.name in models:
            return ir.Target(ref.name, "model", (ref.name,))
        if ref.name in providers:
            p = providers[ref.name]
            if p.default_model is None or p.default_model not in models:
                self.error(
                    "unknown-name",
                    ref.span,
                    f"provider `{ref.name}` has no `default` model to route to",
                )
                return None
            return ir.Target(ref.name, "provider", (p.default_model,))
        names = list(models) + list(providers) + (list(pools) if allow_pool else [])
        what = "target (pool, model or provider)" if allow_pool else "model or provider"
        self.error("unknown-name", ref.span, unknown(what, ref.name, names))
        return None

    def pools(self, providers, models, facts) -> dict[str, ir.Pool]:
        out = {}
        for name, d in self.decls["pool"].items():
            members: list[str] = []
            ok = True
            for ref in d.members:
                if (
                    ref.provider is None
                    and ref.name in self.decls["pool"]
                    and ref.name not in models
                ):
                    self.error(
                        "type-mismatch",
                        ref.span,
                        f"a pool's members are models or providers; `{ref.name}` is a pool",
                    )
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
                        self.error(
                            "unknown-name",
                            ref.span,
                            f"`{ref.text}` is not a member of pool `{name}`",
                        )
                    elif num.value <= 0:
                        self.error("invalid-value", num.span, "a weight must be positive")
                    else:
                        by_model[t.models[0]] = float(num.value)
                missing = [m for m in members if m not in by_model]
                if missing:
                    self.error(
                        "invalid-value",
                        d.strategy.span,
                        f"pool `{name}` gives no weight to {', '.join(missing)}",
                    )
                weights = tuple(by_model.get(m, 1.0) for m in members)
            trade = None
            if strategy == "value":
                trade = self._trade(d.strategy)
            if strategy in ("cost", "value"):  # `by value` without scores orders by cost
                members = _by_cost(members, models)
            only = check_all(d.only, facts, self, self.quality_fact) or ()
            out[name] = ir.Pool(name, tuple(members), strategy, weights, d.span, only, trade)
        return out

    def _trade(self, strategy: ast.Strategy) -> float | None:
        """`by value T per point`: T positive, and scores to weigh (a `quality by`)."""
        assert strategy.trade is not None
        if self.quality_fact is None:
            self.error(
                "unknown-name",
                strategy.span,
                "`by value` weighs price against quality scores: declare "
                "`quality by task { model: {member: score} }`",
            )
            return None
        try:
            return positive_float(
                strategy.trade,
                "the trade-off is the USD per million tokens one quality point (0.01) is worth",
            )
        except LiteralError as exc:
            self.error("invalid-value", strategy.trade.span, str(exc))
            return None


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
