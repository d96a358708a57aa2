"""POST /v1/responses: the OpenAI Responses API, translated to Chat Completions and back.

First the pure translation (policylang/dialects/responses.py and responses_render.py), each output validated by the
official SDK's own pydantic types; then the official `openai` SDK, unchanged except for its
base URL, against a real gateway on loopback in front of fake providers of every wire format."""
import json

import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from policylang.dialects import DialectError
from policylang.dialects.responses import to_chat
from policylang.dialects.responses_render import ResponseEvents, to_response

EVENT = TypeAdapter(ResponseStreamEvent)


# ---- request: Responses -> Chat Completions --------------------------------------------------


def test_a_string_input_with_instructions_and_settings():
    chat = to_chat({"model": "auto", "input": "hi", "instructions": "be brief", "max_output_tokens": 50,
                    "temperature": 0.2, "top_p": 0.9, "metadata": {"tier": "pro"}, "store": False,
                    "user": "u1"})
    assert chat == {"model": "auto", "metadata": {"tier": "pro"}, "temperature": 0.2, "top_p": 0.9,
                    "user": "u1", "max_completion_tokens": 50,
                    "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]}


def test_messages_parts_and_a_function_call_round_trip():
    chat = to_chat({"model": "m", "stream": True, "input": [
        {"role": "developer", "content": "dev says"},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "look: "},
            {"type": "input_image", "image_url": "data:image/png;base64,AA==", "detail": "low"}]},
        {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "calling", "annotations": []}]},
        {"type": "function_call", "call_id": "call_a", "name": "f", "arguments": "{\"x\": 1}"},
        {"type": "function_call", "call_id": "call_b", "name": "g", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_a", "output": "1"},
        {"type": "function_call_output", "call_id": "call_b", "output": [{"type": "input_text", "text": "2"}]},
    ], "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"},
                  "strict": True}], "tool_choice": {"type": "function", "name": "f"}})
    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True}
    assert chat["messages"] == [
        {"role": "developer", "content": "dev says"},
        {"role": "user", "content": [{"type": "text", "text": "look: "},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==",
                                                                         "detail": "low"}}]},
        {"role": "assistant", "content": "calling", "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
            {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "1"},
        {"role": "tool", "tool_call_id": "call_b", "content": "2"},
    ]
    assert chat["tools"] == [{"type": "function", "function": {"name": "f", "description": "d",
                                                               "parameters": {"type": "object"}, "strict": True}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "f"}}


def test_a_function_call_without_a_preceding_assistant_turn_opens_one():
    chat = to_chat({"input": [{"role": "user", "content": "q"},
                              {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]})
    assert chat["messages"][1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}


def test_text_format_json_schema_and_reasoning_effort():
    chat = to_chat({"input": "x", "reasoning": {"effort": "low"}, "text": {"format": {
        "type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": True}}})
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "out", "schema": {"type": "object"}, "strict": True}}
    assert chat["reasoning_effort"] == "low"
    assert "response_format" not in to_chat({"input": "x", "text": {"format": {"type": "text"}}})


