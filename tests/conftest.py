import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from policylang.testing import FakeProvider  # noqa: E402

# no property test fails for time: a loaded machine (CI shares its cores) can stretch one example
# past Hypothesis's default 200 ms deadline, and that deadline also sets its too_slow health check's
# limit (1 s of drawing then, 30 s without it). A test's own @settings start from this profile.
settings.register_profile("policylang", deadline=None)
settings.load_profile("policylang")


@pytest.fixture(scope="module")
def fake():
    """A loopback fake provider (OpenAI, Anthropic and Gemini wire formats), one per test module."""
    with FakeProvider() as f:
        yield f
