"""Prometheus metrics of one gateway process (prometheus_client, own registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    120,
)
DECISION_BUCKETS = (1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 1e-4)


class Metrics:
    def __init__(self):
        self._children: dict = {}
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policylang_requests",
            "Requests by rule, model and HTTP status",
            ["rule", "model", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "policylang_request_seconds",
            "Request latency in the gateway",
            ["stream"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decision = Histogram(
            "policylang_decision_seconds",
            "Time to decide a route",
            buckets=DECISION_BUCKETS,
            registry=self.registry,
        )
        self.cost = Counter(
            "policylang_cost_usd",
            "Spend attributed to responses, USD, by rule, model and client key ('' without keys)",
            ["rule", "model", "key"],
            registry=self.registry,
        )
        self.shared_state = Gauge(
            "policylang_shared_state_up",
            "1 when the shared state (--state) answers, 0 while this process uses its own",
            registry=self.registry,
        )
        self.feedback = Counter(
            "policylang_feedback",
            "Ratings of answers (POST /v1/feedback) by result",
            ["result"],
            registry=self.registry,
        )
        self.attempts = Counter(
            "policylang_attempts",
            "Upstream attempts by candidate and outcome",
            ["candidate", "outcome"],
            registry=self.registry,
        )
        self.breaker = Gauge(
            "policylang_breaker_open",
            "1 when a candidate's circuit is open (0.5 half-open)",
            ["candidate"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "policylang_policy_reloads",
            "Policy reloads by result",
            ["result"],
            registry=self.registry,
        )
        self.classifier_cache = Gauge(
            "policylang_classifier_cache_lookups",
            "Classifier cache lookups by result, for the policy now served",
            ["result"],
            registry=self.registry,
        )

    def render(self, health) -> bytes:
        for candidate, b in health.breakers.items():
            state = b.peek()
            self.breaker.labels(candidate).set(
                1.0 if state == "open" else 0.5 if state == "half_open" else 0.0
            )
        return generate_latest(self.registry)

    def child(self, metric, *labels):
        """metric.labels(*labels), remembered: prometheus_client checks and locks on every
        labels() call, a few µs each on the request path."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found
