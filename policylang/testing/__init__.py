"""Test helpers for users and for us: a fake provider that speaks the real wire
formats over real HTTP on 127.0.0.1, with injectable faults."""

from .fake_azure import FakeAzure
from .fake_provider import FakeProvider, Fault

__all__ = ["FakeAzure", "FakeProvider", "Fault"]
