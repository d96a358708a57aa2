"""Router: a decision's candidates turned into a real completion, surviving the
failures production traffic meets (DESIGN.md, "Runtime contract").

The router decides (facts, then the compiled policy) and hands the decision's candidates
to attempts.Attempts, the candidate/retry loop that complete() and RouterStream
(stream.py) share, with the Execution (execution.py) it builds once: its adapters, retry
policy, health, budget, clock and the hook that awaits feedback for each answer. errors.py
holds the exception tree.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Callable

import httpx

from ..adapters import extra_complaints, missing_extra
from ..prelude import Decision
from ..providers import HttpxHTTP, make_adapter
from ..providers import errors as provider_errors
from ..semantics.ir import tests_of
from .attempts import Attempts
from .budget import Budgets
from .classify import Classifiers
from .errors import NoRoute
from .execution import Execution, Plan, Result, RetryPolicy
from .facts import count_prompt_tokens, derive_facts, detect_language, estimate_tokens
from .health import Health
from .quality import Estimate, Learner, NoLearning, QualityStore
from .selection import order_candidates
from .stream import RouterStream
from .tracing import RequestSpan


class Router:
    """Route OpenAI chat-completions requests by a policy and execute them.

        router = policylang.Router(policylang.load("support.policy"))
        result = await router.complete({"messages": [...]}, facts={"tier": "pro"})
        result.response, result.rule, result.model, result.attempts, result.cost_usd

    How candidates are tried, retried and skipped: attempts.py.
    """

    def __init__(
        self,
        policy,
        *,
        client: httpx.AsyncClient | None = None,
        http=None,
        retry: RetryPolicy | None = None,
        health: Health | None = None,
        budget: Budgets | None = None,
        counter: Callable[[str], int] = estimate_tokens,
        detector: Callable[[str], str | None] = detect_language,
        clock=time.monotonic,
        sleep=asyncio.sleep,
        rng: random.Random | None = None,
        classifiers: Classifiers | None = None,
        quality_store: QualityStore | None = None,
    ):
        self.policy = policy
        #  `quality by … learned with prior N`: feedback moves the scores decide reads
        quality = policy.ir.quality
        self.learner = (
            Learner(policy.ir, quality_store)
            if quality is not None and quality.prior is not None
            else None
        )
        missing = extra_complaints(policy.ir)
        if missing:  # a routed provider's adapter or a classifier's model cannot be built here
            raise ImportError("; ".join(missing))
        self.classifiers = classifiers if classifiers is not None else Classifiers(policy.ir)
        self._tested = frozenset(t.fact for r in policy.ir.rules for t in tests_of(r.cond))
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.health = health or Health(clock=clock)
        self.budget = budget
        self.counter = counter
        self.detector = detector  # the `language` fact's detector (facts.language_detector)
        self.sleep = sleep
        self.rng = rng or random.Random()
        # `http` (providers.transport.HTTP) wins; else `client`, an httpx.AsyncClient; else one
        # of our own
        self._own_client = http is None and client is None
        if http is None:
            client = client or httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=512, max_keepalive_connections=128, keepalive_expiry=30
                ),
                timeout=self.retry.attempt_timeout,
            )
            http = HttpxHTTP(client)
        self.http = http
        self.adapters = {  # a provider only declared (std's Bedrock) may lack its extra
            name: make_adapter(p, http)
            for name, p in policy.ir.providers.items()
            if missing_extra(p.adapter) is None
        }
        # provider -> its `api_key = env("VAR")` variable, unset (or empty) in this process: its
        # candidates are skipped, as an open circuit's are, rather than called without a key
        self.missing_keys = {
            name: p.api_key_env
            for name, p in policy.ir.providers.items()
            if p.api_key_env and not provider_errors.env_secret(p.api_key_env)
        }
        self.execution = Execution(
            self.adapters,
            self.retry,
            self.health,
            clock,
            sleep,
            self.rng,
            budget,
            self.missing_keys,
            self._awaits_feedback,
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self.http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    # ---- deciding ---------------------------------------------------------------------
    def rule(self, name: str):
        """The policy's rule with this label (as decisions name it), or None."""
        return self.policy.ir.rules_by_name.get(name)

    def facts_for(
        self,
        request: dict,
        facts: dict | None = None,
        explain: list | None = None,
        tokens: int | None = None,
    ) -> dict:
        """Derived and classified facts overridden by the explicit ones, validated (FactError when
        bad). With `explain`, the classifications are appended to it. tokens: the prompt's,
        counted already."""
        # deriving a fact no rule tests is wasted work, except when explaining
        merged = derive_facts(
            self.policy.ir,
            request,
            self.counter,
            only=None if explain is not None else self._tested,
            detector=self.detector,
            tokens=tokens,
        )
        explicit = facts or {}
        if self.classifiers:
            for c in self.classifiers.run(request, skip=explicit.keys()):
                if c.value is not None:
                    merged[c.fact] = c.value
                if explain is not None:
                    explain.append(c)
        merged.update(explicit)
        self.policy.check_facts(merged)
        return merged

    def decide(self, facts: dict):
        """The compiled decision for validated facts; with learned quality, the deciding rule's
        constraints and `by value` order read the learned scores instead of the declared."""
        return self.choose(facts, explore=False)[0]

    def choose(self, facts: dict, explore: bool = True) -> tuple[Decision, str | None]:
        """decide's decision, or now and then an exploration (Learner.choose). Returns the
        decision and the candidate explored (None when the decision is the learned one)."""
        if self.learner is None:
            return self.policy.decide(facts), None
        return self.learner.choose(self.policy, facts, explore)

    def feedback(self, response_id: str, score: float, owner: str | None = None) -> Estimate:
        """Rate an answer this router gave (its response id) with a score in [0, 1], pass = 1;
        with `owner`, only an answer given for that budget key (another's is unknown).
        The (model, task value) statistics and the estimates decide reads change at once.
        ValueError for a bad score; UnknownResponse for an id that cannot be rated; NoLearning
        when the policy does not learn quality."""
        if self.learner is None:
            raise NoLearning(
                "this policy does not learn quality: declare "
                "`quality by task learned with prior N { … }`"
            )
        return self.learner.feedback(response_id, score, owner)

    def _awaits_feedback(self, result: Result, owner: str | None) -> None:
        if self.learner is not None and result.response_id:
            model = self.policy.ir.models[result.model]
            self.learner.expect(
                result.response_id, model.candidate, result.facts, owner, result.explored
            )

    def plan(self, request: dict, facts: dict | None = None) -> Plan:
        """Decide: the facts (FactError when bad), the decision (NoRoute) and the candidates in
        the order they will be tried. The prompt's tokens are counted here, once per request
        (Plan.prompt_tokens). The budget, if any, is held when the request runs."""
        counted = count_prompt_tokens(request, self.counter)
        merged = self.facts_for(request, facts, tokens=counted)
        t0 = time.perf_counter_ns()
        decision, explored = self.choose(merged)
        decision_ns = time.perf_counter_ns() - t0
        if decision.rule is None:
            raise NoRoute("no rule matches these facts and the policy has no default")
        rule = self.policy.ir.rules_by_name[decision.rule]
        models = order_candidates(self.policy.ir, rule, self.health, self.rng, decision.candidates)
        removed = dict(decision.removed)  # candidates a constraint rules out for this request
        tokens = merged.get("tokens")
        if not isinstance(tokens, int):
            tokens = counted
        plan = Plan(
            rule,
            [m for m in models if m.candidate not in removed] if removed else models,
            merged,
            tokens,
            decision_ns,
            self.clock() + self.retry.total_timeout,
            explored=explored,
            prompt_tokens=counted,
        )
        for m in models:
            if m.candidate in removed:
                plan.skip(m, f"removed by the constraint `{removed[m.candidate]}`")
        return plan

    # ---- active health ------------------------------------------------------------------
    async def probe(self, only_unhealthy: bool = True, timeout: float = 5.0) -> dict[str, str]:
        """Actively check endpoints with a free request (the provider's model listing). A success
        closes an open or half-open circuit; a failure opens it. By default only endpoints whose
        circuit is not closed are probed, so healthy traffic pays nothing.
        Returns candidate → result."""
        out: dict[str, str] = {}
        for model in self.policy.ir.routed_models:  # only what rules can route to
            breaker = self.health.breaker(model.candidate)
            if only_unhealthy and (breaker.peek() == "closed" or breaker.held):
                continue  # held: the shared state picks the one replica that probes
            out[model.candidate] = await self.probe_endpoint(model.candidate, timeout)
        return out

    async def probe_endpoint(self, candidate: str, timeout: float = 5.0) -> str:
        """Probe one endpoint (`provider/model`): "ok" closes its circuit, a failure's kind
        opens it (a rejected key or request, or a listing that is not there, says nothing about
        health)."""
        model = self.policy.ir.models_by_candidate[candidate]
        breaker = self.health.breaker(candidate)
        try:
            await self.adapters[model.provider].probe(model, timeout)
        except provider_errors.ProviderError as exc:
            if not isinstance(
                exc,
                (provider_errors.AuthFailed, provider_errors.BadRequest, provider_errors.NotFound),
            ):
                breaker.trip()
            return exc.kind
        breaker.reset()
        return "ok"

    # ---- complete ---------------------------------------------------------------------
    async def complete(
        self,
        request: dict,
        facts: dict | None = None,
        *,
        budget_key: str | None = None,
        trace_parent=None,
        plan: Plan | None = None,
        served_at: str | None = None,
    ) -> Result:
        """A chat completion (OpenAI format) from the first candidate that answers.
        trace_parent: an OpenTelemetry context for the request's span (tracing.incoming);
        plan: this request's plan() when the caller decided already (to price it);
        served_at: the URL path when a server answers the request (its span is then SERVER)."""
        span = RequestSpan(request, trace_parent, served_at)
        try:
            result = await self._complete(request, facts, budget_key, span, plan)
        except BaseException as exc:
            span.finish(error=exc)
            raise
        span.finish(result)
        return result

    async def _complete(
        self,
        request: dict,
        facts: dict | None,
        budget_key: str | None,
        span: RequestSpan,
        plan: Plan | None,
    ) -> Result:
        if plan is None:
            plan = self.plan(request, facts)
        if self.budget is None:
            return await self._attempt(request, budget_key, span, plan)
        hold = await self.budget.hold_plan(plan, request, budget_key)
        result = None
        try:
            result = await self._attempt(request, budget_key, span, plan)
        finally:  # failed or cancelled: nothing charged
            await self.budget.settle(hold, result.cost_usd if result is not None else None)
        return result

    async def _attempt(
        self, request: dict, budget_key: str | None, span: RequestSpan, plan: Plan
    ) -> Result:
        attempts = Attempts(self.execution, plan, request, budget_key, span)
        for t in attempts:
            try:
                done = await self.adapters[t.model.provider].complete(t.model, request, t.timeout)
            except provider_errors.ProviderError as exc:
                await attempts.failed(t, exc)
                continue
            except BaseException as exc:
                attempts.abandoned(t, exc)
                raise
            attempts.succeeded(t)
            text = ((done.response.get("choices") or [{}])[0].get("message") or {}).get(
                "content"
            ) or ""
            return attempts.result(
                t.model,
                done.response,
                done.prompt_tokens,
                done.completion_tokens,
                len(text),
                done.response.get("id"),
                done.response.get("model"),
            )
        raise AssertionError("Attempts ends by raising")  # pragma: no cover

    # ---- stream -----------------------------------------------------------------------
    def stream(
        self,
        request: dict,
        facts: dict | None = None,
        *,
        budget_key: str | None = None,
        trace_parent=None,
        plan: Plan | None = None,
        served_at: str | None = None,
    ) -> RouterStream:
        """An async iterator of OpenAI chat.completion.chunk dicts; .result once it ends.

        Falls back between candidates until the first chunk reaches the caller; after
        that an upstream failure ends the stream with an error chunk. plan, served_at: as
        complete()'s."""
        if plan is None:
            decide = functools.partial(self.plan, request, facts)
        else:
            decide = functools.partial(_given, plan)
        return RouterStream(self.execution, request, decide, budget_key, trace_parent, served_at)


def _given(plan: Plan) -> Plan:
    return plan