@pytest.mark.parametrize("body, param, says", [
    ({"input": "x", "previous_response_id": "resp_1"}, "previous_response_id", "keeps no conversation state"),
    ({"input": "x", "conversation": "conv_1"}, "conversation", "keeps no conversations"),
    ({"input": "x", "tools": [{"type": "web_search"}]}, "tools.0.type", "`web_search` are not supported"),
    ({"input": "x", "tools": [{"type": "function"}]}, "tools.0.name", "must be a string"),
    ({"input": []}, "input", "non-empty list"),
    ({"input": 3}, "input", "a string or a non-empty list"),
    ({"input": [{"role": "robot", "content": "x"}]}, "input.0.role", "not 'robot'"),
    ({"input": [{"role": "user", "content": [{"type": "input_text", "text": 5}]}]}, "input.0.content.0.text",
     "must be a string"),
    ({"input": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "input.0.content.0.type", "input_audio"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input.0.type", "keeps no items"),
    ({"input": [{"type": "reasoning", "summary": []}]}, "input.0.type", "`reasoning` are not supported"),
    ({"input": [{"type": "function_call_output", "output": "1"}]}, "input.0.call_id", "must be a string"),
    ({"input": "x", "max_output_tokens": 0}, "max_output_tokens", "positive integer"),
    ({"input": "x", "max_output_tokens": True}, "max_output_tokens", "positive integer"),
    ({"input": "x", "stream": "yes"}, "stream", "true or false"),
    ({"input": "x", "background": True}, "background", "not supported"),
    ({"input": "x", "include": ["reasoning.encrypted_content", "message.output_text.logprobs"]}, "include.1",
     "message.output_text.logprobs"),
    ({"input": "x", "truncation": "auto"}, "truncation", "never drops input"),
    ({"input": "x", "reasoning": {"context": "x"}}, "reasoning.context", "only `reasoning.effort`"),
    ({"input": "x", "reasoning": {"summary": 3}}, "reasoning.summary", "must be a string"),
    ({"input": "x", "text": {"format": {"type": "yaml"}}}, "text.format.type", "json_schema"),
    ({"input": "x", "tool_choice": {"type": "web_search"}}, "tool_choice", "auto, none, required"),
    ({"input": "x", "max_tool_calls": 3}, "max_tool_calls", "runs no tools"),
    ({"input": "x", "frobnicate": 1}, "frobnicate", "unknown field `frobnicate`"),
])
def test_what_it_cannot_carry_is_refused_with_the_path(body, param, says):
    with pytest.raises(DialectError) as info:
        to_chat(body)
    assert info.value.param == param
    assert says in str(info.value)


def test_stateless_fields_left_null_are_no_error():
    """The SDK and the Agents SDK send `previous_response_id: null` and `include: []`; Codex asks
    for encrypted reasoning and reasoning summaries, of which no answer has any."""
    chat = to_chat({"input": "x", "previous_response_id": None, "include": [], "truncation": "disabled",
                    "store": True})
    assert chat["messages"] == [{"role": "user", "content": "x"}]
    chat = to_chat({"input": "x", "store": False, "include": ["reasoning.encrypted_content"],
                    "reasoning": {"effort": "high", "summary": "auto"}})
    assert chat == {"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high"}


# ---- responses: Chat Completions -> Responses ------------------------------------------------


def completion(content="hello", calls=None, finish="stop", usage=True):
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {"id": "chatcmpl-abc", "object": "chat.completion", "created": 1, "model": "gpt-x",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10} if usage else None}


def test_a_completion_as_a_response_the_sdk_parses():
    r = Response.model_validate(to_response(completion(), {"input": "hi", "metadata": {"tier": "pro"}}))
    assert r.id == "resp_chatcmpl-abc" and r.object == "response" and r.status == "completed"
    assert r.output_text == "hello" and r.model == "gpt-x" and r.metadata == {"tier": "pro"}
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (7, 3, 10)
    assert r.output[0].id.startswith("msg_") and r.output[0].role == "assistant"


def test_tool_calls_become_function_call_items():
    calls = [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"c\": \"Oslo\"}"}}]
    r = Response.model_validate(to_response(completion(None, calls, "tool_calls"), {"input": "hi"}))
    [item] = r.output
    assert (item.type, item.call_id, item.name, item.arguments) == ("function_call", "call_1", "weather",
                                                                    "{\"c\": \"Oslo\"}")


def test_a_length_finish_is_incomplete_for_max_output_tokens():
    r = Response.model_validate(to_response(completion(finish="length", usage=False), {"input": "hi"}))
    assert r.status == "incomplete" and r.incomplete_details.reason == "max_output_tokens"
    assert r.usage is None


# ---- streams: chunks -> events -----------------------------------------------------------------


def chunk(delta, finish=None, usage=None, choices=True):
    return {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-x",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else [],
            **({"usage": usage} if usage else {})}


def run(chunks, end="finished"):
    r = ResponseEvents({"input": "hi"})
    events = [e for c in chunks for e in r.chunk(c)]
    events += r.finished() if end == "finished" else r.failed("upstream broke")
    parsed = [EVENT.validate_python(e) for e in events]  # the SDK's own types, strictly
    assert [e.sequence_number for e in parsed] == list(range(len(parsed)))
    return parsed


