"""Google Vertex AI (issue 31): `adapter = vertex` against a loopback Vertex endpoint with its own
OAuth token endpoint (policylang.testing.fake_vertex), which verifies the service account's
RS256-signed JWT assertion and then the bearer token on each call; the fake proven faithful by
Google's google-genai SDK (vertexai=True) and anthropic.AnthropicVertex, then the gateway driven
through the `openai` SDK, Gemini and Claude, plain and streamed, tools included, failing over
from one region to another; and the GCP locations `only hosted in region` reads."""
import asyncio
import json
import logging

import anthropic
import google.oauth2.service_account
import httpx
import openai
import pytest
from google import genai
from google.auth.exceptions import RefreshError
from google.genai import errors as genai_errors
from google.genai import types

import policylang
from gateway_harness import RunningGateway
from policylang.gateway import GatewayConfig
from policylang.policy import PolicyError
from policylang.providers import HttpxHTTP, make_adapter
from policylang.providers import errors as provider_errors
from policylang.providers.base import StreamState
from policylang.providers.vertex import endpoint
from policylang.runtime import RetryPolicy
from policylang.semantics import ir
from policylang.semantics.locations import TABLE
from policylang.testing.fake_vertex import FakeVertex

PROJECT = "my-project"
GEMINI, CLAUDE = "gemini-2.0-flash", "claude-sonnet-4@20250514"
MSG = [{"role": "user", "content": "hello vertex"}]
QUICK = RetryPolicy(retries=1, backoff_base=0.001, backoff_cap=0.002)
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "Look a word up",
                                           "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}]


@pytest.fixture(scope="module")
def netherlands():
    with FakeVertex(project=PROJECT, location="europe-west4") as f:
        yield f


@pytest.fixture(scope="module")
def belgium():
    with FakeVertex(project=PROJECT, location="europe-west1") as f:
        yield f


@pytest.fixture
def adc(monkeypatch, tmp_path, netherlands, belgium):
    """Application Default Credentials: a service account's key file whose token_uri is the
    Netherlands fake's; Belgium accepts the tokens it grants (Google's one token endpoint)."""
    key = netherlands.service_account()
    belgium.trust(netherlands)
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(key))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")  # never a metadata server off this machine
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    return key


def credentials(key):
    return google.oauth2.service_account.Credentials.from_service_account_info(key, scopes=[SCOPE])


def gemini_sdk(fake, key):
    return genai.Client(vertexai=True, project=PROJECT, location=fake.location, credentials=credentials(key),
                        http_options=types.HttpOptions(base_url=fake.url, api_version="v1"))


def claude_sdk(fake, key):
    return anthropic.AnthropicVertex(region=fake.location, project_id=PROJECT, credentials=credentials(key),
                                     base_url=fake.url + "/v1", max_retries=0)


# ---- the fake is Vertex as Google's and Anthropic's SDKs see it ----------------------------------


def test_google_genai_gets_generate_content_plain_and_streamed(netherlands, adc):
    netherlands.clear()
    client = gemini_sdk(netherlands, adc)
    done = client.models.generate_content(model=GEMINI, contents="hello vertex")
    assert done.text == f"Hello from {GEMINI}: hello vertex" and done.usage_metadata.candidates_token_count > 0
    pieces = [c.text for c in client.models.generate_content_stream(model=GEMINI, contents="hello vertex")]
    assert "".join(pieces) == f"Hello from {GEMINI}: hello vertex" and len(pieces) > 1
    got = netherlands.requests[-1]
    assert got.path == f"/v1/projects/{PROJECT}/locations/europe-west4/publishers/google/models/{GEMINI}:streamGenerateContent"
    assert got.headers["authorization"].startswith("Bearer ya29.fake-") and netherlands.tokens == 1


def test_google_genai_tool_round_trip(netherlands, adc):
    netherlands.clear()
    client = gemini_sdk(netherlands, adc)
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="lookup", parameters=types.Schema(type="OBJECT", properties={"text": types.Schema(type="STRING")}))])
    config = types.GenerateContentConfig(tools=[tool], automatic_function_calling={"disable": True})
    done = client.models.generate_content(model=GEMINI, contents="hello vertex", config=config)
    (call,) = done.function_calls
    assert call.name == "lookup" and call.args == {"text": "hello vertex"}


