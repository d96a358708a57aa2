"""Cost from catalog prices × usage (spend budgets: budget.py)."""

from __future__ import annotations

from ..semantics import ir


def cost_usd(model: ir.Model, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD for this usage at the model's catalog prices (None when the model is unpriced)."""
    if model.input is None or model.output is None:
        return None
    return (prompt_tokens * model.input + completion_tokens * model.output) / 1_000_000