def test_a_text_stream_is_the_real_event_sequence():
    events = run([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), chunk({"content": "lo"}),
                  chunk({}, "stop"), chunk({}, usage={"prompt_tokens": 4, "completion_tokens": 2,
                                                      "total_tokens": 6}, choices=False)])
    assert [e.type for e in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed"]
    assert events[6].text == "Hello" and events[-1].response.output_text == "Hello"
    assert events[-1].response.usage.total_tokens == 6
    assert events[0].response.id == events[-1].response.id == "resp_chatcmpl-s"


def test_a_tool_call_stream_after_text():
    events = run([chunk({"content": "let me check"}),
                  chunk({"tool_calls": [{"index": 0, "id": "call_9", "type": "function",
                                         "function": {"name": "f", "arguments": ""}}]}),
                  chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]}),
                  chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
                  chunk({"tool_calls": [{"index": 1, "id": "call_10", "function": {"name": "g", "arguments": "{}"}}]}),
                  chunk({}, "tool_calls")])
    kinds = [e.type for e in events]
    assert kinds[2:] == [
        "response.output_item.added", "response.content_part.added", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done", "response.completed"]
    final = events[-1].response
    assert [(o.type, getattr(o, "call_id", None)) for o in final.output] == [
        ("message", None), ("function_call", "call_9"), ("function_call", "call_10")]
    assert final.output[1].arguments == "{\"a\": 1}" and final.output[2].name == "g"
    assert [e.output_index for e in events if e.type == "response.output_item.added"] == [0, 1, 2]


def test_a_broken_stream_ends_failed_with_what_had_arrived():
    events = run([chunk({"content": "par"})], end="failed")
    assert events[-1].type == "response.failed"
    assert events[-1].response.status == "failed" and events[-1].response.error.message == "upstream broke"
    assert events[-1].response.output[0].content[0].text == "par"


def test_a_stream_cut_at_its_limit_ends_incomplete():
    events = run([chunk({"content": "a"}), chunk({}, "length")])
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


def test_the_encoders_fast_path_writes_the_same_events():
    """ResponsesEncoder writes a text delta from a prefix (text_sse); what it writes parses to the
    events the dict path makes, ids aside."""
    from policylang.gateway.responses_api import ResponsesEncoder
    from policylang.runtime import Result

    stream = [chunk({"role": "assistant", "content": ""}), chunk({"content": "a \"quoted\"\n"}), chunk({"content": "😀"}),
              chunk({"content": "x", "refusal": None}), chunk({}, "stop"),
              chunk({}, usage={"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}, choices=False)]
    encoder = ResponsesEncoder({"input": "hi"})
    result = Result(None, "default", "up", "up-1", [], 0.0, {}, 0)
    text = "".join(encoder.chunk(c) for c in stream) + encoder.end(result)
    assert text.endswith('"cost_usd": 0.00000000}\n\n')  # the gateway's trailer comment, last
    blocks = [b for b in text.split("\n\n") if b.startswith("event: ")]
    written = [json.loads(b.split("\ndata: ", 1)[1]) for b in blocks]
    assert [b.split("\n")[0][7:] for b in blocks] == [e["type"] for e in written]
    events = ResponseEvents({"input": "hi"})
    made = [e for c in stream for e in events.chunk(c)] + events.finished()

    def ids_aside(e):
        return json.loads(json.dumps(e).replace(events.items[0]["id"], "ID").replace(
            encoder.events.items[0]["id"], "ID"))

    assert [ids_aside(e) for e in written[:-1]] == [ids_aside(e) for e in made[:-1]]
    assert len(written) == 11  # created, in_progress, added, part, 3 deltas (one fast), 3 done, completed
    for e in written:
        EVENT.validate_python(e)
    assert written[-1]["type"] == "response.completed"
    assert written[-1]["response"]["output"][0]["content"][0]["text"] == 'a "quoted"\n😀x'


def test_events_are_json():
    r = ResponseEvents({"input": "hi"})
    for e in r.chunk(chunk({"content": "x"})) + r.finished():
        assert json.loads(json.dumps(e)) == e


# ---- the law: Responses -> Chat -> each provider's wire -> back ------------------------------

import asyncio  # noqa: E402
from collections import Counter  # noqa: E402

import policylang  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from policylang.runtime import RetryPolicy, Router  # noqa: E402
from policylang.testing.fake_provider import _last_user_text  # noqa: E402

WIRES = {"openai": "/v1", "anthropic": "/v1", "gemini": "/v1beta"}
# the texts a translation could trip on: empty, whitespace, SSE and JSON syntax, the fake's own
# words, escapes, astral and combining characters, a megabyte-ish run
TRICKY = ["", " ", "\n\n", "data: [DONE]", "event: error", "{\"role\": \"system\"}", "Hello from", "\\u0000",
          "\x00", "😀", "e\u0301", "a" * 5000, "resp_", "call_1", "</s>", "\r\n"]
TEXT = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
# function names as OpenAI allows them, the ids' own prefixes among them
TOOL_NAME = st.one_of(st.sampled_from(["resp_", "call_1", "fc_", "_", "a" * 64]),
                      st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,30}", fullmatch=True))
ROLE = st.sampled_from(["user", "assistant", "system", "developer"])


@st.composite
def requests(draw):
    """A Responses request: instructions or not, messages as strings or parts, the last a user's."""
    items = []
    for role in draw(st.lists(ROLE, max_size=4)) + ["user"]:
        text = draw(TEXT)
        if role == "user" and draw(st.booleans()):
            words = text.split(" ")
            content = [{"type": "input_text", "text": w + (" " if i < len(words) - 1 else "")}
                       for i, w in enumerate(words)]
        elif role == "assistant" and draw(st.booleans()):
            content = [{"type": "output_text", "text": text, "annotations": []}]
        else:
            content = text
        items.append({"type": "message", "role": role, "content": content})
    body = {"model": "auto", "input": items}
    if draw(st.booleans()):
        body["instructions"] = draw(TEXT)
    return body


def expected_turns(chat: dict):
    """(system texts, [(user|assistant, [texts])]) of a chat body: what every wire carries, roles
    that alternate, consecutive turns of one role merged."""
    system, turns = [], []
    for m in chat["messages"]:
        content = m["content"]
        text = content if isinstance(content, str) else "".join(p["text"] for p in content)
        if m["role"] in ("system", "developer"):
            system.append(text)
        elif turns and turns[-1][0] == m["role"]:
            turns[-1][1].append(text)
        else:
            turns.append((m["role"], [text]))
    return system, turns


def wire_turns(wire: str, body: dict):
    """(system texts, turns) as the provider received them."""
    if wire == "gemini":
        system = [p["text"] for p in (body.get("systemInstruction") or {}).get("parts", [])]
        turns = [("assistant" if c["role"] == "model" else "user", [p["text"] for p in c["parts"]])
                 for c in body["contents"]]
        return system, turns
    if wire == "anthropic":
        system = [body["system"]] if "system" in body else []
        return system, [(m["role"], [m["content"]]) for m in body["messages"]]
    return expected_turns(body)


def wire_tools(wire: str, body: dict) -> list[tuple]:
    """(name, parameters) of each tool as the provider received it."""
    if wire == "anthropic":
        return [(t["name"], t["input_schema"]) for t in body["tools"]]
    if wire == "gemini":
        return [(d["name"], d["parameters"]) for d in body["tools"][0]["functionDeclarations"]]
    return [(t["function"]["name"], t["function"]["parameters"]) for t in body["tools"]]


def wire_round_trip(wire: str, body: dict) -> tuple:
    """What ties the last call to its result on the wire: the call's id and the result's."""
    if wire == "anthropic":
        call = [b for b in body["messages"][-2]["content"] if b["type"] == "tool_use"][-1]
        result = [b for b in body["messages"][-1]["content"] if b["type"] == "tool_result"][-1]
        return call["id"], result["tool_use_id"]
    if wire == "gemini":
        call = [p for p in body["contents"][-2]["parts"] if "functionCall" in p][-1]["functionCall"]
        result = [p for p in body["contents"][-1]["parts"] if "functionResponse" in p][-1]["functionResponse"]
        return call["name"], result["name"]
    return body["messages"][-2]["tool_calls"][-1]["id"], body["messages"][-1]["tool_call_id"]


def policy_for(url: str, wire: str):
    """A policy whose one rule routes to a model of the wire's provider."""
    return policylang.loads(f"""
provider p {{ adapter = {wire} base_url = "{url}{WIRES[wire]}" api_key = env("FAKE_KEY") default = m }}
model m {{ provider = p id = "{wire}-model" input = 1 output = 2 context = 100_000 }}
default route m
""")


def test_content_roles_tool_calls_and_usage_survive_every_wire_and_back(fake, monkeypatch):
    """Responses -> Chat Completions -> the router -> each provider's wire (the OpenAI, Anthropic
    and Gemini fakes) -> back to a Response or its events, which the SDK's types validate: each
    message's text reaches the provider under its role, the provider's answer comes back
    word for word, its usage number for number; a function call and its
    output make the round trip, on every wire."""
    monkeypatch.setenv("FAKE_KEY", "sk-fake-0123456789")
    policies = {wire: policy_for(fake.url, wire) for wire in WIRES}
    counts: Counter = Counter()

    async def through(wire, chat, body, stream):
        async with Router(policies[wire], retry=RetryPolicy(retries=0)) as router:
            if not stream:
                return to_response((await router.complete(chat)).response, body), None
            events = ResponseEvents(body)
            out = [e async for c in router.stream(chat) for e in events.chunk(c)] + events.finished()
            return out[-1]["response"], out

    @settings(max_examples=40, deadline=None)
    @given(body=requests(), stream=st.booleans(), tool=st.one_of(st.none(), TOOL_NAME))
    def law(body, stream, tool):
        if tool is not None:
            body = {**body, "tools": [{"type": "function", "name": tool, "parameters": {"type": "object"}}]}
        chat = to_chat({**body, "stream": stream})
        for wire in WIRES:
            fake.clear()
            response, events = asyncio.run(through(wire, chat, body, stream))
            received = fake.requests[-1]
            r = Response.model_validate(response)
            if events is not None:
                for e in events:
                    EVENT.validate_python(e)
                counts["events validated by the SDK's types"] += len(events)
            sent_system, sent_turns = wire_turns(wire, received.body)
            system, turns = expected_turns(chat)
            if wire == "openai":
                assert [m["role"] for m in received.body["messages"]] == [m["role"] for m in chat["messages"]]
                assert sent_system == system and sent_turns == turns
            else:  # one system text, each turn's texts joined (the Anthropic adapter: blank lines)
                assert "\n\n".join(sent_system) == "\n\n".join(system)
                assert [r for r, _ in sent_turns] == [r for r, _ in turns]
                assert ["\n\n".join(t) for _, t in sent_turns] == ["\n\n".join(t) for _, t in turns]
            counts["messages carried"] += len(chat["messages"])
            quoted = _last_user_text(wire, received.body)  # the fake quotes the last user turn
            if tool is not None:
                [call] = r.output
                assert (call.type, call.name, json.loads(call.arguments)) == ("function_call", tool, {"text": quoted})
                assert wire_tools(wire, received.body) == [(tool, {"type": "object"})]
                # the round trip: the call and its output sent back, the answer quotes the output
                follow = {**body, "input": body["input"] + [
                    {"type": "function_call", "call_id": call.call_id, "name": tool, "arguments": call.arguments},
                    {"type": "function_call_output", "call_id": call.call_id, "output": "42 " + quoted}]}
                fake.clear()
                response, _ = asyncio.run(through(wire, to_chat({**follow, "stream": stream}), follow, stream))
                assert wire_round_trip(wire, fake.requests[-1].body) == (
                    (call.call_id, call.call_id) if wire != "gemini" else (tool, tool))  # Gemini: by name
                r = Response.model_validate(response)
                quoted = "42 " + quoted
                counts[f"{wire} function calls round-tripped"] += 1
            reply = f"Hello from {wire}-model: {quoted}"
            assert r.output_text == reply and r.status == "completed"
            if stream:  # the fake's streams report 7 prompt tokens and a token a word
                reported = (7, max(1, len(reply.split(" "))))
            else:
                prompt = json.dumps(fake.requests[-1].body.get("messages") or fake.requests[-1].body.get("contents"))
                reported = (max(1, len(prompt.split())), max(1, len(reply.split())))
            assert (r.usage.input_tokens, r.usage.output_tokens) == reported
            assert r.usage.total_tokens == sum(reported)
            counts[f"{wire} {'streamed' if stream else 'plain'}"] += 1

    law()
    print(dict(counts))
    for wire in WIRES:
        assert counts[f"{wire} streamed"] and counts[f"{wire} plain"], counts
        assert counts[f"{wire} function calls round-tripped"], counts


# ---- the official SDK against a real gateway --------------------------------------------------

import httpx  # noqa: E402
import openai  # noqa: E402

from gateway_harness import RunningGateway  # noqa: E402
from policylang.gateway import GatewayConfig  # noqa: E402
from policylang.gateway.auth import Client, hash_key  # noqa: E402

GATEWAY_POLICY = """
import std
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
provider ge {{ adapter = gemini    base_url = "{url}/v1beta" api_key = env("FAKE_GE_KEY") default = ge-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1 output = 2  context = 100_000 }}
model an-1 {{ provider = an id = "claude-fake" input = 3 output = 15 context = 100_000 }}
model ge-1 {{ provider = ge id = "gemini-fake" input = 1 output = 2  context = 100_000 }}
{quality}
pinned_an: when requested_model == an-1 route an-1
pinned_ge: when requested_model == ge-1 route ge-1
paid: when tier == pro route an-1 fallback [oa-1]
default route oa-1 fallback [an-1]
"""
LEARNED = "quality by task learned with prior 5 {\n  oa-1: {chat: 0.9}\n}"


@pytest.fixture
def gateway_policy(tmp_path, fake, monkeypatch):
    def write(quality=""):
        for k in ("FAKE_OA_KEY", "FAKE_AN_KEY", "FAKE_GE_KEY"):
            monkeypatch.setenv(k, "sk-test-0123456789abcdef")
        fake.clear()
        path = tmp_path / "responses.policy"
        path.write_text(GATEWAY_POLICY.format(url=fake.url, quality=quality))
        return str(path)
    return write


@pytest.fixture
def gateway(gateway_policy):
    with RunningGateway(GatewayConfig(policy=gateway_policy(), reload_interval=0.2)) as gw:
        yield gw


def sdk(gw, **kw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=kw.pop("api_key", "unused"), max_retries=0, **kw)


ATTRIBUTION = ("x-request-id", "x-policylang-rule", "x-policylang-model", "x-policylang-provider",
               "x-policylang-attempts", "x-policylang-decision-us", "x-policylang-policy")


def test_responses_create_with_attribution_headers(gateway, fake):
    raw = sdk(gateway).responses.with_raw_response.create(
        model="auto", input="hello gateway", instructions="be brief", max_output_tokens=40, temperature=0.1)
    r = raw.parse()
    assert r.output_text == "Hello from gpt-fake: hello gateway" and r.status == "completed"
    assert r.id.startswith("resp_") and r.object == "response" and r.model == "gpt-fake"
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens > 0
    assert all(h in raw.headers for h in ATTRIBUTION)
    assert raw.headers["x-policylang-rule"] == "default" and raw.headers["x-policylang-model"] == "oa-1"
    sent = fake.requests[-1].body   # what the provider saw: Chat Completions
    assert sent["messages"] == [{"role": "system", "content": "be brief"},
                                {"role": "user", "content": "hello gateway"}]
    assert sent["max_completion_tokens"] == 40 and sent["temperature"] == 0.1 and "input" not in sent


def test_every_wire_answers_a_responses_request_plain_and_streamed(gateway):
    """model pinned to each provider's model: the policy's pin rules route it there."""
    c = sdk(gateway)
    for model, name in (("oa-1", "gpt-fake"), ("an-1", "claude-fake"), ("ge-1", "gemini-fake")):
        raw = c.responses.with_raw_response.create(model=model, input=[
            {"role": "user", "content": [{"type": "input_text", "text": "hi "}, {"type": "input_text", "text": "there"}]}])
        assert raw.parse().output_text == f"Hello from {name}: hi there"
        assert raw.headers["x-policylang-model"] == model and raw.headers["x-policylang-requested-model"] == model
        with c.responses.stream(model=model, input="streamed please") as stream:
            deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
            final = stream.get_final_response()
        assert "".join(deltas) == final.output_text == f"Hello from {name}: streamed please"
        assert final.usage.output_tokens > 0 and final.status == "completed"


def test_stream_true_is_the_real_event_sequence_with_headers(gateway):
    with sdk(gateway).responses.with_streaming_response.create(model="auto", input="hello gateway",
                                                               stream=True) as raw:
        assert all(h in raw.headers for h in ATTRIBUTION)
        assert raw.headers["content-type"].startswith("text/event-stream")
        events = list(raw.parse())
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == "Hello from gpt-fake: hello gateway"
    assert events[0].response.id == events[-1].response.id


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model, wire, name", [("oa-1", "openai", "gpt-fake"), ("an-1", "anthropic", "claude-fake"),
                                               ("ge-1", "gemini", "gemini-fake")])
def test_a_function_call_round_trip(gateway, fake, stream, model, wire, name):
    c = sdk(gateway)
    tools = [{"type": "function", "name": "lookup", "description": "look it up",
              "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}]
    history = [{"role": "user", "content": "the weather in Oslo"}]

    def ask():
        if not stream:
            return c.responses.create(model=model, input=history, tools=tools)
        with c.responses.stream(model=model, input=history, tools=tools) as s:
            return s.get_final_response()

    first = ask()
    [call] = first.output
    assert (call.type, call.name, json.loads(call.arguments)) == ("function_call", "lookup",
                                                                  {"text": "the weather in Oslo"})
    assert wire_tools(wire, fake.requests[-1].body) == [("lookup", tools[0]["parameters"])]
    history += [call.model_dump(exclude_none=True),   # the call as the SDK gave it, then its output
                {"type": "function_call_output", "call_id": call.call_id, "output": "12 degrees"}]
    answer = ask()
    assert answer.output_text == f"Hello from {name}: 12 degrees"
    assert wire_round_trip(wire, fake.requests[-1].body) == (
        (call.call_id, call.call_id) if wire != "gemini" else ("lookup", "lookup"))


def test_facts_from_metadata_and_the_header(gateway):
    c = sdk(gateway)
    raw = c.responses.with_raw_response.create(model="auto", input="hi", metadata={"tier": "pro"})
    assert raw.headers["x-policylang-rule"] == "paid" and raw.parse().metadata == {"tier": "pro"}
    raw = c.responses.with_raw_response.create(model="auto", input="hi",
                                               extra_headers={"x-policylang-facts": '{"tier": "pro"}'})
    assert raw.headers["x-policylang-rule"] == "paid"
    with pytest.raises(openai.UnprocessableEntityError) as info:
        c.responses.create(model="auto", input="hi", metadata={"tier": "gold"})
    assert info.value.body["code"] == "invalid_fact" and info.value.body["param"] == "tier"


def test_errors_in_openai_shape_with_the_field_path(gateway):
    c = sdk(gateway)
    with pytest.raises(openai.NotFoundError) as info:
        c.responses.create(model="gpt-nope", input="hi")
    assert info.value.body["code"] == "model_not_found" and info.value.body["param"] == "model"
    assert info.value.response.headers["x-request-id"].startswith("req_")
    with pytest.raises(openai.BadRequestError) as info:
        c.responses.create(model="auto", input=[{"role": "robot", "content": "hi"}])
    assert info.value.body["param"] == "input.0.role" and "robot" in info.value.body["message"]
    with pytest.raises(openai.BadRequestError) as info:
        c.responses.create(model="auto", input="hi", previous_response_id="resp_123")
    assert info.value.body["param"] == "previous_response_id"
    assert "keeps no conversation state" in info.value.body["message"]
    with pytest.raises(openai.BadRequestError) as info:
        c.responses.create(model="auto", input="hi", tools=[{"type": "web_search"}])
    assert info.value.body["param"] == "tools.0.type"
    r = httpx.post(gateway.url + "/v1/responses", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "empty_body"


def test_a_stream_that_breaks_upstream_ends_in_response_failed(gateway, fake):
    fake.fail("gpt-fake", "disconnect")
    events = list(sdk(gateway).responses.create(model="auto", input="hello gateway", stream=True))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.failed" and events[-1].response.status == "failed"
    assert events[-1].response.error.code == "server_error" and events[-1].response.error.message
    with pytest.raises(RuntimeError, match="response.completed"):   # what the SDK's helper makes of it
        fake.fail("gpt-fake", "disconnect")
        with sdk(gateway).responses.stream(model="auto", input="hello gateway") as s:
            s.get_final_response()


def test_rate_limits_and_budgets(gateway_policy):
    # a token a minute, not a second: the slow requests of a loaded machine let none back
    keys = [Client("team-a", hash_key("key-a"), {}, rate_per_minute=1, burst=1),
            Client("team-c", hash_key("key-c"), {}, budget_usd=0.0, budget_period="day")]
    with RunningGateway(GatewayConfig(policy=gateway_policy(), keys=keys)) as gw:
        with pytest.raises(openai.AuthenticationError) as info:
            sdk(gw, api_key="wrong").responses.create(model="auto", input="hi")
        assert info.value.body["code"] == "invalid_api_key"
        a = sdk(gw, api_key="key-a")
        assert a.responses.create(model="auto", input="hi").output_text
        with pytest.raises(openai.RateLimitError) as info:
            a.responses.create(model="auto", input="hi")
        assert info.value.body["code"] == "rate_limited" and info.value.response.headers["retry-after"]
        with pytest.raises(openai.RateLimitError) as info:
            sdk(gw, api_key="key-c").responses.create(model="auto", input="hi")
        assert info.value.body["code"] == "budget_exceeded"


def test_a_response_id_takes_feedback_like_a_chat_id(gateway_policy, tmp_path):
    config = GatewayConfig(policy=gateway_policy(LEARNED), quality_db=str(tmp_path / "q.sqlite"))
    with RunningGateway(config) as gw:
        c = sdk(gw)
        facts = {"x-policylang-facts": '{"task": "chat"}'}
        plain = c.responses.create(model="auto", input="hi", extra_headers=facts)
        with c.responses.stream(model="auto", input="hi", extra_headers=facts) as s:
            streamed = s.get_final_response()
        for rid in (plain.id, streamed.id):
            r = httpx.post(gw.url + "/v1/feedback", json={"id": rid, "pass": True})
            assert r.status_code == 200 and r.json()["model"] == "oa-1", r.text
        again = httpx.post(gw.url + "/v1/feedback", json={"id": plain.id, "pass": True})
        assert again.status_code == 404 and again.json()["error"]["code"] == "unknown_response"


def test_metrics_count_responses_requests(gateway):
    sdk(gateway).responses.create(model="auto", input="hi")
    with pytest.raises(openai.NotFoundError):
        sdk(gateway).responses.create(model="nope", input="hi")
    sdk(gateway).chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    text = httpx.get(gateway.url + "/metrics").text
    assert 'policylang_requests_total{endpoint="/v1/responses",model="",rule="",status="404"} 1.0' in text
    assert 'policylang_requests_total{endpoint="/v1/chat/completions",model="oa-1",rule="default",status="200"} 1.0' in text
    assert 'policylang_requests_total{endpoint="/v1/responses",model="oa-1",rule="default",status="200"} 1.0' in text


def test_an_openai_agents_sdk_agent_runs_its_tool_through_the_gateway(gateway, fake):
    """The OpenAI Agents SDK, which speaks only Responses: an agent with a function tool, run
    plain and streamed, calls the tool with what the model asked and answers with its result."""
    import asyncio

    from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)  # its traces would go to OpenAI
    asked = []

    @function_tool
    def lookup(text: str) -> str:
        """Look it up."""
        asked.append(text)
        return "12 degrees"

    async def run():
        client = openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key="unused", max_retries=0)
        agent = Agent(name="weather", instructions="be brief", tools=[lookup],
                      model=OpenAIResponsesModel("auto", client))
        plain = await Runner.run(agent, "weather in Oslo")
        streamed = Runner.run_streamed(agent, "weather in Bergen")
        deltas = [e.data.delta async for e in streamed.stream_events()
                  if e.type == "raw_response_event" and e.data.type == "response.output_text.delta"]
        await client.close()
        return plain.final_output, streamed.final_output, "".join(deltas)

    plain, streamed, deltas = asyncio.run(run())
    assert plain == streamed == deltas == "Hello from gpt-fake: 12 degrees"
    assert asked == ["weather in Oslo", "weather in Bergen"]
    sent = fake.requests[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    assert sent["tools"][0]["function"]["name"] == "lookup" and sent["messages"][-1]["role"] == "tool"


def test_a_responses_request_falls_back_across_wire_formats(gateway, fake):
    """The default rule's OpenAI model fails: Anthropic answers, plain and streamed, in Responses."""
    c = sdk(gateway)
    fake.fail("gpt-fake", "500", times=2)
    raw = c.responses.with_raw_response.create(model="auto", input="hello gateway")
    assert raw.parse().output_text == "Hello from claude-fake: hello gateway"
    assert raw.headers["x-policylang-model"] == "an-1" and raw.headers["x-policylang-attempts"] == "3"
    fake.fail("gpt-fake", "503", times=2)
    with c.responses.stream(model="auto", input="hello stream") as s:
        assert s.get_final_response().output_text == "Hello from claude-fake: hello stream"
    assert [r.wire for r in fake.requests[-3:]] == ["openai", "openai", "anthropic"]


def test_a_streamed_refusal_is_a_refusal_part_not_dropped():
    events = run([chunk({"role": "assistant", "content": None, "refusal": ""}), chunk({"refusal": "I can't "}),
                  chunk({"refusal": "help with that."}), chunk({}, "stop")])
    kinds = [e.type for e in events]
    assert kinds[2:] == ["response.output_item.added", "response.content_part.added", "response.refusal.delta",
                         "response.refusal.delta", "response.refusal.done", "response.content_part.done",
                         "response.output_item.done", "response.completed"]
    assert events[-4].refusal == "I can't help with that."
    [message] = events[-1].response.output
    assert message.content[0].type == "refusal" and message.content[0].refusal == "I can't help with that."
    # text after a refusal (or before one) is a message of its own, each part whole
    events = run([chunk({"content": "Sure"}), chunk({"refusal": "no"}), chunk({"content": "ok"}), chunk({}, "stop")])
    assert [(o.content[0].type, getattr(o.content[0], "text", None) or o.content[0].refusal)
            for o in events[-1].response.output] == [("output_text", "Sure"), ("refusal", "no"), ("output_text", "ok")]


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False)
                    | st.sampled_from(["", "user", "assistant", "system", "function", "function_call",
                                       "function_call_output", "message", "input_text", "input_image",
                                       "output_text", "web_search", "json_schema", "auto", "text"]) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["type", "role", "content", "text", "name", "call_id", "arguments", "output",
                                         "image_url", "format", "schema", "effort", "parameters", "id"]), inner,
                        max_size=5), max_leaves=25)