def test_anthropic_vertex_gets_raw_predict_plain_and_streamed_with_tools(netherlands, adc):
    netherlands.clear()
    client = claude_sdk(netherlands, adc)
    done = client.messages.create(model=CLAUDE, max_tokens=50, messages=MSG)
    assert done.content[0].text == f"Hello from {CLAUDE}: hello vertex" and done.stop_reason == "end_turn"
    got = netherlands.requests[-1]
    assert got.path == f"/v1/projects/{PROJECT}/locations/europe-west4/publishers/anthropic/models/{CLAUDE}:rawPredict"
    assert "anthropic_version" in got.body and "model" not in got.body
    with client.messages.stream(model=CLAUDE, max_tokens=50, messages=MSG) as s:
        assert "".join(s.text_stream) == f"Hello from {CLAUDE}: hello vertex"
    assert netherlands.requests[-1].path.endswith(":streamRawPredict")
    tools = [{"name": "lookup", "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}}}]
    done = client.messages.create(model=CLAUDE, max_tokens=50, messages=MSG, tools=tools)
    assert done.stop_reason == "tool_use" and done.content[-1].input == {"text": "hello vertex"}


def test_the_fake_checks_the_jwt_assertion_and_the_bearer_token(netherlands, adc):
    netherlands.clear()
    stranger = FakeVertex(project=PROJECT).service_account()  # a key the fake never registered...
    stranger["token_uri"] = netherlands.url + "/token"
    client = gemini_sdk(netherlands, stranger)
    with pytest.raises(RefreshError, match="invalid_grant"):
        client.models.generate_content(model=GEMINI, contents="hi")
    forged = dict(adc, private_key=stranger["private_key"])  # ...or the right email, the wrong key
    client = gemini_sdk(netherlands, forged)
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        client.models.generate_content(model=GEMINI, contents="hi")
    r = httpx.post(netherlands.url + f"/v1/projects/{PROJECT}/locations/europe-west4/publishers/google/models/"
                   f"{GEMINI}:generateContent", headers={"authorization": "Bearer ya29.made-up"}, json={})
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert netherlands.received == 0


@pytest.mark.parametrize("fault,status,code", [("resource_exhausted", 429, "RESOURCE_EXHAUSTED"),
                                               ("unavailable", 503, "UNAVAILABLE"),
                                               ("expired_token", 401, "UNAUTHENTICATED")])
def test_the_fake_injects_vertex_faults_as_google_genai_reads_them(netherlands, adc, fault, status, code):
    netherlands.clear()
    netherlands.fail(None, fault)
    client = gemini_sdk(netherlands, adc)  # held: a Client closes its connections when dropped
    with pytest.raises(genai_errors.APIError) as info:
        client.models.generate_content(model=GEMINI, contents="hi")
    assert info.value.code == status and info.value.status == code


def test_a_region_down_and_a_wrong_location_as_the_sdks_read_them(netherlands, adc):
    netherlands.clear()
    netherlands.down = True
    try:
        client = claude_sdk(netherlands, adc)
        with pytest.raises(anthropic.InternalServerError) as info:
            client.messages.create(model=CLAUDE, max_tokens=5, messages=MSG)
        assert info.value.status_code == 503
    finally:
        netherlands.down = False
    client = genai.Client(vertexai=True, project=PROJECT, location="us-central1", credentials=credentials(adc),
                          http_options=types.HttpOptions(base_url=netherlands.url, api_version="v1"))
    with pytest.raises(genai_errors.ClientError) as wrong:
        client.models.generate_content(model=GEMINI, contents="hi")
    assert wrong.value.code == 404


# ---- the adapter ------------------------------------------------------------------------------


def run(fake, call, model_id=GEMINI, project=PROJECT):
    async def go():
        provider = ir.Provider("p", "vertex", fake.url, None, location=fake.location, project=project)
        async with httpx.AsyncClient() as client:
            adapter = make_adapter(provider, HttpxHTTP(client))
            return await call(adapter, ir.Model("m", "p", model_id))
    return asyncio.run(go())


def read(body):
    async def go(a, m):
        state = StreamState()
        chunks = [c async for c in a.stream(m, body, 5, state)]
        return chunks, state
    return go


@pytest.mark.parametrize("model_id", [GEMINI, CLAUDE])
def test_the_adapter_reads_tool_calls_usage_and_finish_reasons(netherlands, adc, model_id):
    netherlands.clear()
    done = run(netherlands, lambda a, m: a.complete(m, {"messages": MSG, "tools": TOOLS}, 5), model_id)
    message = done.response["choices"][0]["message"]
    assert done.response["choices"][0]["finish_reason"] == "tool_calls"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"text": "hello vertex"}
    assert done.prompt_tokens and done.completion_tokens
    chunks, state = run(netherlands, read({"messages": MSG}), model_id)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == f"Hello from {model_id}: hello vertex"
    assert state.finish_reason == "stop" and state.completion_tokens
    publisher = "anthropic" if model_id == CLAUDE else "google"
    got = netherlands.requests[-1]
    assert f"/publishers/{publisher}/models/" in got.path and "model" not in got.body
    if model_id == CLAUDE:
        assert got.body["anthropic_version"] == "vertex-2023-10-16" and got.path.endswith(":streamRawPredict")


def test_tokens_are_reused_until_they_near_expiry_then_refreshed(netherlands, adc):
    netherlands.clear()

    async def three(a, m):
        for _ in range(3):
            await a.complete(m, {"messages": MSG}, 5)
    run(netherlands, three)
    assert netherlands.tokens == 1  # one exchange for three calls
    netherlands.clear()
    netherlands.token_lifetime = 120  # inside google-auth's refresh threshold: refreshed before each call
    try:
        run(netherlands, three)
    finally:
        netherlands.token_lifetime = 3600
    assert netherlands.tokens == 3 and netherlands.received == 3


def test_an_expired_token_is_a_clear_auth_failure_and_the_next_call_gets_a_new_one(netherlands, adc):
    netherlands.clear()

    async def twice(a, m):
        await a.complete(m, {"messages": MSG}, 5)
        netherlands.fail(None, "expired_token")
        with pytest.raises(provider_errors.AuthFailed, match="UNAUTHENTICATED") as info:
            await a.complete(m, {"messages": MSG}, 5)
        assert adc["private_key"] not in str(info.value)
        return await a.complete(m, {"messages": MSG}, 5)
    assert run(netherlands, twice).response["choices"][0]["message"]["content"]
    assert netherlands.tokens == 2


def test_faults_map_to_the_retried_classes_and_missing_credentials_are_clear(netherlands, adc, monkeypatch):
    for fault, kind in (("resource_exhausted", provider_errors.RateLimited), ("unavailable", provider_errors.Overloaded)):
        netherlands.clear()
        netherlands.fail(None, fault)
        with pytest.raises(kind):
            run(netherlands, lambda a, m: a.complete(m, {"messages": MSG}, 5))
    netherlands.clear()
    netherlands.fail(None, "resource_exhausted")
    with pytest.raises(provider_errors.RateLimited):
        run(netherlands, read({"messages": MSG}), CLAUDE)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/sa.json")
    with pytest.raises(provider_errors.AuthFailed, match="GOOGLE_APPLICATION_CREDENTIALS"):
        run(netherlands, lambda a, m: a.complete(m, {"messages": MSG}, 5))


@pytest.mark.parametrize("model_id", [GEMINI, CLAUDE])
def test_the_health_probe_counts_tokens_and_reads_the_region(netherlands, adc, model_id):
    netherlands.clear()
    run(netherlands, lambda a, m: a.probe(m, 5), model_id)
    assert netherlands.received == 0  # nothing ran a model
    netherlands.down = True
    try:
        with pytest.raises(provider_errors.Overloaded):
            run(netherlands, lambda a, m: a.probe(m, 5), model_id)
    finally:
        netherlands.down = False


def test_without_project_the_credentials_name_it(netherlands, adc, monkeypatch):
    netherlands.clear()
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    run(netherlands, lambda a, m: a.complete(m, {"messages": MSG}, 5), project=None)  # the key's project_id
    assert netherlands.requests[-1].path.startswith(f"/v1/projects/{adc['project_id']}/locations/europe-west4/")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "another-project")  # the environment wins, as in Google's SDKs
    with pytest.raises(provider_errors.NotFound):
        run(netherlands, lambda a, m: a.complete(m, {"messages": MSG}, 5), project=None)


