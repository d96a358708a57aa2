"""Azure OpenAI (issue 31): `adapter = azure` against a loopback Azure resource that checks
requests the way Azure does (policylang.testing.fake_azure), the fake proven faithful by the
official `openai.AzureOpenAI` client, then the gateway driven through the `openai` SDK, plain and
streamed, failing over from one Azure region to another; and `location`, whose region
`only hosted in region` reads."""
import logging

import httpx
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policylang
from gateway_harness import RunningGateway
from helpers import ROOT
from policylang.analysis.lint import lint
from policylang.gateway import GatewayConfig
from policylang.pipeline import front_end_text
from policylang.policy import PolicyError
from policylang.providers.azure import DEFAULT_API_VERSION
from policylang.runtime import RetryPolicy
from policylang.semantics.locations import REGION_OF, TABLE, region_of
from policylang.testing import FakeAzure

KEY = "3f9c2a7d1b8e4c6fa0d5b2e9c7a1f4d8"  # Azure's keys are 32 hex digits
KEY_WESTEU = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
MSG = [{"role": "user", "content": "hello azure"}]
QUICK = RetryPolicy(retries=1, backoff_base=0.001, backoff_cap=0.002)


@pytest.fixture(scope="module")
def sweden():
    with FakeAzure(key=KEY, deployments={"gpt-4o": "gpt-4o-2024-11-20"}) as f:
        yield f


@pytest.fixture(scope="module")
def westeu():
    with FakeAzure(key=KEY_WESTEU, deployments={"gpt-4o": "gpt-4o-2024-11-20"}) as f:
        yield f


def azure_sdk(fake, key=KEY, version=DEFAULT_API_VERSION):
    return openai.AzureOpenAI(azure_endpoint=fake.url, api_key=key, api_version=version, max_retries=0)


# ---- the fake is Azure as its official client sees it ----------------------------------------


def test_the_official_azure_client_gets_answers_plain_and_streamed(sweden):
    sweden.clear()
    client = azure_sdk(sweden)
    done = client.chat.completions.create(model="gpt-4o", messages=MSG)
    assert done.choices[0].message.content == "Hello from gpt-4o: hello azure"
    assert done.model == "gpt-4o-2024-11-20" and done.usage.total_tokens > 0
    assert done.prompt_filter_results[0]["content_filter_results"]["hate"]["filtered"] is False
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[0].choices == [] and chunks[0].prompt_filter_results  # Azure's first chunk
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from gpt-4o: hello azure"
    assert chunks[-1].usage.completion_tokens > 0
    got = sweden.requests[-1]
    assert got.path == "/openai/deployments/gpt-4o/chat/completions" and got.headers["api-key"] == KEY


def test_the_fake_refuses_as_azure_does(sweden):
    sweden.clear()
    with pytest.raises(openai.AuthenticationError) as info:
        azure_sdk(sweden, key="0" * 32).chat.completions.create(model="gpt-4o", messages=MSG)
    assert info.value.body["message"].startswith("Access denied due to invalid subscription key")
    with pytest.raises(openai.BadRequestError, match="API version not supported"):
        azure_sdk(sweden, version="2019-01-01").chat.completions.create(model="gpt-4o", messages=MSG)
    with pytest.raises(openai.NotFoundError) as info:
        azure_sdk(sweden).chat.completions.create(model="gpt-5-nowhere", messages=MSG)
    assert info.value.body["code"] == "DeploymentNotFound"
    # no api-version at all (a client that forgot it): Azure's bare 404
    r = httpx.post(sweden.url + "/openai/deployments/gpt-4o/chat/completions", json={"messages": MSG},
                   headers={"api-key": KEY})
    assert r.status_code == 404 and r.json() == {"error": {"code": "404", "message": "Resource not found"}}
    sweden.fail(None, "429", retry_after=6)
    with pytest.raises(openai.RateLimitError) as info:
        azure_sdk(sweden).chat.completions.create(model="gpt-4o", messages=MSG)
    assert info.value.response.headers["retry-after"] == "6"
    assert "exceeded token rate limit" in info.value.body["message"]
    sweden.fail(None, "content_filter")
    with pytest.raises(openai.BadRequestError) as info:
        azure_sdk(sweden).chat.completions.create(model="gpt-4o", messages=MSG)
    assert info.value.body["code"] == "content_filter"
    assert info.value.body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    sweden.down = True
    with pytest.raises(openai.InternalServerError) as info:
        azure_sdk(sweden).chat.completions.create(model="gpt-4o", messages=MSG)
    assert info.value.status_code == 503
    sweden.clear()
    assert sweden.received == 0  # none of those refusals reached a deployment


