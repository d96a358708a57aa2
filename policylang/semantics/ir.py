"""The typed IR of a checked policy: what the interpreter, the analysis, the
compiler and the runtime all read. Immutable; names already resolved."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from ..prelude import MISSING, Decision
from ..syntax.ast import NOWHERE, Span

NO_DEFAULT = MISSING  # a fact's default when it has none


@dataclass(frozen=True)
class Fact:
    name: str
    kind: str  # int float string bool enum set
    members: tuple[str, ...] = ()  # enum members, in written order
    default: Any = NO_DEFAULT
    span: Span = field(default=NOWHERE, compare=False)
    ignoring_case: bool = False  # string values are lowercased before they are compared

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    @property
    def spec(self) -> tuple:
        """The (kind, members, default, ignoring case) the run-time validator reads."""
        default = None if self.default is NO_DEFAULT else self.default
        return (self.kind, self.members, default, self.ignoring_case)


@dataclass(frozen=True)
class Provider:
    name: str
    adapter: str
    base_url: str | None = None
    api_key_env: str | None = None
    default_model: str | None = None
    timeout: float | None = None
    span: Span = field(default=NOWHERE, compare=False)
    regions: frozenset[str] | None = None  # where it hosts its models; None: not declared
    # seconds per phase of an upstream call (providers.transport.Timeouts); None: the runtime's
    # default
    connect_timeout: float | None = None
    first_byte_timeout: float | None = None
    idle_timeout: float | None = None
    # the cloud region its endpoint is in (`location = "swedencentral"`); `regions` default
    # from it (semantics.locations)
    location: str | None = None
    api_version: str | None = None  # adapter = azure: the `api-version` query; None: the default
    project: str | None = None  # adapter = vertex: the Google Cloud project


@dataclass(frozen=True)
class Model:
    name: str
    provider: str
    id: str
    input: float | None = None  # USD per million input tokens
    output: float | None = None  # USD per million output tokens
    context: int | None = None  # context window, tokens
    span: Span = field(default=NOWHERE, compare=False)
    regions: frozenset[str] | None = None  # hosting regions (its own, else its provider's)

    @property
    def candidate(self) -> str:
        return f"{self.provider}/{self.name}"

    @property
    def attributes(self) -> tuple:
        """What constraints read (prelude.constrain): regions, input and output price, context."""
        return (self.regions, self.input, self.output, self.context)

    @property
    def blended_price(self) -> float | None:
        """(3 × input + output) / 4, the `by cost` key; None when unpriced."""
        if self.input is None or self.output is None:
            return None
        return (3 * self.input + self.output) / 4


@dataclass(frozen=True)
class Pool:
    name: str
    members: tuple[str, ...]  # model names, in candidate order (sorted for `by cost`)
    strategy: str = "order"  # order cost latency weighted value
    weights: tuple[float, ...] = ()
    span: Span = field(default=NOWHERE, compare=False)
    constraints: tuple[Constraint, ...] = ()  # `only …` on the pool: its members' constraints
    trade: float | None = None  # `by value T per point`: USD per million tokens a point is worth


HALF_LIFE = 1000.0  # ratings of the same model and value (docs/language.md §5)
HALF_LIFE_DAYS = 30.0  # and days: evidence ages while nobody rates it
EXPLORE = 0.02  # of a rule's requests, per value of the key fact


@dataclass(frozen=True)
class Quality:
    """Quality scores in [0, 1] per model (by name), keyed by the values of enum fact `fact`."""

    fact: str
    scores: dict[str, dict[str, float]]
    span: Span = field(default=NOWHERE, compare=False)
    prior: float | None = None  # `learned with prior N`: feedback updates the scores
    half_life: float = HALF_LIFE  # `half-life H`: a rating's weight halves after H newer ones
    explore: float = EXPLORE  # `explore P%`, as a share: of a rule's requests per value
    half_life_days: float = HALF_LIFE_DAYS  # `half-life H or D days`: and after D days

    def of(self, model: str) -> tuple:
        """What `quality` constraints read for a model: (fact, ((member, score), …)); no pairs
        for a model without scores."""
        return (self.fact, tuple(sorted(self.scores.get(model, {}).items())))


@dataclass(frozen=True)
class Constraint:
    """A candidate constraint, checked: `hosted in region` is ("hosted", "in", True, "region");
    `hosted in {eu}` ("hosted", "in", False, frozenset({"eu"})); `cost <= 0.01` ("cost", "<=",
    False, 0.01). text is how the policy writes it (decisions and findings quote it)."""

    attribute: str  # hosted cost context
    op: str
    is_fact: bool  # the operand names a fact (skipped when the request does not carry it)
    operand: Any
    text: str
    span: Span = field(default=NOWHERE, compare=False)

    @property
    def data(self) -> tuple:
        """The plain tuple prelude.constrain reads (and generated code holds)."""
        return (self.attribute, self.op, self.is_fact, self.operand, self.text)


@dataclass(frozen=True)
class Target:
    """A resolved route target: its written name, what it named, its models in order."""

    written: str
    kind: str  # pool model provider
    models: tuple[str, ...]


# ---- conditions ----------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """fact OP value. Values are normalized: enum/string → str, int → int,
    float → float, bool → bool; `in`/`contains any/all` take a tuple."""

    fact: str
    op: str
    value: Any = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Neg:
    item: Cond


TRUE = All(())
Cond = Union[Test, All, AnyOf, Neg]


def tests_of(cond: Cond):
    """Every atomic test in a condition, in written order."""
    if isinstance(cond, Test):
        yield cond
    elif isinstance(cond, (All, AnyOf)):
        for c in cond.items:
            yield from tests_of(c)
    elif isinstance(cond, Neg):
        yield from tests_of(cond.item)


@dataclass(frozen=True)
class Rule:
    index: int
    name: str  # label, `rule@LINE`, or `default`
    line: int
    cond: Cond
    target: Target
    fallback: tuple[Target, ...]
    candidates: tuple[str, ...]  # provider/model, duplicates removed
    is_default: bool = False
    span: Span = field(default=NOWHERE, compare=False)
    # lint codes allowed on this rule (inline `# policylang: allow ...`)
    suppressed: frozenset = frozenset()
    # per candidate, in candidate order: (candidate, its attributes, the data of the constraints
    # that apply to it: policy-wide, the rule's, its pool's); () when no constraint applies
    constraint_spec: tuple = ()
    # `by value` pools among the targets: ((trade, (candidate, …)), …); decide orders each
    # group's kept candidates by value (prelude.constrain)
    value_order: tuple = ()

    @cached_property
    def decision(self) -> Decision:
        """The decision this rule makes when it is the first to match."""
        return Decision(
            self.name,
            self.line,
            self.target.written,
            tuple(t.written for t in self.fallback),
            self.candidates,
        )

    @property
    def route_key(self) -> tuple:
        """What a decision by this rule says, its label aside (see route_of), and the
        constraints that filter its candidates with the attributes they read: a change to
        either can move requests."""
        return (*route_of(self.decision), self.constraint_spec, self.value_order)


def route_of(decision: Decision) -> tuple:
    """What a decision says, its label and line aside: target and fallback by written name, and
    the candidates they stand for (a pool's members can change between versions). Two decisions
    with the same route send a request the same way. (Why a constraint removed a candidate is
    not part of it: the candidates that remain are.)"""
    return tuple(decision)[2:5]


def route_key(rule: Rule | None) -> tuple | None:
    """What a decision by this rule (None: no rule) says, its label aside: equal keys, same
    route."""
    return None if rule is None else rule.route_key


@dataclass(frozen=True)
class Expect:
    facts: dict
    target: str | None  # written target name, None for `no route`
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class ClassClause:
    label: str
    kind: str  # keywords matches like model (a model clause: label "", patterns (model name,))
    patterns: tuple[str, ...]
    threshold: float | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Classifier:
    fact: str
    source: str  # prompt system last_message request
    clauses: tuple[ClassClause, ...]
    otherwise: str | None = None
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class PolicyIR:
    name: str  # the main file
    facts: dict[str, Fact]
    providers: dict[str, Provider]
    models: dict[str, Model]
    pools: dict[str, Pool]
    rules: tuple[Rule, ...]
    expects: tuple[Expect, ...]
    classifiers: tuple[Classifier, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    local_names: frozenset = frozenset()  # (kind, name) declared in the main file
    quality: Quality | None = None  # `quality by FACT { … }`
    # the files each file imports, resolved (keys of `sources`), in the order written
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @cached_property
    def rules_by_name(self) -> dict[str, Rule]:
        """The rules by the name decisions give them (label, `rule@LINE`, `default`)."""
        return {r.name: r for r in self.rules}

    @cached_property
    def models_by_candidate(self) -> dict[str, Model]:
        """The catalog's models by the `provider/model` name decisions give them."""
        return {m.candidate: m for m in self.models.values()}

    @property
    def fact_specs(self) -> dict[str, tuple]:
        return {name: f.spec for name, f in self.facts.items()}

    @cached_property
    def routed_models(self) -> tuple[Model, ...]:
        """The models some rule can route to (target or fallback), by name (computed once: the
        gateway's readiness check and every budget hold read it)."""
        names = {m for r in self.rules for t in (r.target, *r.fallback) for m in t.models}
        return tuple(self.models[n] for n in sorted(names))


def source_hash(policy: PolicyIR) -> str:
    """The sha256 of what the policy is made of: the main file's text, then every file it reads,
    in the order its imports reach them, each with the imports it resolves to. Files are named
    by their place in that order, never by how their path was spelled (`a/main.policy`,
    `main.policy` from inside `a/` and the absolute path hash the same); std modules are hashed by
    their text like any other file."""
    h = hashlib.sha256()
    order: dict[str, int] = {}

    def visit(name: str) -> None:
        order[name] = len(order)
        h.update(b"file\0" + policy.sources.get(name, "").encode() + b"\0")
        for key in policy.imports.get(name, ()):
            if key not in order:
                visit(key)
            h.update(f"import {order[key]}\0".encode())

    visit(policy.name)
    for name in sorted(policy.sources):  # anything read but not reached (never, today)
        if name not in order:
            h.update(b"also\0" + policy.sources[name].encode() + b"\0")
    return h.hexdigest()