def test_the_default_endpoint_follows_the_location():
    assert endpoint("europe-west4") == "https://europe-west4-aiplatform.googleapis.com"
    assert endpoint("global") == "https://aiplatform.googleapis.com"


# ---- the gateway through the openai SDK ----------------------------------------------------------

POLICY = """
import std
provider nl {{ adapter = vertex base_url = "{nl}" project = "{project}" location = "europe-west4" default = claude-nl }}
provider be {{ adapter = vertex base_url = "{be}" project = "{project}" location = "europe-west1" default = claude-be }}
model claude-nl {{ provider = nl id = "{claude}" input = 3 output = 15 }}
model claude-be {{ provider = be id = "{claude}" input = 3 output = 15 }}
model gemini-nl {{ provider = nl id = "{gemini}" input = 0.1 output = 0.4 }}
gemini: when requested_model == gemini-nl route gemini-nl
default route claude-nl fallback [claude-be]
"""


def start(tmp_path, netherlands, belgium):
    netherlands.clear()
    belgium.clear()
    path = tmp_path / "vertex.policy"
    path.write_text(POLICY.format(nl=netherlands.url, be=belgium.url, project=PROJECT, claude=CLAUDE, gemini=GEMINI))
    return RunningGateway(GatewayConfig(policy=str(path), retry=QUICK))


