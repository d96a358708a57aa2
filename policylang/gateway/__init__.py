"""The OpenAI-compatible gateway (needs the `gateway` extra: starlette, uvicorn,
prometheus_client)."""

from .app import GatewayConfig, create_app

__all__ = ["GatewayConfig", "create_app"]
