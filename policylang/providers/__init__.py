"""Provider adapters: one small protocol (providers.base.Adapter), one module each."""

from __future__ import annotations

from ..semantics import ir
from .anthropic import AnthropicAdapter
from .azure import AzureOpenAIAdapter
from .base import HTTP, HttpxHTTP
from .echo import EchoAdapter
from .gemini import GeminiAdapter
from .openai import OpenAIAdapter

ADAPTERS = {
    "openai": OpenAIAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
    "azure": AzureOpenAIAdapter,
    "echo": EchoAdapter,
}


def make_adapter(provider: ir.Provider, http: HTTP):
    return ADAPTERS[provider.adapter](provider, http)


__all__ = ["ADAPTERS", "HTTP", "HttpxHTTP", "make_adapter"]