FIELDS = ["model", "input", "instructions", "max_output_tokens", "metadata", "tools", "tool_choice", "text",
          "stream", "stream_options", "store", "background", "include", "truncation", "reasoning", "temperature",
          "previous_response_id", "frobnicate"]


def test_any_body_is_a_chat_body_or_a_dialect_error_with_its_path():
    """Hostile bodies: to_chat never fails otherwise (a TypeError would be a 500), what it returns
    passes the gateway's own chat body check, and an error's param is a path into the body."""
    from pydantic import ValidationError

    from policylang.gateway.bodies import ChatBody

    counts = Counter()

    @settings(max_examples=600, deadline=None)
    @given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6), requests())
    def law(hostile, valid):
        for body in (hostile, {**valid, **hostile}):
            try:
                chat = to_chat(body)
            except DialectError as exc:
                head = exc.param.split(".")[0]
                assert head in body or (head == "input" and body.get("input") is None), (exc.param, body)
                counts["refused, param in the body"] += 1
                continue
            assert chat.get("model") == body.get("model")  # the gateway checks it: 404 or 422
            try:
                ChatBody.model_validate({k: v for k, v in chat.items() if k != "model"})
            except ValidationError:
                assert False, (body, chat)
            counts["translated"] += 1

    law()
    print(dict(counts))
    assert counts["translated"] > 50 and counts["refused, param in the body"] > 300, counts


def test_a_prompt_too_long_for_every_candidate_names_the_input(gateway_policy, tmp_path, fake):
    path = tmp_path / "small.policy"
    path.write_text(open(gateway_policy()).read().replace("context = 100_000", "context = 40"))
    with RunningGateway(GatewayConfig(policy=str(path))) as gw:
        for stream in (False, True):
            with pytest.raises(openai.BadRequestError) as info:
                sdk(gw).responses.create(model="auto", input="word " * 400, stream=stream)
            err = info.value.body
            assert (err["code"], err["param"]) == ("context_length_exceeded", "input")
            assert "longer than the context window of every candidate" in err["message"]
    assert fake.received == 0
