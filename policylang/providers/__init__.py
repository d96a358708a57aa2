"""Provider adapters: one small protocol (providers.base.Adapter), one module each."""
from __future__ import annotations

import httpx

from ..semantics import ir
from .anthropic import AnthropicAdapter
from .echo import EchoAdapter
from .gemini import GeminiAdapter
from .openai import OpenAIAdapter

ADAPTERS = {"openai": OpenAIAdapter, "anthropic": AnthropicAdapter, "gemini": GeminiAdapter, "echo": EchoAdapter}


def make_adapter(provider: ir.Provider, client: httpx.AsyncClient):
    return ADAPTERS[provider.adapter](provider, client)
