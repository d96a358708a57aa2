"""Anthropic's Messages API on the gateway (docs/endpoints.md): the translation to and from the
Chat Completions form (policylang/dialects/messages.py), then the official `anthropic` SDK,
unchanged but for its base URL, against a real gateway on loopback."""
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
    ({"mcp_servers": []}, "mcp_servers", "not a field"),
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