def sdk(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("asked,served,model_id", [("auto", "claude-nl", CLAUDE), ("gemini-nl", "gemini-nl", GEMINI)])
def test_the_gateway_answers_through_vertex(tmp_path, netherlands, belgium, adc, stream, asked, served, model_id):
    with start(tmp_path, netherlands, belgium) as gw:
        raw = sdk(gw).chat.completions.with_raw_response.create(
            model=asked, messages=MSG, stream=stream, stream_options={"include_usage": True} if stream else None)
        assert raw.headers["x-policylang-model"] == served
        answer = f"Hello from {model_id}: hello vertex"
        if stream:
            chunks = list(raw.parse())
            assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answer
            assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
            assert chunks[-1].usage.completion_tokens > 0
        else:
            done = raw.parse()
            assert done.choices[0].message.content == answer and done.usage.prompt_tokens > 0
        (got,) = netherlands.requests
        assert got.stream is stream and belgium.received == 0


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("asked,model_id", [("auto", CLAUDE), ("gemini-nl", GEMINI)])
def test_the_gateway_relays_tool_calls_both_ways(tmp_path, netherlands, belgium, adc, stream, asked, model_id):
    with start(tmp_path, netherlands, belgium) as gw:
        client = sdk(gw)
        first = client.chat.completions.create(model=asked, messages=MSG, tools=TOOLS, stream=stream)
        if stream:
            chunks = [c for c in first if c.choices]
            calls = [tc for c in chunks for tc in c.choices[0].delta.tool_calls or ()]
            call_id, name = calls[0].id, calls[0].function.name
            arguments = "".join(tc.function.arguments or "" for tc in calls)
            assert chunks[-1].choices[0].finish_reason == "tool_calls"
        else:
            (call,) = first.choices[0].message.tool_calls
            call_id, name, arguments = call.id, call.function.name, call.function.arguments
            assert first.choices[0].finish_reason == "tool_calls"
        assert name == "lookup" and json.loads(arguments) == {"text": "hello vertex"}
        then = MSG + [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "a greeting"}]
        second = client.chat.completions.create(model=asked, messages=then, tools=TOOLS)
        assert second.choices[0].message.content == f"Hello from {model_id}: a greeting"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_a_region_that_is_down_fails_over_to_the_next_region_in_one_request(tmp_path, netherlands, belgium, adc, stream):
    with start(tmp_path, netherlands, belgium) as gw:
        netherlands.down = True
        for _ in range(8):  # through the breaker's opening: each request still answered once
            raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG, stream=stream)
            assert raw.headers["x-policylang-model"] == "claude-be"
            answer = f"Hello from {CLAUDE}: hello vertex"
            if stream:
                assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices) == answer
            else:
                assert raw.parse().choices[0].message.content == answer
        assert belgium.received == 8 and "/locations/europe-west1/" in belgium.requests[-1].path
        assert gw.state.health.breaker("nl/claude-nl").peek() == "open"


def test_resource_exhausted_is_retried_then_answers(tmp_path, netherlands, belgium, adc):
    with start(tmp_path, netherlands, belgium) as gw:
        netherlands.fail(None, "resource_exhausted")
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG)
        assert raw.headers["x-policylang-model"] == "claude-nl" and netherlands.received == 2
        assert belgium.received == 0


def test_an_expired_token_reaches_the_client_clearly_and_never_shows_the_key(tmp_path, netherlands, belgium, adc, caplog):
    with start(tmp_path, netherlands, belgium) as gw:
        netherlands.fail(None, "expired_token")
        belgium.fail(None, "expired_token")
        with caplog.at_level(logging.DEBUG):
            r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 502 and "Vertex refused the access token" in r.json()["error"]["message"]
        secret = adc["private_key"].splitlines()[5]
        assert secret not in r.text and secret not in caplog.text


# ---- the language: project, location and regions ------------------------------------------------