def test_the_health_probe_is_the_model_listing_with_the_key(sweden, monkeypatch):
    import asyncio

    from policylang.providers import HttpxHTTP, make_adapter
    from policylang.providers import errors as provider_errors
    from policylang.semantics import ir

    model = ir.Model("m", "p", "gpt-4o")

    async def probe(key: str) -> None:
        monkeypatch.setenv("AZ_PROBE_KEY", key)
        provider = ir.Provider("p", "azure", sweden.url, "AZ_PROBE_KEY")
        async with httpx.AsyncClient() as client:
            await make_adapter(provider, HttpxHTTP(client)).probe(model, 5)

    asyncio.run(probe(KEY))  # answers: the resource is up and the key good
    with pytest.raises(provider_errors.AuthFailed) as info:
        asyncio.run(probe("f" * 32))
    assert "Access denied" in str(info.value) and "f" * 32 not in str(info.value)
    sweden.down = True
    try:
        with pytest.raises(provider_errors.Overloaded):
            asyncio.run(probe(KEY))
    finally:
        sweden.down = False


# ---- the gateway through the openai SDK --------------------------------------------------------

POLICY = """
provider sweden {{ adapter = azure base_url = "{se}" api_key = env("AZ_SE_KEY") location = swedencentral
                  default = gpt-se {se_extra} }}
provider westeu {{ adapter = azure base_url = "{we}" api_key = env("AZ_WE_KEY") location = westeurope
                  default = gpt-we }}
model gpt-se {{ provider = sweden id = "gpt-4o" input = 2.5 output = 10 }}
model gpt-we {{ provider = westeu id = "gpt-4o" input = 2.5 output = 10 }}
default route gpt-se fallback [gpt-we]
"""


def start(tmp_path, monkeypatch, sweden, westeu, se_extra="", se_url=None):
    monkeypatch.setenv("AZ_SE_KEY", KEY)
    monkeypatch.setenv("AZ_WE_KEY", KEY_WESTEU)
    sweden.clear()
    westeu.clear()
    path = tmp_path / "azure.policy"
    path.write_text(POLICY.format(se=se_url or sweden.url, we=westeu.url, se_extra=se_extra))
    return RunningGateway(GatewayConfig(policy=str(path), retry=QUICK))


def sdk(gw):
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_the_gateway_calls_the_deployment_with_the_key_and_the_api_version(
        tmp_path, monkeypatch, sweden, westeu, stream):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG, stream=stream)
        assert raw.headers["x-policylang-model"] == "gpt-se"
        if stream:
            text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
        else:
            text = raw.parse().choices[0].message.content
        assert text == "Hello from gpt-4o: hello azure"
        (got,) = sweden.requests
        assert got.path == "/openai/deployments/gpt-4o/chat/completions" and got.stream is stream
        assert got.headers["api-key"] == KEY and "authorization" not in got.headers
        assert westeu.received == 0


