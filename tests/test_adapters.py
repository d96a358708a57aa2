"""One list of adapters (policylang/adapters.py): what the checker accepts, what the runtime
builds, what traces, the JavaScript declarations and the docs name."""
import asyncio
import importlib
import pkgutil
import re

import pytest

import policylang
import policylang.providers as providers
from helpers import ROOT
from policylang.adapters import ADAPTERS
from policylang.pipeline import front_end_text


def test_every_adapter_the_language_accepts_is_one_the_runtime_builds():
    """One list (policylang/adapters.py): each name a policy may write checks, and builds an
    adapter that answers; any other name is an invalid-value naming the list."""
    assert [a.name for a in ADAPTERS] == ["openai", "anthropic", "gemini", "azure", "bedrock", "vertex", "echo"]
    for a in ADAPTERS:
        base_url = ' base_url = "https://res.example.com"' if a.name == "azure" else ""
        if a.name == "bedrock":
            base_url = ' location = "eu-central-1"'
        if a.name == "vertex":
            base_url = ' project = "my-project" location = "europe-west4"'
        policy = policylang.loads(f"provider p {{ adapter = {a.name}{base_url} default = m }}\n"
                                  "model m { provider = p }\ndefault route m\n")
        async def answer():
            async with policylang.Router(policy) as router:
                adapter = router.adapters["p"]
                assert type(adapter).__name__ == a.implementation.split(":")[1], a
                for method in ("complete", "stream", "probe"):
                    assert callable(getattr(adapter, method)), (a.name, method)
                if a.name == "echo":   # the only one that answers offline
                    result = await router.complete({"messages": [{"role": "user", "content": "hi"}]})
                    assert result.response["choices"][0]["message"]["content"] == "[m] hi"
        asyncio.run(answer())
    checked = front_end_text("provider p { adapter = pigeon default = m }\nmodel m { provider = p }\n")
    assert checked.ir is None
    message = " ".join(d.message for d in checked.diagnostics)
    assert f"unknown adapter `pigeon` (adapters: {', '.join(a.name for a in ADAPTERS)})" in message


def test_every_adapter_module_is_listed():
    """An adapter class written in providers/ but left out of adapters.ADAPTERS could never be
    named by a policy: each class with complete and stream there is a row's implementation."""
    listed = {a.implementation for a in ADAPTERS}
    found = set()
    for info in pkgutil.iter_modules(providers.__path__):
        module = importlib.import_module(f"policylang.providers.{info.name}")
        for name, value in vars(module).items():
            if (isinstance(value, type) and value.__module__ == module.__name__
                    and not name.startswith("_")  # a private part of one (vertex's per-publisher halves)
                    and not getattr(value, "_is_protocol", False)   # base.Adapter, the protocol itself
                    and callable(getattr(value, "complete", None)) and callable(getattr(value, "stream", None))):
                found.add(f"{info.name}:{name}")
    assert found == listed, (found, listed)


def test_the_docs_name_every_adapter():
    language = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    written = re.search(r"# wire protocol: ([a-z| ]+)\n", language).group(1).split(" | ")
    assert written == [a.name for a in ADAPTERS]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = re.search(r"policylang/providers +adapters \(([a-z, ]+)\)", readme).group(1).split(", ")
    assert layout == [a.name for a in ADAPTERS]
    systems = re.search(r"`gen_ai.provider.name` \(the wire's system: ([^)]*) as on", readme)
    assert systems, "README's tracing section names the systems"
    named = re.findall(r"`([a-z._]+)`", systems.group(1))
    assert named == [a.system for a in ADAPTERS if not a.system.startswith("policylang.")]


def test_traces_and_javascript_declarations_read_the_list():
    from policylang.compiler.javascript import generate_js
    from policylang.factschema import facts_schema
    from policylang.runtime.tracing import system_of

    assert [system_of(a.name) for a in ADAPTERS] == ["openai", "anthropic", "gcp.gemini", "az.ai.openai",
                                                    "aws.bedrock", "gcp.vertex_ai", "policylang.echo"]
    policy = policylang.loads("provider p { adapter = echo default = m }\nmodel m { provider = p }\n"
                              "default route m\n")
    declarations = generate_js(policy.ir, facts_schema(policy.ir)).declarations
    assert '  readonly adapter: "openai" | "anthropic" | "gemini" | "azure" | "bedrock" | "vertex" | "echo";' in declarations


def test_a_user_messages_texts_and_images_reach_each_wire_in_order():
    """One reading of a user message's parts (chat.user_parts) serves the Anthropic and Gemini
    wires: adjacent texts run together, a data: URL is inline base64, any other URL a link, an
    unknown part is not carried, and a message with nothing carried is one empty text."""
    from policylang.providers.anthropic import _user_blocks
    from policylang.providers.gemini import _user_parts

    content = [
        {"type": "text", "text": "a"},
        {"text": "b"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
        {"type": "input_audio", "input_audio": {"data": "x"}},
        {"type": "text", "text": "c"},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        "not a part",
    ]
    assert _user_blocks(content) == [
        {"type": "text", "text": "ab"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
        {"type": "text", "text": "c"},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
    ]
    assert _user_parts(content) == [
        {"text": "ab"},
        {"inlineData": {"mimeType": "image/png", "data": "AAA"}},
        {"text": "c"},
        {"fileData": {"fileUri": "https://x.test/a.png"}},
    ]
    for empty in ([], [{"type": "input_audio"}]):
        assert _user_blocks(empty) == [{"type": "text", "text": ""}] and _user_parts(empty) == [{"text": ""}]
    assert _user_blocks("hi") == [{"type": "text", "text": "hi"}] and _user_parts(None) == [{"text": ""}]


@pytest.mark.parametrize("arguments,carried", [
    (None, {}), ("", {}), ('{"city": "Oslo"}', {"city": "Oslo"}),
    ("not json", {"arguments": "not json"}), ("[1, 2]", {"arguments": [1, 2]}), ("7", {"arguments": 7}),
])
def test_a_tool_calls_arguments_reach_every_wire_as_the_same_object(arguments, carried):
    """One reading of a tool call's arguments (chat.call_arguments) for the Anthropic, Gemini and
    Bedrock wires: what is not a JSON object is kept under `arguments`, never dropped."""
    from policylang.providers import anthropic, bedrock, gemini

    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    assert anthropic._tool_use(call)["input"] == carried == bedrock._tool_use(call)["input"]
    body = gemini.to_contents({"messages": [{"role": "assistant", "content": None, "tool_calls": [call]}]})
    (part,) = [p for p in body["contents"][0]["parts"] if "functionCall" in p]
    assert part["functionCall"]["args"] == carried
