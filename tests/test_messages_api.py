"""Anthropic's Messages API on the gateway (docs/endpoints.md): the translation to and from the
Chat Completions form (policylang/dialects/messages.py), then the official `anthropic` SDK,
unchanged but for its base URL, against a real gateway on loopback."""
import hashlib
import json

import pytest
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

from policylang.dialects import DialectError
from policylang.dialects.messages import MessageEvents, error_body, to_chat, to_message

EVENTS = TypeAdapter(RawMessageStreamEvent)


def body(**kw):
    return {"model": "auto", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}], **kw}


# ---- request → chat body ---------------------------------------------------------------------
def test_system_settings_and_metadata():
    chat = to_chat(body(system="be brief", stop_sequences=["END"], temperature=0.2, top_p=0.9,
                        top_k=5, metadata={"task": "code", "user_id": "u-1"}, stream=True))
    assert chat == {
        "model": "auto", "max_tokens": 64,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "stop": ["END"], "temperature": 0.2, "top_p": 0.9, "top_k": 5,
        "metadata": {"task": "code"}, "user": "u-1",
        "stream": True, "stream_options": {"include_usage": True},
    }
    blocks = to_chat(body(system=[{"type": "text", "text": "one", "cache_control": {"type": "ephemeral"}},
                                  {"type": "text", "text": "two"}]))
    assert blocks["messages"][0] == {"role": "system", "content": "one\n\ntwo"}


def test_content_blocks_and_a_tool_round_trip():
    chat = to_chat(body(
        tools=[{"name": "weather", "description": "the weather", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "weather", "disable_parallel_tool_use": True},
        messages=[
            {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hm", "signature": "s"},
                {"type": "text", "text": "checking"},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [
                    {"type": "text", "text": "-3C"},
                    {"type": "image", "source": {"type": "url", "url": "https://x.test/map.png"}}]},
                {"type": "text", "text": "and now?"}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "boom", "is_error": True}]},
        ]))
    assert chat["tools"] == [{"type": "function", "function": {
        "name": "weather", "parameters": {"type": "object"}, "description": "the weather"}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "weather"}}
    assert chat["parallel_tool_calls"] is False
    assert chat["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
            {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
        {"role": "assistant", "content": "checking", "tool_calls": [
            {"id": "toolu_1", "type": "function",
             "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "-3C"},
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://x.test/map.png"}},
            {"type": "text", "text": "and now?"}]},
        {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: boom"},
    ]


@pytest.mark.parametrize("choice, chat", [
    ({"type": "auto"}, "auto"), ({"type": "any"}, "required"), ({"type": "none"}, "none")])
def test_tool_choice(choice, chat):
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    assert to_chat(body(tools=tools, tool_choice=choice))["tool_choice"] == chat


def test_output_config_and_what_is_accepted_but_not_forwarded():
    chat = to_chat(body(output_config={"effort": "max", "format": {"type": "json_schema", "schema": {"type": "object"}}},
                        thinking={"type": "enabled", "budget_tokens": 2000}, cache_control={"type": "ephemeral"},
                        service_tier="auto", speed="fast", diagnostics={}))
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {"name": "output", "schema": {"type": "object"}}}
    assert chat["reasoning_effort"] == "high"
    assert not {"thinking", "cache_control", "service_tier", "speed", "diagnostics", "output_config"} & set(chat)


def test_a_claude_code_request_is_carried():
    """What Claude Code 2 sends: system blocks and tools marked for caching, thinking, context
    management, a long user_id; accepted, and only what Chat Completions carries goes on."""
    chat = to_chat(body(
        system=[{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Be careful."}],
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "fix the bug", "cache_control": {"type": "ephemeral"}}]}],
        tools=[{"name": "Bash", "description": "run a command", "cache_control": {"type": "ephemeral"},
                "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                 "properties": {"command": {"type": "string"}}, "required": ["command"]}}],
        thinking={"type": "enabled", "budget_tokens": 4000}, temperature=1, stream=True,
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        metadata={"user_id": "user_" + "a" * 64 + "_account__session_" + "b" * 36}))
    assert chat["messages"] == [{"role": "system", "content": "You are Claude Code.\n\nBe careful."},
                                {"role": "user", "content": "fix the bug"}]
    assert chat["tools"][0]["function"]["parameters"]["required"] == ["command"]
    assert len(chat["user"]) == 64 and "context_management" not in chat and "thinking" not in chat


def test_count_tokens_bodies_need_no_max_tokens():
    counted = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    assert to_chat(counted, count_only=True) == {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(DialectError) as e:
        to_chat(counted)
    assert e.value.param == "max_tokens"


@pytest.mark.parametrize("patch, param, says", [
    ({"max_tokens": 0}, "max_tokens", "greater than or equal to 1"),
    ({"max_tokens": "64"}, "max_tokens", "valid integer"),
    ({"temperature": 1.5}, "temperature", "less than or equal to 1"),
    ({"temperature": float("nan")}, "temperature", "finite"),
    ({"messages": []}, "messages", "at least 1"),
    ({"messages": [{"role": "system", "content": "x"}]}, "messages.0.role", "'user' or 'assistant'"),
    ({"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
     "messages.0.content.0.type", "'document' is not supported"),
    ({"messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages.0.content.0.text", "string"),
    ({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}]},
     "messages.0.content.0.source.type", "`base64` or `url`"),
    ({"messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": []}]}]},
     "messages.0.content.0.input", "object"),
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools.0.type", "server tool"),
    ({"tools": [{"name": "f"}]}, "tools.0.input_schema", "Field required"),
    ({"tool_choice": {"type": "sometimes"}}, "tool_choice.type", "auto, any, tool or none"),
    ({"foo": 1}, "foo", "not a field"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content", "a string or a list of content blocks"),
    ({"messages": [{"role": "user", "content": ["hi"]}]}, "messages.0.content.0", "an object with a `type`"),
    ({"system": [{"type": "image"}]}, "system.0.type", "text blocks only"),
    ({"messages": [{"role": "user", "content": "x", "name": "bob"}]}, "messages.0.name", "not a field"),
    ({"mcp_servers": []}, "mcp_servers", "MCP servers are called by Anthropic's API"),
    ({"container": "c_1"}, "container", "a container lives at Anthropic"),
    ({"inference_geo": "us"}, "inference_geo", "only hosted in region"),
    ({"output_config": {"format": {"type": "yaml"}}}, "output_config.format", "json_schema"),
    ({"output_config": {"effort": "extreme"}}, "output_config.effort", "low, medium, high, xhigh or max"),
    ({"metadata": {"user_id": 7}}, "metadata.user_id", "string"),
])
def test_what_it_cannot_carry_is_refused_with_the_path(patch, param, says):
    with pytest.raises(DialectError) as e:
        to_chat(body(**patch))
    assert e.value.param == param and says in str(e.value), (e.value.param, str(e.value))


