"""The adapters a provider can name (`adapter = NAME`), one row each: the one list that the
checker (semantics/catalog.py), the runtime and the gateway (providers.make_adapter), traces
(runtime/tracing.py), the JavaScript declarations and the docs' tests read.

A row names its implementation as a string, `module:Class` under policylang/providers/, so that
checking a policy needs neither the adapters nor httpx. Adding an adapter is a module in
providers/ and a row here (docs/architecture.md, "Adding things").
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from .textmodel import model_complaints


@dataclass(frozen=True)
class AdapterInfo:
    name: str  # what a policy writes: `adapter = NAME`
    implementation: str  # "module:Class", the module under policylang/providers/
    system: str  # the GenAI system its traces name (OpenTelemetry's gen_ai.provider.name)
    speaks: str  # what it talks to, for the docs
    extra: str | None = None  # the package extra it needs (pip install 'policylang[EXTRA]')
    requires: str | None = None  # the module that extra brings, which its implementation imports


ADAPTERS: tuple[AdapterInfo, ...] = (
    AdapterInfo(
        "openai",
        "openai:OpenAIAdapter",
        "openai",
        "OpenAI Chat Completions and every API compatible with it",
    ),
    AdapterInfo("anthropic", "anthropic:AnthropicAdapter", "anthropic", "Anthropic Messages"),
    AdapterInfo("gemini", "gemini:GeminiAdapter", "gcp.gemini", "Google Gemini generateContent"),
    AdapterInfo("azure", "azure:AzureOpenAIAdapter", "az.ai.openai", "Azure OpenAI deployments"),
    AdapterInfo(
        "bedrock",
        "bedrock:BedrockAdapter",
        "aws.bedrock",
        "AWS Bedrock Converse and ConverseStream, SigV4-signed",
        extra="aws",
        requires="botocore",
    ),
    AdapterInfo(
        "vertex",
        "vertex:VertexAdapter",
        "gcp.vertex_ai",
        "Google Vertex AI: Gemini generateContent and Claude rawPredict, OAuth (ADC)",
        extra="gcp",
        requires="google.auth",
    ),
    AdapterInfo("echo", "echo:EchoAdapter", "policylang.echo", "offline: answers the prompt"),
)

BY_NAME = {a.name: a for a in ADAPTERS}
NAMES = tuple(BY_NAME)


def installed(module: str) -> bool:
    """Whether `module` can be imported here (without importing it; a dotted name whose parent
    package is missing, google.auth without google, is not)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def missing_extra(name: str) -> AdapterInfo | None:
    """The row of adapter `name` when the extra it needs is not installed, else None."""
    info = BY_NAME.get(name)
    if info is None or info.requires is None or installed(info.requires):
        return None
    return info


def extra_complaints(policy) -> list[str]:
    """One line per provider of a policy (an ir.PolicyIR) whose adapter's extra is missing and
    that some rule can route to, and per classifier `model` clause whose model's extra is
    missing (textmodel.model_complaints): its place, and the pip command that installs the
    extra. A provider only declared (as `import std` declares Bedrock's) needs nothing
    installed."""
    routed = {m.provider for m in policy.routed_models}
    out = []
    for p in policy.providers.values():
        if p.name not in routed:
            continue
        info = missing_extra(p.adapter)
        if info is not None:
            out.append(
                f"{p.span.file}:{p.span.line}:{p.span.column}: provider `{p.name}` uses adapter = "
                f"{info.name}, which needs its extra: pip install 'policylang[{info.extra}]'"
            )
    return out + model_complaints(policy)
