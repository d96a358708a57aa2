"""FakeAzure: a loopback Azure OpenAI resource (one region's endpoint), checking requests the
way Azure does and answering in Azure's shapes.

    with FakeAzure(key="k", deployments={"gpt-4o-prod": "gpt-4o-2024-11-20"}) as az:
        ... a provider with adapter = azure, base_url = az.url, api_key from an env var holding "k"

It serves POST /openai/deployments/{deployment}/chat/completions?api-version=V (plain and
`stream: true`) and GET /openai/models?api-version=V, and refuses like Azure: no api-version,
404 "Resource not found"; an unknown one, 400 "API version not supported"; a missing or wrong
`api-key` header, 401 "Access denied due to invalid subscription key…"; an unknown deployment,
404 DeploymentNotFound. Answers carry Azure's content-filter results (a stream starts with a
chunk of prompt_filter_results and no choices). Faults, beside FakeProvider's: `429` with
Azure's token-rate-limit body (pass retry_after for its retry-after header), `content_filter`
(400, code content_filter, the prompt refused by the content management policy), and
`down = True` for a region that is down (503 ServiceUnavailable to every request, probes too),
`filter_answers = True` for answers the output filter cuts short (finish_reason content_filter).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, unquote

from .fake_provider import FakeProvider, _error, _response, _sse, _stream_events

API_VERSIONS = frozenset(
    {"2024-02-01", "2024-06-01", "2024-10-21", "2024-12-01-preview", "2025-04-01-preview"}
)
_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/chat/completions")
_SAFE = {
    k: {"filtered": False, "severity": "safe"} for k in ("hate", "self_harm", "sexual", "violence")
}

_FILTERED = {**_SAFE, "violence": {"filtered": True, "severity": "high"}}


def azure_error(status: int, kind: str) -> dict:
    """Azure's error document for a status (and a fault's kind)."""
    if kind == "content_filter":
        return {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure "
                "OpenAI's content management policy. Please modify your prompt and retry. To "
                "learn more about our content filtering policies please read our documentation: "
                "https://go.microsoft.com/fwlink/?linkid=2198766",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": _FILTERED,
                },
            }
        }
    if kind == "context":
        return _error("openai", status, kind)  # Azure passes OpenAI's through
    message = {
        401: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
        "provide a valid key for an active subscription and use a correct regional API endpoint "
        "for your resource.",
        404: "Resource not found",
        429: "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
        "2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. "
        "Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you "
        "would like to further increase the default rate limit.",
        503: "The service is temporarily unable to process your request. Please try again later.",
    }.get(status, "The server had an error processing your request.")
    code = {503: "ServiceUnavailable", 500: "InternalServerError"}.get(status, str(status))
    return {"error": {"code": code, "message": message}}


class FakeAzure(FakeProvider):
    def __init__(
        self,
        key: str = "fake-azure-key-0123456789abcdef",
        deployments: dict[str, str] | None = None,
        api_versions: frozenset[str] = API_VERSIONS,
        **kw,
    ):
        super().__init__(**kw)
        self.key = key
        self.deployments = deployments  # deployment -> the model it runs; None: any name
        self.api_versions = api_versions
        self.filter_answers = False  # True: answers end as the output filter cuts them short

    def clear(self) -> None:
        super().clear()
        self.filter_answers = False

    async def _refuse(self, writer, status: int, doc: dict) -> bool:
        await self._send(writer, status, json.dumps(doc).encode())
        return True

    async def _handle(self, method, target, headers, raw, reader, writer) -> bool:
        path, _, query = target.partition("?")
        version = (parse_qs(query).get("api-version") or [None])[0]
        if self.down:
            return await self._refuse(writer, 503, azure_error(503, "down"))
        if not path.startswith("/openai/") or version is None:
            return await self._refuse(writer, 404, azure_error(404, "404"))
        if version not in self.api_versions:
            doc = {"error": {"code": "BadRequest", "message": "API version not supported"}}
            return await self._refuse(writer, 400, doc)
        if headers.get("api-key") != self.key:
            return await self._refuse(writer, 401, azure_error(401, "401"))
        if method == "GET" and path == "/openai/models":
            data = [
                {"id": m, "object": "model"} for m in sorted(set((self.deployments or {}).values()))
            ]
            return await self._refuse(writer, 200, {"object": "list", "data": data})
        m = _DEPLOYMENT.fullmatch(path)
        if m is None:
            return await self._refuse(writer, 404, azure_error(404, "404"))
        if self.deployments is not None and unquote(m[1]) not in self.deployments:
            doc = {
                "error": {
                    "code": "DeploymentNotFound",
                    "message": "The API deployment for this resource does not exist. If you "
                    "created the deployment within the last 5 minutes, please wait a moment "
                    "and try again.",
                }
            }
            return await self._refuse(writer, 404, doc)
        return await super()._handle(method, target, headers, raw, reader, writer)

    def _route(self, path: str, body: dict) -> tuple[str, str, bool] | None:
        m = _DEPLOYMENT.fullmatch(path)
        return ("azure", unquote(m[1]), bool(body.get("stream"))) if m else None

    def _model_of(self, deployment: str) -> str:
        return (self.deployments or {}).get(deployment, "gpt-4o-2024-11-20")

    def _response_doc(self, wire: str, model: str, text: str, body: dict) -> dict:
        doc = _response("openai", self._model_of(model), text, body)
        doc["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _SAFE}]
        doc["system_fingerprint"] = "fp_azure"
        for choice in doc["choices"]:
            choice["content_filter_results"] = _SAFE
            if self.filter_answers:
                choice["message"]["content"] = None
                choice["finish_reason"] = "content_filter"
                choice["content_filter_results"] = _FILTERED
        return doc

    def _stream_docs(self, wire: str, model: str, words: list[str], text: str) -> list[str]:
        first = {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _SAFE}],
        }
        events = _stream_events("openai", self._model_of(model), words, text)
        if self.filter_answers:  # the first word, then the filter's end
            events = events[:2] + [
                e.replace('"finish_reason": "stop"', '"finish_reason": "content_filter"')
                for e in events
                if '"finish_reason": "stop"' in e or '"usage"' in e or "[DONE]" in e
            ]
        return [_sse(first)] + events

    def _error_doc(self, wire: str, status: int, kind: str) -> dict:
        return azure_error(status, kind)