# ---- completion → Message -------------------------------------------------------------------
def completion(message, finish="stop", usage=(11, 7)):
    return {"id": "chatcmpl-abc", "object": "chat.completion", "created": 0, "model": "gpt-x",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                      "total_tokens": sum(usage)}}


def test_a_completion_is_a_message_the_sdk_parses():
    out = to_message(completion({"role": "assistant", "content": "Hello"}))
    msg = Message.model_validate(out)
    assert (msg.id, msg.model, msg.role, msg.stop_reason) == ("msg_chatcmpl-abc", "gpt-x", "assistant", "end_turn")
    assert [b.text for b in msg.content] == ["Hello"]
    assert (msg.usage.input_tokens, msg.usage.output_tokens) == (11, 7)


@pytest.mark.parametrize("finish, reason", [
    ("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"),
    ("content_filter", "refusal"), (None, "end_turn")])
def test_stop_reasons(finish, reason):
    assert to_message(completion({"role": "assistant", "content": "x"}, finish))["stop_reason"] == reason


def test_tool_calls_are_tool_use_blocks():
    out = to_message(completion({"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "broken", "arguments": "{not json"}}]},
        "tool_calls"))
    msg = Message.model_validate(out)
    assert msg.stop_reason == "tool_use"
    assert [(b.type, b.id, b.name, b.input) for b in msg.content] == [
        ("tool_use", "call_1", "weather", {"city": "Oslo"}),
        ("tool_use", "call_2", "broken", {"arguments": "{not json"})]


# ---- chunk stream → events -------------------------------------------------------------------
def parse_events(text):
    out = []
    for block in text.split("\n\n"):
        if not block:
            continue
        head, data = block.split("\n")
        kind = head.removeprefix("event: ")
        doc = json.loads(data.removeprefix("data: "))
        assert doc["type"] == kind
        out.append(doc)
    return out


def chunk(delta, finish=None, usage=None):
    c = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 0, "model": "gpt-x",
         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else []}
    if usage is not None:
        c["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
    return c


def run(chunks, tail=True):
    enc = MessageEvents("auto", input_tokens=9)
    text = "".join(enc.chunk(c) for c in chunks) + (enc.end() if tail else "")
    events = parse_events(text)
    for e in events:
        if e["type"] not in ("error", "ping"):  # the SDK reads and drops pings
            EVENTS.validate_python(e)
    return events


def test_a_text_stream_is_the_real_event_sequence():
    events = run([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}),
                  chunk({"content": "lo"}), chunk({}, "stop"), chunk({}, usage=(12, 2))])
    assert [e["type"] for e in events] == [
        "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop"]
    assert events[0]["message"]["id"] == "msg_chatcmpl-s"
    assert events[0]["message"]["usage"] == {"input_tokens": 9, "output_tokens": 0}
    assert "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta") == "Hello"
    assert events[-2]["delta"]["stop_reason"] == "end_turn"
    assert events[-2]["usage"] == {"input_tokens": 12, "output_tokens": 2}


