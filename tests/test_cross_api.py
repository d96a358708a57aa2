"""Any inbound API to any provider (#30): content, roles, tool calls and usage survive every
in→out pair — {Chat Completions, Anthropic Messages, OpenAI Responses} in, the Chat Completions form between,
{openai, anthropic, gemini} wires out, and back.

Two halves: a tool round trip (call, result, answer) through the Router and each adapter against
the loopback fake provider, plain and streamed; and a property test over the translations
themselves, with conversations hypothesis draws (the wires' own reserved words, JSON in text,
empty and whitespace texts, big and negative numbers in arguments), read back from each wire
by readers written here, independently of the adapters."""
import asyncio
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policylang
from policylang.dialects import messages as messages_dialect
from policylang.dialects import responses as responses_dialect
from policylang.dialects import responses_render
from policylang.providers.anthropic import from_message, to_messages
from policylang.providers.gemini import from_response, to_contents
from policylang.runtime import RetryPolicy, Router

KEYS = {"FAKE_OA_KEY": "sk-test-openai-0123456789abcdef", "FAKE_AN_KEY": "sk-ant-test-0123456789abcdef",
        "FAKE_GE_KEY": "AIzaFAKE0123456789abcdefghijklmn"}
FAST = RetryPolicy(retries=0, attempt_timeout=5.0, total_timeout=10.0)
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "look it up",
                                           "parameters": {"type": "object",
                                                          "properties": {"text": {"type": "string"}}}}}]


def make_policy(url, target):
    return policylang.loads(f"""
provider oa {{ adapter = openai    base_url = "{url}/v1"     api_key = env("FAKE_OA_KEY") default = oa-1 }}
provider an {{ adapter = anthropic base_url = "{url}/v1"     api_key = env("FAKE_AN_KEY") default = an-1 }}
provider ge {{ adapter = gemini    base_url = "{url}/v1beta" api_key = env("FAKE_GE_KEY") default = ge-1 }}
model oa-1 {{ provider = oa id = "gpt-fake"    input = 1   output = 2 }}
model an-1 {{ provider = an id = "claude-fake" input = 3   output = 15 }}
model ge-1 {{ provider = ge id = "gemini-fake" input = 0.3 output = 2.5 }}
default route {target}
""")


async def _answer(router, body, stream):
    """(message, finish_reason, usage) of one answer, plain or streamed (chunks folded)."""
    if not stream:
        result = await router.complete(body)
        choice = result.response["choices"][0]
        return choice["message"], choice["finish_reason"], result.usage
    s = router.stream({**body, "stream": True, "stream_options": {"include_usage": True}})
    text, calls, finish, usage = "", {}, None, None
    async for chunk in s:
        assert "error" not in chunk, chunk
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            delta = choice["delta"]
            text += delta.get("content") or ""
            for call in delta.get("tool_calls") or ():
                got = calls.setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
                got["id"] = call.get("id") or got["id"]
                got["name"] += (call.get("function") or {}).get("name") or ""
                got["arguments"] += (call.get("function") or {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message = {"content": text or None, "tool_calls": [
        {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
        for _, c in sorted(calls.items())]}
    return message, finish, usage


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("target, wire", [("oa", "openai"), ("an", "anthropic"), ("ge", "gemini")])
def test_a_tool_round_trip_through_each_adapter(fake, monkeypatch, target, wire, stream):
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)
    fake.clear()
    policy = make_policy(fake.url, target)

    async def go():
        async with Router(policy, retry=FAST) as router:
            asked = [{"role": "system", "content": "use tools"},
                     {"role": "user", "content": "weather in Oslo"}]
            message, finish, usage = await _answer(router, {"messages": asked, "tools": TOOLS}, stream)
            assert finish == "tool_calls" and not message.get("content")
            [call] = message["tool_calls"]
            assert call["function"]["name"] == "lookup"
            assert json.loads(call["function"]["arguments"]) == {"text": "weather in Oslo"}
            assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
            sent = fake.requests[-1]
            assert sent.wire == wire
            # the tools reached the provider in its own shape
            if wire == "anthropic":
                assert sent.body["tools"][0]["name"] == "lookup" and sent.body["system"] == "use tools"
            elif wire == "gemini":
                assert sent.body["tools"][0]["functionDeclarations"][0]["name"] == "lookup"
            answered = asked + [
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call["id"], "content": "-3C and snow"}]
            message, finish, _ = await _answer(router, {"messages": answered, "tools": TOOLS}, stream)
            assert finish == "stop" and "-3C and snow" in message["content"]
            sent = fake.requests[-1].body
            if wire == "anthropic":  # the call and its result, linked by the call's id
                assert sent["messages"][1]["content"][0]["type"] == "tool_use"
                result = sent["messages"][2]["content"][0]
                assert result == {"type": "tool_result", "tool_use_id": call["id"], "content": "-3C and snow"}
            elif wire == "gemini":  # linked by the function's name: Gemini has no call ids
                assert sent["contents"][2]["parts"][0]["functionResponse"] == {
                    "name": "lookup", "response": {"content": "-3C and snow"}}

    asyncio.run(go())


# ---- the property: every in→out pair, as translations ------------------------------------------
# A conversation is a list of turns, in a neutral form both inbound APIs and every wire can
# carry: ("system", text), ("user", text), ("assistant", text, calls), ("results", [(call, text)]).
# Each call is (id, name, arguments). Roles alternate, as every API here requires.
TRICKY = ["", " ", "\n\n", "{\"role\": \"system\"}", "tool_use", "</s>", "[DONE]", "data: x",
          "ünïcødé ✓ 日本語", "\\u0000", "a" * 300]
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))
visible = texts.filter(lambda t: t.strip() != "")  # what a turn says when it says something
names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,15}", fullmatch=True)
scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 2**63, -(2**63), 10**20, 1e20, -0.0, 0.1, 1e-300]),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), texts)
arguments = st.dictionaries(names, st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)), max_leaves=6), max_size=4)