def catalog(provider_fields: str) -> str:
    return f"provider p {{ {provider_fields} }}\nmodel m {{ provider = p id = \"d\" }}\ndefault route m\n"


@pytest.mark.parametrize("location,region", [(loc, r) for r, locs in TABLE["gcp"].items() for loc in locs])
def test_every_gcp_location_gives_its_std_region(location, region):
    policy = policylang.loads(catalog(f'adapter = vertex project = "my-project" location = "{location}"'), "t.policy")
    assert policy.ir.models["m"].regions == frozenset({region})
    assert policy.ir.providers["p"].project == "my-project"


def test_global_promises_no_region_and_london_zurich_are_not_eu():
    policy = policylang.loads(catalog('adapter = vertex project = "my-project" location = "global"'), "t.policy")
    assert policy.ir.models["m"].regions is None
    for outside in ("europe-west2", "europe-west6", "northamerica-northeast1"):
        with pytest.raises(PolicyError, match=f"location `{outside}` is not in the table"):
            policylang.loads(catalog(f'adapter = vertex project = "my-project" location = "{outside}"'), "t.policy")


@pytest.mark.parametrize("fields,message,column", [
    ('adapter = vertex project = "my-project"', 'set `location` to the Vertex location, e.g. location = "europe-west4"', 10),
    ('adapter = vertex project = "My Project" location = "europe-west4"', "takes a Google Cloud project id", 41),
    ('adapter = gemini project = "my-project"', "`project` applies to adapter = vertex, not gemini", 31),
    ('adapter = vertex location = "europe-west4" api_key = env("GOOGLE_API_KEY")', "takes no `api_key`", 57),
])
def test_project_and_location_mistakes_are_clear(fields, message, column):
    with pytest.raises(PolicyError) as info:
        policylang.loads(catalog(fields), "t.policy")
    (d,) = info.value.diagnostics
    assert message in d.message and (d.span.line, d.span.column) == (1, column)


def test_serve_refuses_a_vertex_policy_without_the_gcp_extra_and_check_only_notes_it(tmp_path, monkeypatch, capsys):
    import policylang.adapters as adapters
    from policylang.cli import main

    path = tmp_path / "v.policy"
    path.write_text('provider nl { adapter = vertex project = "my-project" location = "europe-west4" default = c }\n'
                    f'model c {{ provider = nl id = "{CLAUDE}" }}\ndefault route c\n')
    monkeypatch.setattr(adapters, "installed", lambda module: module != "google.auth")
    assert main(["serve", str(path), "--port", "0"]) == 2
    assert f"{path}:1:1: provider `nl` uses adapter = vertex, which needs its extra: " \
           "pip install 'policylang[gcp]'" in capsys.readouterr().err
    assert main(["check", "--strict", str(path)]) == 0
    out = capsys.readouterr()
    assert "0 error(s), 0 warning(s)" in out.out and "policylang[gcp]" in out.err


def test_std_declares_vertex_in_eu_and_us_and_only_hosted_in_region_keeps_eu_on_eu(tmp_path, capsys):
    policy = policylang.loads('import std\nfact region: enum {eu, us} = us\nonly hosted in region\n'
                              'eu: when region == eu route claude-sonnet-vertex-eu fallback [gemini-2.5-flash-vertex-eu]\n'
                              'default route claude-sonnet-vertex-us\n', "t.policy")
    models = policy.ir.models
    for region in ("eu", "us"):
        for name in ("claude-sonnet", "claude-haiku", "gemini-2.5-pro", "gemini-2.5-flash"):
            m = models[f"{name}-vertex-{region}"]
            assert m.regions == frozenset({region}) and m.input and m.output and m.context
    assert models["claude-sonnet-vertex-eu"].id == "claude-sonnet-4-5@20250929"
    assert policy.ir.providers["vertex-eu"].location == "europe-west1"
    # a US candidate for an EU request is removed, and `check --strict` refuses the policy saying so
    from policylang.cli import main

    path = tmp_path / "eu.policy"
    path.write_text('import std\nfact region: enum {eu, us} = us\nonly hosted in region\n'
                    'eu: when region == eu route claude-sonnet-vertex-eu fallback [claude-sonnet-vertex-us]\n'
                    'default route claude-sonnet-vertex-us\n')
    assert main(["check", "--strict", str(path)]) == 1
    assert "`claude-sonnet-vertex-us` is never a candidate of rule `eu`" in capsys.readouterr().out


