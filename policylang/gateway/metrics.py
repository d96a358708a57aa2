"""Prometheus metrics of the gateway (prometheus_client, own registry).

With `serve --workers N` every worker counts into prometheus_client's multiprocess files
(PROMETHEUS_MULTIPROC_DIR, which serve sets up; enable_multiprocess), and a scrape, whichever
worker answers it, reads all of them: counters summed over the workers (a dead worker's
counts stay in), so a scrape never looks like a reset. Spend per client key is shown only to
a scraper presenting the metrics token (docs/deploying.md); to anyone else the key label is
empty and the spend summed over keys."""

from __future__ import annotations

import os
import shutil
import tempfile

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess() -> str | None:
    """Before worker processes start: a fresh folder for their metric files, named in the
    environment they inherit; returns it (to remove when serve ends), or None when the operator
    named one (theirs to empty between runs)."""
    if os.environ.get(MULTIPROC_ENV):
        return None
    folder = tempfile.mkdtemp(prefix="policylang-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    return folder


def disable_multiprocess(folder: str | None) -> None:
    if folder is not None:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


def worker_gone(pid: int) -> None:
    """A worker ended: its gauges stop counting (its counters stay in the sums)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class _WithoutKeys:
    """A registry's samples with the client-key label emptied, spend summed over keys: what a
    scraper without the metrics token sees."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        for family in self.registry.collect():
            if family.name == "policylang_cost_usd":
                merged: dict = {}
                for sample in family.samples:
                    labels = {**sample.labels, "key": ""}
                    key = (sample.name, tuple(sorted(labels.items())))
                    seen = merged.get(key)
                    if seen is None:
                        merged[key] = sample._replace(labels=labels)
                    elif sample.name.endswith("_created"):  # the earliest start
                        merged[key] = seen._replace(value=min(seen.value, sample.value))
                    else:
                        merged[key] = seen._replace(value=seen.value + sample.value)
                family.samples = list(merged.values())
            yield family


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
    def __init__(self, shared_state: bool = False):
        """shared_state: the gateway has --state, and reports whether it answers."""
        self._children: dict = {}
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policylang_requests",
            "Requests by inbound API (its path), rule, model and HTTP status",
            ["endpoint", "rule", "model", "status"],
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
        # only with --state: a 0 without it would page someone for a Redis nobody runs
        self.shared_state = (
            Gauge(
                "policylang_shared_state_up",
                "1 when the shared state (--state) answers, 0 while a process uses its own "
                "(the lowest of the workers')",
                registry=self.registry,
                multiprocess_mode="livemin",
            )
            if shared_state
            else None
        )
        self.feedback = Counter(
            "policylang_feedback",
            "Ratings of answers (POST /v1/feedback) by result",
            ["result"],
            registry=self.registry,
        )
        self.explorations = Counter(
            "policylang_explorations",
            "Answers from a model the learned quality had demoted, explored, by rule and model",
            ["rule", "model"],
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
            multiprocess_mode="livemax",
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
            multiprocess_mode="livesum",
        )

    def state_up(self, up: bool) -> None:
        if self.shared_state is not None:
            self.shared_state.set(int(up))

    def refresh(self, health, classifiers) -> None:
        """The gauges read from state: circuits and the classifier cache (at each scrape, and
        every second with workers, whose files the answering worker reads)."""
        for candidate, b in health.breakers.items():
            state = b.peek()
            self.breaker.labels(candidate).set(
                1.0 if state == "open" else 0.5 if state == "half_open" else 0.0
            )
        self.classifier_cache.labels("hit").set(classifiers.hits)
        self.classifier_cache.labels("miss").set(classifiers.misses)

    def render(self, health, classifiers, with_keys: bool) -> bytes:
        """The Prometheus text: every worker's counts with --workers; spend per client key
        only with_keys."""
        self.refresh(health, classifiers)
        registry = self.registry
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        return generate_latest(registry if with_keys else _WithoutKeys(registry))

    def child(self, metric, *labels):
        """metric.labels(*labels), remembered: prometheus_client checks and locks on every
        labels() call, a few µs each on the request path."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found