@st.composite
def conversations(draw):
    turns = []
    if draw(st.booleans()):
        turns.append(("system", draw(visible)))
    counter = 0
    for _ in range(draw(st.integers(1, 3))):
        turns.append(("user", draw(visible)))
        calls = []
        for _ in range(draw(st.integers(0, 2))):
            counter += 1
            calls.append((f"call_{counter}", draw(names), draw(arguments)))
        text = draw(visible) if not calls or draw(st.booleans()) else ""
        turns.append(("assistant", text, calls))
        if calls:
            turns.append(("results", [(c[0], draw(visible)) for c in calls]))
    if turns[-1][0] != "results":
        turns.append(("user", draw(visible)))
    return turns


def as_chat(turns):
    out = []
    for turn in turns:
        if turn[0] in ("system", "user"):
            out.append({"role": turn[0], "content": turn[1]})
        elif turn[0] == "assistant":
            m = {"role": "assistant", "content": turn[1] or None}
            if turn[2]:
                m["tool_calls"] = [{"id": i, "type": "function",
                                    "function": {"name": n, "arguments": json.dumps(a)}} for i, n, a in turn[2]]
            out.append(m)
        else:
            out += [{"role": "tool", "tool_call_id": i, "content": t} for i, t in turn[1]]
    return {"model": "auto", "messages": out, "tools": TOOLS}


def as_messages(turns):
    out, system = [], None
    for turn in turns:
        if turn[0] == "system":
            system = turn[1]
        elif turn[0] == "user":
            out.append({"role": "user", "content": turn[1]})
        elif turn[0] == "assistant":
            blocks = [{"type": "text", "text": turn[1]}] if turn[1] else []
            blocks += [{"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in turn[2]]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": i, "content": t} for i, t in turn[1]]})
    body = {"model": "auto", "max_tokens": 100, "messages": out,
            "tools": [{"name": "lookup", "input_schema": TOOLS[0]["function"]["parameters"]}]}
    if system is not None:
        body["system"] = system
    return body