def test_a_providers_api_version_is_the_query_azure_reads(tmp_path, monkeypatch, sweden, westeu):
    sweden.api_versions = frozenset({"2025-04-01-preview"})  # this resource knows only that one
    try:
        with start(tmp_path, monkeypatch, sweden, westeu) as gw:
            # the default version is refused there (a 400 is the request's: not sent to westeu)
            with pytest.raises(openai.BadRequestError, match="API version not supported"):
                sdk(gw).chat.completions.create(model="auto", messages=MSG)
        with start(tmp_path, monkeypatch, sweden, westeu, se_extra='api_version = "2025-04-01-preview"') as gw:
            raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG)
            assert raw.headers["x-policylang-model"] == "gpt-se"
    finally:
        sweden.api_versions = FakeAzure().api_versions


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_a_region_that_is_down_fails_over_to_the_next_region_in_one_request(
        tmp_path, monkeypatch, sweden, westeu, stream):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        sweden.down = True
        for _ in range(8):  # through the breaker's opening: each request still answered once
            raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG, stream=stream)
            assert raw.headers["x-policylang-model"] == "gpt-we"
            if stream:
                assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices) \
                    == "Hello from gpt-4o: hello azure"
            else:
                assert raw.parse().choices[0].message.content == "Hello from gpt-4o: hello azure"
        assert westeu.received == 8 and westeu.requests[-1].headers["api-key"] == KEY_WESTEU
        assert gw.state.health.breaker("sweden/gpt-se").peek() == "open"


def test_a_rate_limited_region_passes_the_request_to_the_next(tmp_path, monkeypatch, sweden, westeu):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        sweden.fail(None, "429", times=2, retry_after=60)  # longer than the gateway waits
        raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG)
        assert raw.headers["x-policylang-model"] == "gpt-we"
        assert sweden.received == 1  # its retry-after is past what a retry would wait for


def test_a_deployment_the_resource_lacks_is_left_for_the_next_region(tmp_path, monkeypatch, sweden, westeu):
    sweden.deployments = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}  # no gpt-4o here
    try:
        with start(tmp_path, monkeypatch, sweden, westeu) as gw:
            raw = sdk(gw).chat.completions.with_raw_response.create(model="auto", messages=MSG)
            assert raw.headers["x-policylang-model"] == "gpt-we" and raw.headers["x-policylang-attempts"] == "2"
    finally:
        sweden.deployments = {"gpt-4o": "gpt-4o-2024-11-20"}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_a_prompt_azures_content_filter_refuses_is_a_400_with_azures_message(
        tmp_path, monkeypatch, sweden, westeu, stream):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        sweden.fail(None, "content_filter")
        with pytest.raises(openai.BadRequestError) as info:
            sdk(gw).chat.completions.create(model="auto", messages=MSG, stream=stream)
        assert "content management policy" in info.value.body["message"]
        assert westeu.received == 0


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_an_answer_azures_output_filter_cut_short_reaches_the_client_as_azure_sent_it(
        tmp_path, monkeypatch, sweden, westeu, stream):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        sweden.filter_answers = True
        got = sdk(gw).chat.completions.create(model="auto", messages=MSG, stream=stream)
        if stream:
            chunks = [c for c in got if c.choices]
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"
            assert chunks[-1].choices[0].finish_reason == "content_filter"
        else:
            assert got.choices[0].finish_reason == "content_filter" and got.choices[0].message.content is None
        assert westeu.received == 0  # an answer, not a failure: nothing to fall back from


def test_a_wrong_key_is_an_auth_failure_that_never_shows_the_key(tmp_path, monkeypatch, sweden, westeu, caplog):
    with start(tmp_path, monkeypatch, sweden, westeu) as gw:
        monkeypatch.setenv("AZ_WE_KEY", "0123456789abcdef0123456789abcdef")
        sweden.fail(None, "500", times=2)
        assert gw.reload()
        with caplog.at_level(logging.DEBUG):
            r = httpx.post(gw.url + "/v1/chat/completions", json={"model": "auto", "messages": MSG}, timeout=10)
        assert r.status_code == 502
        assert "Access denied due to invalid subscription key" in r.json()["error"]["message"]
        for secret in (KEY, "0123456789abcdef0123456789abcdef"):
            assert secret not in r.text and secret not in caplog.text