def test_a_tool_call_stream_after_text():
    events = run([
        chunk({"role": "assistant", "content": "Let me look."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                               "function": {"name": "weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Oslo"}'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                               "function": {"name": "time", "arguments": "{}"}}]}),
        chunk({}, "tool_calls")])
    starts = [e for e in events if e["type"] == "content_block_start"]
    assert [(s["index"], s["content_block"]["type"]) for s in starts] == [(0, "text"), (1, "tool_use"), (2, "tool_use")]
    assert starts[1]["content_block"]["id"] == "call_1" and starts[1]["content_block"]["name"] == "weather"
    json_parts = [e["delta"]["partial_json"] for e in events
                  if e["type"] == "content_block_delta" and e["index"] == 1]
    assert json.loads("".join(json_parts)) == {"city": "Oslo"}
    assert [e["index"] for e in events if e["type"] == "content_block_stop"] == [0, 1, 2]
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    # no usage reported: the estimate stands
    assert events[-2]["usage"] == {"input_tokens": 9, "output_tokens": 0}


def test_a_broken_stream_ends_with_an_error_event():
    enc = MessageEvents("auto")
    text = enc.chunk(chunk({"content": "Hel"})) + enc.chunk(
        {"error": {"message": "upstream reset", "type": "overloaded", "code": 529}})
    assert enc.end() == ""
    events = parse_events(text)
    assert events[-1] == {"type": "error", "error": {"type": "overloaded_error", "message": "upstream reset"}}
    assert "message_stop" not in [e["type"] for e in events]


def test_an_empty_stream_still_starts_and_stops():
    assert [e["type"] for e in run([])] == ["message_start", "ping", "message_delta", "message_stop"]


@pytest.mark.parametrize("status, kind", [
    (400, "invalid_request_error"), (401, "authentication_error"), (403, "permission_error"),
    (404, "not_found_error"), (413, "request_too_large"), (422, "invalid_request_error"),
    (429, "rate_limit_error"), (500, "api_error"), (502, "api_error"), (503, "overloaded_error"),
    (529, "overloaded_error")])
def test_error_types(status, kind):
    assert error_body(status, "m") == {"type": "error", "error": {"type": kind, "message": "m"}}


# ---- the official SDK against a real gateway --------------------------------------------------
import anthropic  # noqa: E402
import httpx  # noqa: E402

from gateway_harness import RunningGateway  # noqa: E402
from policylang.gateway import GatewayConfig  # noqa: E402
from policylang.gateway.auth import Client, hash_key  # noqa: E402
from policylang.runtime import RetryPolicy  # noqa: E402
from policylang.runtime.facts import count_prompt_tokens  # noqa: E402

GATEWAY_POLICY = """
import std
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
provider ge {{ adapter = gemini    base_url = "{url}/v1beta" api_key = env("FAKE_GE_KEY") default = ge-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  context = 100_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 context = 100_000 }}
model ge-1 {{ provider = ge id = "gemini-fake" input = 1 output = 2  context = 100_000 }}
{quality}
pinned_oa: when requested_model == oa-1 route oa-1
pinned_ge: when requested_model == ge-1 route ge-1
pinned_an: when requested_model == an-1 route an-1
paid: when tier == pro route oa-1
default route an-1 fallback [oa-1]
"""
LEARNED = "quality by task learned with prior 5 {\n  an-1: {chat: 0.9}\n}"
QUICK = RetryPolicy(retries=0, backoff_base=0.001, backoff_cap=0.002)
ATTRIBUTION = ("x-request-id", "x-policylang-rule", "x-policylang-model", "x-policylang-provider",
               "x-policylang-attempts", "x-policylang-decision-us", "x-policylang-policy")
HI = [{"role": "user", "content": "hello gateway"}]


@pytest.fixture
def gateway_policy(tmp_path, fake, monkeypatch):
    def write(quality=""):
        for k in ("FAKE_OA_KEY", "FAKE_AN_KEY", "FAKE_GE_KEY"):
            monkeypatch.setenv(k, "sk-test-0123456789abcdef")
        fake.clear()
        path = tmp_path / "messages.policy"
        path.write_text(GATEWAY_POLICY.format(url=fake.url, quality=quality))
        return str(path)
    return write


@pytest.fixture
def gateway(gateway_policy):
    with RunningGateway(GatewayConfig(policy=gateway_policy(), retry=QUICK)) as gw:
        yield gw


def sdk(gw, **kw):
    """The SDK as a user points it at the gateway: base URL only (no /v1: the SDK adds it)."""
    kw.setdefault("api_key", "unused")
    return anthropic.Anthropic(base_url=gw.url, max_retries=0, **kw)


def test_messages_create_with_attribution_headers(gateway, fake):
    raw = sdk(gateway).messages.with_raw_response.create(
        model="auto", max_tokens=40, system="be brief", messages=HI, stop_sequences=["END"],
        extra_body={"temperature": 0.1})   # this SDK no longer sends it; older ones and raw HTTP do
    msg = raw.parse()
    assert [b.text for b in msg.content] == ["Hello from claude-fake: hello gateway"]
    assert msg.id.startswith("msg_") and msg.type == "message" and msg.role == "assistant"
    assert msg.model == "claude-fake" and msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens > 0 and msg.usage.output_tokens > 0
    assert all(h in raw.headers for h in ATTRIBUTION)
    assert raw.headers["x-policylang-rule"] == "default" and raw.headers["x-policylang-model"] == "an-1"
    assert float(raw.headers["x-policylang-cost-usd"]) > 0
    sent = fake.requests[-1]   # Anthropic's wire again, from the Chat Completions form
    assert sent.wire == "anthropic" and sent.body["system"] == "be brief"
    assert sent.body["messages"] == HI and sent.body["max_tokens"] == 40
    assert sent.body["temperature"] == 0.1 and sent.body["stop_sequences"] == ["END"]
    assert sent.headers["x-api-key"] == "sk-test-0123456789abcdef"  # the provider's key, not the client's


@pytest.mark.parametrize("model, name", [("oa-1", "gpt-fake"), ("ge-1", "gemini-fake"), ("an-1", "claude-fake")])
def test_every_wire_answers_a_pinned_messages_request_plain_and_streamed(gateway, model, name):
    c = sdk(gateway)
    raw = c.messages.with_raw_response.create(model=model, max_tokens=50, messages=[
        {"role": "user", "content": [{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}]}])
    assert raw.parse().content[0].text == f"Hello from {name}: hi there"
    assert raw.headers["x-policylang-model"] == model and raw.headers["x-policylang-requested-model"] == model
    with c.messages.stream(model=model, max_tokens=50, messages=[{"role": "user", "content": "streamed please"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == final.content[0].text == f"Hello from {name}: streamed please"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0 and final.usage.input_tokens > 0


def test_stream_true_is_the_real_event_sequence_with_headers(gateway):
    with sdk(gateway).messages.with_streaming_response.create(
            model="auto", max_tokens=50, messages=HI, stream=True) as raw:
        assert all(h in raw.headers for h in ATTRIBUTION)
        assert raw.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in raw.iter_lines() if line]
    events = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert events[:4] == ["message_start", "ping", "content_block_start", "content_block_delta"]
    assert events[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert lines[-1].startswith(": policylang ") and '"cost_usd"' in lines[-1]  # the trailer, a comment
    events = list(sdk(gateway).messages.create(model="auto", max_tokens=50, messages=HI, stream=True))
    assert [e.type for e in events][-2:] == ["message_delta", "message_stop"]
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == \
        "Hello from claude-fake: hello gateway"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("model, wire", [("auto", "anthropic"), ("oa-1", "openai"), ("ge-1", "gemini")])
def test_a_tool_round_trip(gateway, fake, stream, model, wire):
    c = sdk(gateway)
    tools = [{"name": "lookup", "description": "look it up",
              "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}}}]
    history = [{"role": "user", "content": "the weather in Oslo"}]

    def ask():
        if not stream:
            return c.messages.create(model=model, max_tokens=100, messages=history, tools=tools)
        with c.messages.stream(model=model, max_tokens=100, messages=history, tools=tools) as s:
            return s.get_final_message()

    first = ask()
    assert first.stop_reason == "tool_use" and fake.requests[-1].wire == wire
    [call] = first.content
    assert (call.type, call.name, call.input) == ("tool_use", "lookup", {"text": "the weather in Oslo"})
    history += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "12 degrees"}]}]
    answer = ask()
    assert answer.stop_reason == "end_turn"
    assert answer.content[0].text == f"Hello from {fake.requests[-1].model}: 12 degrees"


def test_count_tokens_is_the_gateways_own_count(gateway, fake):
    c = sdk(gateway)
    system, messages = "be brief", [{"role": "user", "content": "how many tokens is this prompt?"}]
    counted = c.messages.count_tokens(model="auto", system=system, messages=messages)
    chat = to_chat({"model": "auto", "system": system, "messages": messages}, count_only=True)
    assert counted.input_tokens == count_prompt_tokens(chat) > 0
    assert fake.received == 0  # no provider called
    with pytest.raises(anthropic.NotFoundError) as info:
        c.messages.count_tokens(model="claude-nope", messages=messages)
    assert info.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as info:
        c.messages.count_tokens(model="auto", messages=[{"role": "robot", "content": "hi"}])
    assert info.value.body["error"]["message"].startswith("messages.0.role: ")


def test_model_auto_and_pinned(gateway):
    c = sdk(gateway)
    raw = c.messages.with_raw_response.create(model="auto", max_tokens=20, messages=HI)
    assert "x-policylang-requested-model" not in raw.headers and raw.headers["x-policylang-rule"] == "default"
    raw = c.messages.with_raw_response.create(model="oa-1", max_tokens=20, messages=HI)
    assert raw.headers["x-policylang-rule"] == "pinned_oa" and raw.headers["x-policylang-model"] == "oa-1"


def test_facts_from_metadata_and_the_header(gateway, fake):
    c = sdk(gateway)
    raw = c.messages.with_raw_response.create(model="auto", max_tokens=20, messages=HI,
                                              metadata={"user_id": "u-42", "tier": "pro"})
    assert raw.headers["x-policylang-rule"] == "paid"
    assert fake.requests[-1].body["user"] == "u-42"   # Anthropic's user_id: the end user, upstream
    long = "user_" + "f" * 64 + "_account__session_" + "0" * 36   # Claude Code's are this long
    c.messages.create(model="oa-1", max_tokens=20, messages=HI, metadata={"user_id": long})
    assert fake.requests[-1].body["user"] == hashlib.sha256(long.encode()).hexdigest()  # OpenAI's bound: 64
    c.messages.create(model="an-1", max_tokens=20, messages=HI, metadata={"user_id": "u-42"})
    assert fake.requests[-1].body["metadata"] == {"user_id": "u-42"}  # and on Anthropic's wire, its own field
    raw = c.messages.with_raw_response.create(model="auto", max_tokens=20, messages=HI,
                                              extra_headers={"x-policylang-facts": '{"tier": "pro"}'})
    assert raw.headers["x-policylang-rule"] == "paid"
    with pytest.raises(anthropic.UnprocessableEntityError) as info:
        c.messages.create(model="auto", max_tokens=20, messages=HI, metadata={"tier": "gold"})
    assert info.value.body["type"] == "error" and info.value.body["error"]["type"] == "invalid_request_error"
    assert info.value.body["error"]["message"].startswith("tier: ")


def test_a_failing_anthropic_upstream_falls_back_to_an_openai_model(gateway, fake):
    for stream in (False, True):
        fake.clear()
        fake.fail("claude-fake", "529")
        raw = sdk(gateway).messages.with_raw_response.create(model="auto", max_tokens=20, messages=HI, stream=stream)
        assert raw.headers["x-policylang-model"] == "oa-1" and raw.headers["x-policylang-attempts"] == "2"
        if stream:
            text = "".join(e.delta.text for e in raw.parse() if e.type == "content_block_delta")
        else:
            text = raw.parse().content[0].text
        assert text == "Hello from gpt-fake: hello gateway"
        assert [r.wire for r in fake.requests] == ["anthropic", "openai"]


def test_errors_in_anthropic_shape(gateway):
    c = sdk(gateway)
    with pytest.raises(anthropic.NotFoundError) as info:
        c.messages.create(model="claude-nope", max_tokens=20, messages=HI)
    assert info.value.body["type"] == "error" and info.value.body["error"]["type"] == "not_found_error"
    assert "claude-nope" in info.value.body["error"]["message"]
    assert info.value.response.headers["x-request-id"].startswith("req_")
    with pytest.raises(anthropic.BadRequestError) as info:
        c.messages.create(model="auto", max_tokens=20, messages=[{"role": "user", "content": [{"type": "document"}]}])
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert info.value.body["error"]["message"].startswith("messages.0.content.0.type: ")
    with pytest.raises(anthropic.BadRequestError) as info:
        c.messages.create(model="auto", max_tokens=20, messages=HI,
                          tools=[{"type": "web_search_20250305", "name": "web_search"}])
    assert info.value.body["error"]["message"].startswith("tools.0.type: server tool")
    # what the SDK would not send, sent by hand
    r = httpx.post(gateway.url + "/v1/messages", json={"model": "auto", "messages": HI})
    assert r.status_code == 400 and r.json() == {"type": "error", "error": {
        "type": "invalid_request_error", "message": "max_tokens: Field required"}}
    r = httpx.post(gateway.url + "/v1/messages", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_a_stream_that_breaks_upstream_ends_with_an_error_event(gateway, fake):
    fake.fail("claude-fake", "disconnect")
    with pytest.raises(anthropic.APIStatusError) as info:
        list(sdk(gateway).messages.create(model="auto", max_tokens=20, messages=HI, stream=True))
    assert info.value.body["type"] == "error" and info.value.body["error"]["type"] == "api_error"
    fake.fail("claude-fake", "disconnect")
    with pytest.raises(anthropic.APIStatusError):
        with sdk(gateway).messages.stream(model="auto", max_tokens=20, messages=HI) as s:
            s.get_final_message()


def test_keys_as_x_api_key_or_bearer_rate_limits_and_budgets(gateway_policy):
    # a token a minute, not a second: the slow requests of a loaded machine let none back
    keys = [Client("team-a", hash_key("key-a"), {}, rate_per_minute=1, burst=1),
            Client("team-b", hash_key("key-b"), {}),
            Client("team-c", hash_key("key-c"), {}, budget_usd=0.0, budget_period="day")]
    with RunningGateway(GatewayConfig(policy=gateway_policy(), keys=keys, retry=QUICK)) as gw:
        with pytest.raises(anthropic.AuthenticationError) as info:
            sdk(gw, api_key="wrong").messages.create(model="auto", max_tokens=20, messages=HI)
        assert info.value.body["error"]["type"] == "authentication_error"
        assert "x-api-key" in info.value.body["error"]["message"]
        # the SDK's api_key goes as x-api-key, its auth_token as Authorization: Bearer
        assert sdk(gw, api_key=None, auth_token="key-b").messages.create(model="auto", max_tokens=20, messages=HI)
        assert sdk(gw, api_key="key-b").messages.count_tokens(model="auto", messages=HI).input_tokens > 0
        models = {m.id: m for m in sdk(gw, api_key="key-b").models.list().data}  # x-api-key there too
        assert models["an-1"].type == "model" and models["an-1"].max_input_tokens == 100_000
        assert models["an-1"].display_name == "an-1" and models["an-1"].created_at.year == 1970
        a = sdk(gw, api_key="key-a")
        assert a.messages.create(model="auto", max_tokens=20, messages=HI).content
        with pytest.raises(anthropic.RateLimitError) as info:
            a.messages.create(model="auto", max_tokens=20, messages=HI)
        assert info.value.body["error"]["type"] == "rate_limit_error"
        assert info.value.response.headers["retry-after"]
        with pytest.raises(anthropic.RateLimitError) as info:
            sdk(gw, api_key="key-c").messages.create(model="auto", max_tokens=20, messages=HI)
        assert "budget" in info.value.body["error"]["message"]


def test_anthropic_version_and_beta_headers_are_accepted(gateway):
    r = httpx.post(gateway.url + "/v1/messages", json={"model": "auto", "max_tokens": 20, "messages": HI},
                   headers={"anthropic-version": "2099-01-01", "anthropic-beta": "made-up-beta-2025"})
    assert r.status_code == 200 and r.json()["type"] == "message"


def test_a_message_id_takes_feedback_like_a_chat_id(gateway_policy, tmp_path):
    config = GatewayConfig(policy=gateway_policy(LEARNED), quality_db=str(tmp_path / "q.sqlite"), retry=QUICK)
    with RunningGateway(config) as gw:
        c = sdk(gw)
        facts = {"x-policylang-facts": '{"task": "chat"}'}
        plain = c.messages.create(model="auto", max_tokens=20, messages=HI, extra_headers=facts)
        with c.messages.stream(model="auto", max_tokens=20, messages=HI, extra_headers=facts) as s:
            streamed = s.get_final_message()
        for mid in (plain.id, streamed.id):
            assert mid.startswith("msg_")
            r = httpx.post(gw.url + "/v1/feedback", json={"id": mid, "pass": True})
            assert r.status_code == 200 and r.json()["model"] == "an-1", r.text
        again = httpx.post(gw.url + "/v1/feedback", json={"id": plain.id, "pass": True})
        assert again.status_code == 404


def test_metrics_count_messages_requests(gateway):
    sdk(gateway).messages.create(model="auto", max_tokens=20, messages=HI)
    text = httpx.get(gateway.url + "/metrics").text
    assert 'policylang_requests_total{endpoint="/v1/messages",model="an-1",rule="default",status="200"} 1.0' in text


# ---- the stream law: what the SDK folds from the events is what the chunks said ----------------
from anthropic.lib.streaming._messages import accumulate_event  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STREAMED = {"checked": 0, "tool calls": 0, "pieces": 0}
_pieces = st.lists(st.one_of(st.sampled_from(["", " ", "\n", "{", "\"", "data: x", "event: ping", "\\u00e9", "日本"]),
                             st.text(max_size=12)), max_size=6)


@st.composite
def chunk_streams(draw):
    """An answer as chunks: text pieces, then tool calls whose JSON arguments arrive cut anywhere."""
    text = draw(_pieces)
    calls = draw(st.lists(st.tuples(st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
                                    st.dictionaries(st.text(max_size=5), st.one_of(
                                        st.integers(), st.text(max_size=8), st.booleans(),
                                        st.sampled_from([2**63, -0.0, 1e20, None])), max_size=3)),
                          max_size=3))
    chunks = [chunk({"role": "assistant", "content": ""})] + [chunk({"content": t}) for t in text]
    for k, (name, args) in enumerate(calls):
        arguments = json.dumps(args)
        cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=3)))
        parts = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)])]
        chunks.append(chunk({"tool_calls": [{"index": k, "id": f"call_{k}", "type": "function",
                                             "function": {"name": name, "arguments": parts[0]}}]}))
        chunks += [chunk({"tool_calls": [{"index": k, "function": {"arguments": p}}]}) for p in parts[1:]]
    usage = (draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)))
    chunks += [chunk({}, "tool_calls" if calls else "stop"), chunk({}, usage=usage)]
    return "".join(text), calls, usage, chunks


@settings(max_examples=150, deadline=None)
@given(chunk_streams())
def test_the_sdk_folds_the_events_into_what_the_chunks_said(case):
    text, calls, usage, chunks = case
    events = run(chunks)   # each event validated by the SDK's types
    snapshot, bufs = None, {}
    for e in events:
        if e["type"] != "ping":
            snapshot = accumulate_event(event=e, current_snapshot=snapshot, json_bufs=bufs)
    msg = Message.model_validate(snapshot.model_dump())
    assert "".join(b.text for b in msg.content if b.type == "text") == text
    assert [(b.id, b.name, b.input) for b in msg.content if b.type == "tool_use"] == [
        (f"call_{k}", name, args) for k, (name, args) in enumerate(calls)]
    assert (msg.usage.input_tokens, msg.usage.output_tokens) == usage
    assert msg.stop_reason == ("tool_use" if calls else "end_turn")
    STREAMED["checked"] += 1
    STREAMED["tool calls"] += len(calls)
    STREAMED["pieces"] += len(chunks)


def test_the_stream_law_met_tool_calls():
    print("\nstream law:", STREAMED)
    if STREAMED["checked"]:   # run after it (file order), not alone
        assert STREAMED["checked"] >= 100 and STREAMED["tool calls"] >= 50