def as_responses(turns):
    items, instructions = [], None
    for turn in turns:
        if turn[0] == "system":
            instructions = turn[1]
        elif turn[0] == "user":
            items.append({"role": "user", "content": turn[1]})
        elif turn[0] == "assistant":
            if turn[1]:
                items.append({"type": "message", "role": "assistant",
                              "content": [{"type": "output_text", "text": turn[1]}]})
            items += [{"type": "function_call", "call_id": i, "name": n, "arguments": json.dumps(a)}
                      for i, n, a in turn[2]]
        else:
            items += [{"type": "function_call_output", "call_id": i, "output": t} for i, t in turn[1]]
    body = {"model": "auto", "input": items,
            "tools": [{"type": "function", "name": "lookup", "parameters": TOOLS[0]["function"]["parameters"]}]}
    if instructions is not None:
        body["instructions"] = instructions
    return body


INBOUND = {"chat": lambda turns: as_chat(turns),
           "messages": lambda turns: messages_dialect.to_chat(as_messages(turns)),
           "responses": lambda turns: responses_dialect.to_chat(as_responses(turns))}


# Readers of each wire's request, back to the neutral turns (call ids where the wire has them).
def read_openai(body):
    turns = []
    for m in body["messages"]:
        if m["role"] == "tool":
            if turns[-1][0] != "results":
                turns.append(("results", []))
            turns[-1][1].append((m["tool_call_id"], m["content"]))
        elif m["role"] == "assistant":
            turns.append(("assistant", m["content"] or "", [
                (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
                for c in m.get("tool_calls") or ()]))
        else:
            turns.append((m["role"], m["content"]))
    return turns


def read_anthropic(body):
    turns = [("system", body["system"])] if "system" in body else []
    for m in body["messages"]:
        blocks = m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
        if m["role"] == "assistant":
            text = "".join(b["text"] for b in blocks if b["type"] == "text")
            turns.append(("assistant", text, [(b["id"], b["name"], b["input"]) for b in blocks
                                              if b["type"] == "tool_use"]))
            continue
        results = [(b["tool_use_id"], b["content"]) for b in blocks if b["type"] == "tool_result"]
        if results:
            turns.append(("results", results))
        turns += [("user", b["text"]) for b in blocks if b["type"] == "text"]
    return turns


def read_gemini(body):
    turns = [("system", body["systemInstruction"]["parts"][0]["text"])] if "systemInstruction" in body else []
    for c in body["contents"]:
        parts = c["parts"]
        if c["role"] == "model":
            text = "".join(p.get("text", "") for p in parts)
            turns.append(("assistant", text, [(None, p["functionCall"]["name"], p["functionCall"]["args"])
                                              for p in parts if "functionCall" in p]))
            continue
        results = [(p["functionResponse"]["name"], p["functionResponse"]["response"]["content"])
                   for p in parts if "functionResponse" in p]
        if results:
            turns.append(("results", results))
        turns += [("user", p["text"]) for p in parts if "text" in p]
    return turns


def expected_for(wire, turns):
    """What the wire must carry: the turns, less what the wire has no place for (Gemini: call
    ids; a result names its function instead)."""
    if wire != "gemini":
        return turns
    names = {i: n for t in turns if t[0] == "assistant" for i, n, _ in t[2]}
    out = []
    for t in turns:
        if t[0] == "assistant":
            out.append(("assistant", t[1], [(None, n, a) for _, n, a in t[2]]))
        elif t[0] == "results":
            out.append(("results", [(names[i], text) for i, text in t[1]]))
        else:
            out.append(t)
    return out


WIRES = {"openai": (lambda chat: chat, read_openai), "anthropic": (to_messages, read_anthropic),
         "gemini": (to_contents, read_gemini)}
CHECKED: Counter = Counter()


@pytest.mark.parametrize("wire", sorted(WIRES))
@pytest.mark.parametrize("inbound", sorted(INBOUND))
@settings(max_examples=40, deadline=None)
@given(turns=conversations())
def test_requests_survive_every_inbound_api_and_wire(turns, inbound, wire):
    chat = INBOUND[inbound](turns)
    write, read = WIRES[wire]
    sent = write(chat)
    assert read(sent) == expected_for(wire, turns)
    if wire != "openai":
        assert sent["tools"]  # the tools went too
    CHECKED[(inbound, wire)] += 1
    CHECKED["turns"] += len(turns)
    CHECKED["calls"] += sum(len(t[2]) for t in turns if t[0] == "assistant")


# Answers: text and/or calls, with usage, written as each wire answers, read by each adapter,
# rendered for each inbound API, and read back.
@st.composite
def answers(draw):
    calls = [(f"toolu_{k}", draw(names), draw(arguments)) for k in range(draw(st.integers(0, 2)))]
    text = draw(visible) if not calls or draw(st.booleans()) else ""
    usage = (draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)))
    return text, calls, usage