def test_the_eu_example_fails_claude_over_from_bedrock_eu_to_vertex_eu_and_never_to_a_us_region():
    from helpers import ROOT
    from policylang.analysis.lint import lint
    from policylang.pipeline import front_end_text

    policy = policylang.load(ROOT / "examples" / "eu-enterprise.policy")
    assert policy.decide({"region": "eu", "task": "code"}).candidates == (
        "bedrock-eu/claude-sonnet-bedrock-eu", "vertex-eu/claude-sonnet-vertex-eu", "azure-sweden/gpt-4o-sweden")
    assert policy.decide({"region": "eu", "tokens": 150_000}).candidates == (
        "vertex-eu/gemini-2.5-pro-vertex-eu", "vertex-eu/claude-sonnet-vertex-eu")
    text = (ROOT / "examples" / "eu-enterprise.policy").read_text().replace(
        "fallback [claude-sonnet-vertex-eu, gpt-4o-sweden]", "fallback [claude-sonnet-vertex-us, gpt-4o-sweden]")
    findings = [d for d in lint(front_end_text(text, "e.policy").ir) if d.code == "removed-by-constraint"]
    assert findings and "claude-sonnet-vertex-us" in findings[0].message and "hosted in us" in findings[0].message


def test_the_js_target_tells_a_vertex_candidates_project_and_location():
    from policylang.compiler.javascript import generate_js
    from policylang.factschema import facts_schema

    policy = policylang.loads(catalog('adapter = vertex project = "my-project" location = "europe-west4"'), "t.policy")
    source = generate_js(policy.ir, facts_schema(policy.ir)).source
    assert 'location:"europe-west4",apiVersion:null,project:"my-project"' in source


# ---- laws ------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from urllib.parse import unquote, urlsplit  # noqa: E402

from policylang.providers.vertex import publisher  # noqa: E402
from policylang.providers.vertex import _Claude, _Gemini  # noqa: E402

_IDS = st.one_of(st.sampled_from([GEMINI, CLAUDE, "claude-", "claude", "Claude-x", "gemini/../../admin", "a?b#c",
                                  "m:streamGenerateContent", "%2F", "\u212aclaude", "a b", "", "x" * 300,
                                  "claude-opus-4-1@20250805/../../x"]), st.text(max_size=30),
                st.text(max_size=20).map(lambda s: "claude-" + s))
LAW_COUNTS: dict = {"ids": 0, "claude": 0, "hostile": 0}


@settings(max_examples=300, deadline=None)
@given(model_id=_IDS, stream=st.booleans())
def test_law_a_model_id_stays_one_path_segment_and_names_its_publisher(model_id, stream):
    """Whatever the id (slashes, `?`, `#`, `:`, percent signs, non-ASCII), the URL is the
    location's endpoint, the project and location as declared, the publisher the id's prefix picks,
    and one segment that decodes back to the id, followed by the method."""
    provider = ir.Provider("p", "vertex", None, None, location="europe-west4", project=PROJECT)
    model = ir.Model("m", "p", model_id)
    claude = model_id.startswith("claude-")
    inner = (_Claude if claude else _Gemini)(provider, None)
    inner.project, inner.token = PROJECT, "t"
    url, payload, headers = inner._request(model, {"messages": MSG}, stream)
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "europe-west4-aiplatform.googleapis.com"
    assert not parts.fragment
    head = f"/v1/projects/{PROJECT}/locations/europe-west4/publishers/{publisher(model_id)}/models/"
    assert parts.path.startswith(head)
    segment = parts.path[len(head):]
    assert "/" not in segment and "?" not in segment and "#" not in segment
    name, _, method = segment.rpartition(":")
    assert unquote(name) == model_id
    if claude:
        assert method == ("streamRawPredict" if stream else "rawPredict") and not parts.query
        assert payload["anthropic_version"] == "vertex-2023-10-16" and "model" not in payload
        LAW_COUNTS["claude"] += 1
    else:
        assert method == ("streamGenerateContent" if stream else "generateContent")
        assert parts.query == ("alt=sse" if stream else "") and "contents" in payload
    assert headers["authorization"] == "Bearer t"
    LAW_COUNTS["ids"] += 1
    LAW_COUNTS["hostile"] += any(c in model_id for c in "/?#%:")


def test_law_counts():
    """The law above checked hostile ids and both publishers (run after it, in file order)."""
    assert LAW_COUNTS["ids"] >= 200 and LAW_COUNTS["claude"] >= 10 and LAW_COUNTS["hostile"] >= 10, LAW_COUNTS
