import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policylang.testing import FakeProvider  # noqa: E402


@pytest.fixture(scope="module")
def fake():
    """A loopback fake provider (OpenAI, Anthropic and Gemini wire formats), one per test module."""
    with FakeProvider() as f:
        yield f