def wire_answer(wire, text, calls, usage):
    p, c = usage
    if wire == "anthropic":
        content = ([{"type": "text", "text": text}] if text else []) + [
            {"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in calls]
        doc = {"type": "message", "role": "assistant", "model": "claude-x", "content": content,
               "stop_reason": "tool_use" if calls else "end_turn", "usage": {"input_tokens": p, "output_tokens": c}}
        return from_message(doc, "claude-x").response
    if wire == "gemini":
        parts = ([{"text": text}] if text else []) + [{"functionCall": {"name": n, "args": a}} for _, n, a in calls]
        doc = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c}}
        return from_response(doc, "gemini-x").response
    message = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [{"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                                 for i, n, a in calls]
    return {"id": "chatcmpl-1", "model": "gpt-x", "choices": [
        {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}


def read_chat_answer(completion):
    m = completion["choices"][0]["message"]
    calls = [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in m.get("tool_calls") or ()]
    u = completion["usage"]
    return m["content"] or "", calls, (u["prompt_tokens"], u["completion_tokens"]), completion["choices"][0]["finish_reason"]


def read_message_answer(completion):
    from anthropic.types import Message
    msg = Message.model_validate(messages_dialect.to_message(completion))
    text = "".join(b.text for b in msg.content if b.type == "text")
    calls = [(b.id, b.name, b.input) for b in msg.content if b.type == "tool_use"]
    return text, calls, (msg.usage.input_tokens, msg.usage.output_tokens), msg.stop_reason


def read_response_answer(completion):
    from openai.types.responses import Response
    r = Response.model_validate(responses_render.to_response(completion, {"model": "auto"}))
    calls = [(i.call_id, i.name, json.loads(i.arguments)) for i in r.output if i.type == "function_call"]
    return r.output_text, calls, (r.usage.input_tokens, r.usage.output_tokens), r.status


OUTBOUND = {"chat": (read_chat_answer, {"stop": "stop", "calls": "tool_calls"}),
            "responses": (read_response_answer, {"stop": "completed", "calls": "completed"}),
            "messages": (read_message_answer, {"stop": "end_turn", "calls": "tool_use"})}


@pytest.mark.parametrize("outbound", sorted(OUTBOUND))
@pytest.mark.parametrize("wire", sorted(WIRES))
@settings(max_examples=40, deadline=None)
@given(answer=answers())
def test_answers_survive_every_wire_and_inbound_api(answer, wire, outbound):
    text, calls, usage = answer
    completion = wire_answer(wire, text, calls, usage)
    read, reasons = OUTBOUND[outbound]
    got_text, got_calls, got_usage, reason = read(completion)
    assert got_text == text
    if wire == "gemini":  # ids are the gateway's own: unique, and the rest survives
        assert len({i for i, _, _ in got_calls}) == len(got_calls)
        got_calls = [(i, n, a) for (_, n, a), (i, _, _) in zip(got_calls, calls)]
    assert got_calls == calls
    assert got_usage == usage
    assert reason == reasons["calls" if calls else "stop"]
    CHECKED[(wire, outbound, "answer")] += 1


def test_every_pair_was_checked():
    """Runs after the two properties (file order): each in→out pair met, and how often."""
    print("\ncross-API checks:", dict(CHECKED))
    pairs = [(i, w) for i in INBOUND for w in WIRES]
    back = [(w, o, "answer") for w in WIRES for o in OUTBOUND]
    if CHECKED:  # run alone (-k), the properties did not run before it
        assert all(CHECKED[p] >= 20 for p in pairs + back), dict(CHECKED)
        assert CHECKED["calls"] > 100
