"""Provider adapters: one small protocol (providers.base.Adapter), one module each, listed in
policylang/adapters.py; the HTTP they call in providers/transport.py."""

from __future__ import annotations

import importlib
from functools import cache

from ..adapters import BY_NAME
from ..semantics import ir
from .base import Adapter
from .transport import HTTP, HttpxHTTP


@cache
def adapter_class(name: str) -> type:
    """The class implementing the adapter `name` (a row of adapters.ADAPTERS); its module is
    imported on first use. KeyError for a name the table does not list."""
    module, cls = BY_NAME[name].implementation.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)


def make_adapter(provider: ir.Provider, http: HTTP) -> Adapter:
    return adapter_class(provider.adapter)(provider, http)


__all__ = ["HTTP", "Adapter", "HttpxHTTP", "adapter_class", "make_adapter"]
