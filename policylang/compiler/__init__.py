"""The compiler: a checked policy (IR) to the Python source of its evaluator.

    layout.py   the IR as decision diagrams: one for the policy, or blocks (layout_policy)
    emit.py     a diagram as Python statements (Emitter)
    table.py    the table fast path: hashable facts folded into one dict lookup
    codegen.py  the module: templates, decisions, functions, `decide`, the line map (generate)

Running the generated module in process is the pipeline's job (pipeline.evaluator).
"""

from .codegen import (
    Compiled,
    compile_standalone,
    compiled_in_pieces,
    generate,
    left_out,
    source_hash,
)
from .layout import Layout, layout_policy

__all__ = [
    "Compiled",
    "Layout",
    "compile_standalone",
    "compiled_in_pieces",
    "generate",
    "layout_policy",
    "left_out",
    "source_hash",
]