# ---- location and regions ------------------------------------------------------------------------


def catalog(provider_fields: str) -> str:
    return f"provider p {{ {provider_fields} }}\nmodel m {{ provider = p id = \"d\" }}\ndefault route m\n"


@pytest.mark.parametrize("location,region", [
    (loc, region) for cloud in TABLE.values() for region, locs in cloud.items() for loc in locs])
def test_every_listed_location_gives_its_region(location, region):
    text = catalog(f'adapter = azure base_url = "https://r.openai.azure.com" location = {location.upper()}')
    policy = policylang.loads(text, "t.policy")
    assert policy.ir.providers["p"].regions == frozenset({region}) == policy.ir.models["m"].regions
    assert policy.ir.providers["p"].location == location and region_of(location) == region


def test_written_regions_win_over_the_location_and_an_unlisted_location_needs_them():
    text = catalog('adapter = azure base_url = "https://r.openai.azure.com" location = uksouth regions = [uk]')
    assert policylang.loads(text, "t.policy").ir.models["m"].regions == frozenset({"uk"})
    text = catalog('adapter = azure base_url = "https://r.openai.azure.com" location = "swedencentrl"')
    with pytest.raises(PolicyError) as info:
        policylang.loads(text, "t.policy")
    (d,) = info.value.diagnostics
    assert d.code == "invalid-value" and (d.span.line, d.span.column) == (1, text.index('"swedencentrl"') + 1)
    assert "location `swedencentrl` is not in the table" in d.message
    assert d.message.endswith("did you mean `swedencentral`?")


@pytest.mark.parametrize("fields,message,at", [
    ('adapter = azure location = westeurope', "set `base_url` to the resource endpoint", "p {"),
    ('adapter = openai api_version = "2024-10-21"', "`api_version` applies to adapter = azure, not openai",
     "api_version"),
    ('adapter = azure base_url = "https://r.openai.azure.com" api_version = "latest"',
     "`api_version` takes Azure's date form", '"latest"'),
    ('adapter = azure base_url = "https://r.openai.azure.com" location = [eu]', "`location` takes a name", "[eu]"),
])
def test_azure_settings_mistakes_are_errors_with_a_position(fields, message, at):
    text = catalog(fields)
    with pytest.raises(PolicyError) as info:
        policylang.loads(text, "t.policy")
    (d,) = info.value.diagnostics
    assert d.code == "invalid-value" and message in d.message
    assert (d.span.line, d.span.column) == (1, text.index(at) + 1)


def test_the_docs_table_of_locations_is_the_one_the_checker_reads():
    text = (ROOT / "docs" / "language.md").read_text()
    section = text[text.index("### Cloud locations"):text.index("### Constraints")]
    for column, cloud in ((2, "azure"), (3, "aws")):
        for region, locations in TABLE[cloud].items():
            (row,) = [ln for ln in section.splitlines() if ln.startswith(f"| `{region}` |")]
            written = [w.split(" (")[0].strip() for w in row.split("|")[column].split(",")]
            assert written == list(locations)


def test_only_hosted_in_region_keeps_us_deployments_from_eu_requests():
    policy = policylang.load(ROOT / "examples" / "eu-enterprise.policy")
    eu = policy.decide({"region": "eu"})
    assert eu.candidates == ("azure-sweden/gpt-4o-sweden", "azure-westeu/gpt-4o-westeu", "mistral/mistral-large")
    assert policy.decide({"region": "us"}).candidates[0] == "azure-us/gpt-4o-us"
    # a US deployment in the EU rule is refused by check with an example request
    text = (ROOT / "examples" / "eu-enterprise.policy").read_text().replace(
        "fallback [gpt-4o-westeu, mistral-large]", "fallback [gpt-4o-us]")
    checked = front_end_text(text, "e.policy")
    findings = [d for d in lint(checked.ir) if d.code == "removed-by-constraint"]
    assert findings and "gpt-4o-us" in findings[0].message and "hosted in us" in findings[0].message


