"""The OpenAI-compatible gateway (needs the `gateway` extra: starlette, uvicorn,
prometheus_client). Its names load on first use, so that the command line can read the
gateway's defaults (gateway/limits.py) without the extra installed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import GatewayConfig, create_app

__all__ = ["GatewayConfig", "create_app"]


def __getattr__(name: str):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