# ---- the law: a location gives the listed region, or needs regions beside it ----------------------

_LISTED = sorted(REGION_OF)


def _near(name: str):
    """A listed name's neighbours: each one-character deletion, doubling and swap, and its case."""
    out = {name, name.upper(), name.title(), name + "1", " " + name, name.replace("e", "\u0435")}
    for i in range(len(name)):
        out |= {name[:i] + name[i + 1:], name[:i] + name[i] + name[i:], name[:i] + "-" + name[i:]}
    return sorted(out)


_NEIGHBOURS = sorted({n for name in _LISTED for n in _near(name)})
_ADVERSARIAL = ["", "eu", "us", "apac", "\u212aoreacentral", "SWEDENCENTRAL", "\u0130taly", "westeurope\x00",
                "eu-central-1", "europe-west4", "uksouth", "x" * 5000, "ſwedencentral", "swedencentral\n"]


@settings(max_examples=400, deadline=None)
@given(location=st.one_of(st.sampled_from(_LISTED), st.sampled_from(_NEIGHBOURS),
                          st.sampled_from(_ADVERSARIAL), st.text(max_size=20)),
       written=st.sampled_from([None, [], ["eu"], ["us", "apac"], ["uk"]]))
def test_law_a_location_gives_its_listed_region_or_needs_regions(location, written):
    regions = "" if written is None else f"regions = [{', '.join(written)}]"
    quoted = '"' + location.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = catalog(f'adapter = azure base_url = "https://r.openai.azure.com" location = {quoted} {regions}')
    listed = location.isascii() and location.lower() in REGION_OF
    COUNTS["listed" if listed else "unlisted"] += 1
    COUNTS["written" if written is not None else "derived"] += 1
    try:
        policy = policylang.loads(text, "t.policy")
    except PolicyError as exc:
        errors = [d for d in exc.diagnostics if d.severity == "error"]
        if any(d.code == "syntax-error" for d in errors):  # a control character the lexer refuses
            COUNTS["unparsable"] += 1
            return
        assert written is None and not listed, [d.message for d in errors]
        (d,) = errors
        assert d.code == "invalid-value" and d.message.startswith("location `")
        assert (d.span.line, d.span.column) == (1, text.index(" location = ") + len(" location = ") + 1)
        COUNTS["refused"] += 1
        return
    p = policy.ir.providers["p"]
    assert p.regions == (frozenset(written) if written is not None else frozenset({REGION_OF[location.lower()]}))
    assert policy.ir.models["m"].regions == p.regions
    COUNTS["accepted"] += 1


COUNTS: dict = {k: 0 for k in ("listed", "unlisted", "written", "derived", "refused", "accepted", "unparsable")}


def test_the_location_law_checked_each_kind():
    """Runs after the law (file order): what it really checked."""
    print(COUNTS)
    if COUNTS["accepted"] + COUNTS["refused"] == 0:
        pytest.skip("the law did not run in this session")
    assert COUNTS["listed"] >= 20 and COUNTS["unlisted"] >= 100 and COUNTS["refused"] >= 20
    assert COUNTS["written"] >= 100 and COUNTS["accepted"] >= 100


def test_hovering_a_provider_shows_its_location_and_the_region_it_gives():
    from policylang.lsp import describe

    policy = policylang.load(ROOT / "examples" / "eu-enterprise.policy").ir
    assert describe(policy, "azure-sweden") == (
        "**provider** `azure-sweden`: adapter `azure`, base URL `https://contoso-sweden.openai.azure.com`, "
        "default model `gpt-4o-sweden`, location `swedencentral`, hosted in eu")
    assert describe(policy, "azure-us").endswith("location `eastus2`, hosted in us")
