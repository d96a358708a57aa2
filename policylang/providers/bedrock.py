"""AWS Bedrock: the Converse and ConverseStream APIs of bedrock-runtime, signed with SigV4.

`location` is the AWS region (eu-central-1): it names the signing scope and, without a
`base_url`, the endpoint https://bedrock-runtime.{region}.amazonaws.com. A model's `id` is the
Bedrock model id or inference profile (`eu.anthropic.claude-3-7-sonnet-20250219-v1:0`).
Credentials come from the AWS default chain as botocore resolves it (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY with AWS_SESSION_TOKEN, AWS_PROFILE and the shared files, SSO, web
identity, the container and instance metadata); refreshable ones are refreshed by botocore.
Each request is signed by botocore's SigV4Auth and sent over the gateway's own transport.

    POST {base}/model/{id}/converse         JSON in, JSON out
    POST {base}/model/{id}/converse-stream  JSON in, application/vnd.amazon.eventstream out

The stream's binary frames (prelude, headers, payload, CRCs) are decoded by botocore's
EventStreamBuffer, fed the bytes as they arrive. Errors are named by the `x-amzn-ErrorType`
header (or the body's `__type`): ThrottlingException and ModelNotReadyException (429) are rate
limits, ServiceUnavailableException (503) an overload, both retried with backoff by the
runtime; ExpiredTokenException (403) says the credentials expired. botocore is the `aws` extra
(pip install 'policylang[aws]'): this module is imported only by a policy that uses bedrock."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.eventstream import EventStreamBuffer, InvalidHeadersLength, ParserError
from botocore.session import get_session

from .. import jsonio
from ..chat import (
    call_arguments,
    chat_completion,
    chunk,
    completion_id,
    max_tokens,
    stops,
    text_of,
    tool_call,
    user_parts,
)
from ..semantics import ir
from . import errors
from .base import Completion, HTTPAdapter, StreamState, http_error, parse_json
from .transport import UPSTREAM_HEADERS, Timeouts, TransportFailure, TransportTimeout

SERVICE = "bedrock"  # the signing name of bedrock-runtime
_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
# AWS's error types and the status their class in providers.base.http_error reads
_STATUS = {
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "ModelStreamErrorException": 500,
    "ModelTimeoutException": 408,
    "ValidationException": 400,
}


def endpoint(region: str) -> str:
    return f"https://bedrock-runtime.{region}.amazonaws.com"


# an image's media type as Converse names its format
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def _user_blocks(content) -> list[dict]:
    """A user message's texts and images as Converse blocks, in order. Converse takes an image
    as its bytes (base64 in JSON: a data: URL's payload as it came) or an s3:// location; any
    other URL, or a media type it lacks, cannot be carried: errors.Unsupported, before sending,
    so the request goes to the next candidate. Empty texts are left out (Converse refuses a
    blank text block); a turn left with none gets its one block in to_converse."""
    blocks: list[dict] = []
    for kind, value, media in user_parts(content):
        if kind == "text":
            if value:
                blocks.append({"text": value})
        elif media is not None:
            fmt = _IMAGE_FORMATS.get(media.lower())
            if fmt is None:
                raise errors.Unsupported(
                    f"Bedrock's Converse takes png, jpeg, gif and webp images, not {media!r}"
                )
            blocks.append({"image": {"format": fmt, "source": {"bytes": value}}})
        elif value.startswith("s3://"):
            fmt = _IMAGE_FORMATS.get("image/" + value.rsplit(".", 1)[-1].lower())
            if fmt is None:
                raise errors.Unsupported(
                    "Bedrock needs an s3:// image's format: name it .png, .jpeg, .jpg, .gif or "
                    ".webp"
                )
            blocks.append({"image": {"format": fmt, "source": {"s3Location": {"uri": value}}}})
        else:
            scheme = value.split(":", 1)[0] if ":" in value else "a relative"
            raise errors.Unsupported(
                f"Bedrock's Converse takes an image as a data: URL or an s3:// location, not "
                f"by {scheme} URL"
            )
    return blocks


def to_converse(body: dict) -> dict:
    """An OpenAI chat body as a Converse body: system messages as `system`, tool calls as
    toolUse blocks and tool messages as toolResult blocks in a user turn, consecutive turns of
    one role merged (Converse wants them alternating), the limits as `inferenceConfig`."""
    system: list[dict] = []
    turns: list[tuple[str, list[dict]]] = []
    for m in body.get("messages") or []:
        role = m.get("role")
        if role in ("system", "developer"):
            system.append({"text": text_of(m.get("content"))})
            continue
        if role == "tool":
            role = "user"
            result = {
                "toolUseId": str(m.get("tool_call_id") or ""),
                "content": [{"text": text_of(m.get("content"))}],
            }
            blocks: list[dict] = [{"toolResult": result}]
        elif role == "assistant":
            text = text_of(m.get("content"))
            blocks = [{"text": text}] if text else []
            blocks += [{"toolUse": _tool_use(call)} for call in m.get("tool_calls") or ()]
        else:
            role, blocks = "user", _user_blocks(m.get("content"))
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, blocks))
    out: dict = {
        "messages": [{"role": role, "content": blocks or [{"text": ""}]} for role, blocks in turns]
    }
    if system:
        out["system"] = system
    config: dict = {"maxTokens": max_tokens(body)}
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP")):
        if isinstance(body.get(ours), (int, float)):
            config[theirs] = body[ours]
    if stops(body):
        config["stopSequences"] = stops(body)
    out["inferenceConfig"] = config
    tools = [_tool(t) for t in body.get("tools") or () if t.get("type", "function") == "function"]
    choice = body.get("tool_choice")
    if tools and choice != "none":  # Converse has no "none": the tools are left out instead
        out["toolConfig"] = {"tools": tools}
        if choice == "required":
            out["toolConfig"]["toolChoice"] = {"any": {}}
        elif isinstance(choice, dict) and choice.get("type") == "function":
            name = (choice.get("function") or {}).get("name")
            out["toolConfig"]["toolChoice"] = {"tool": {"name": name}}
    used = sorted({b["toolUse"]["name"] for _, blocks in turns for b in blocks if "toolUse" in b})
    if used and "toolConfig" not in out:
        # Bedrock refuses toolUse blocks without a toolConfig: a conversation that carries tool
        # calls but offers no tools now (or tool_choice "none") declares the ones it used
        schema = {"json": {"type": "object"}}
        specs = [{"toolSpec": {"name": n, "inputSchema": schema}} for n in used]
        out["toolConfig"] = {"tools": specs}
    return out


def _tool_use(call: dict) -> dict:
    function = call.get("function") or {}
    return {
        "toolUseId": str(call.get("id") or ""),
        "name": str(function.get("name") or ""),
        "input": call_arguments(call),
    }


def _tool(tool: dict) -> dict:
    function = tool.get("function") or {}
    spec = {
        "name": function.get("name"),
        "inputSchema": {"json": function.get("parameters") or {"type": "object", "properties": {}}},
    }
    if function.get("description"):
        spec["description"] = function["description"]
    return {"toolSpec": spec}


def from_converse(doc: dict, model_id: str) -> Completion:
    """A Converse answer as a chat completion: its text, toolUse blocks as tool calls, its
    stopReason and usage."""
    content = ((doc.get("output") or {}).get("message") or {}).get("content") or []
    text = "".join(b.get("text", "") for b in content if "text" in b)
    usage = doc.get("usage") or {}
    p, c = usage.get("inputTokens"), usage.get("outputTokens")
    response = chat_completion(model_id, text, _STOP.get(doc.get("stopReason") or "", "stop"), p, c)
    calls = [
        tool_call(
            b["toolUse"].get("toolUseId"), b["toolUse"].get("name"), b["toolUse"].get("input")
        )
        for b in content
        if isinstance(b.get("toolUse"), dict)
    ]
    if calls:
        message = response["choices"][0]["message"]
        message["tool_calls"] = calls
        message["content"] = text or None
    return Completion(response, p, c)


def aws_error(
    status: int, kind: str, raw: bytes, headers, provider: str, model: str
) -> errors.ProviderError:
    """The exception for an AWS error: its type (`ThrottlingException`) picks the class."""
    message = errors.error_message(raw)
    if kind == "ExpiredTokenException":
        return errors.AuthFailed(
            f"the AWS credentials have expired ({message}): renew them (aws sso login, or new "
            "AWS_SESSION_TOKEN values) and retry",
            status=status,
            provider=provider,
            model=model,
        )
    if kind == "ValidationException" and "too long" in message.lower():
        # Bedrock's "Input is too long for requested model.": the next candidate may fit it
        return errors.ContextLengthExceeded(
            message, status=400, provider=provider, model=model, body=errors.body_text(raw)
        )
    status = _STATUS.get(kind, status)
    doc = {"error": {"type": kind, "message": f"{kind}: {message}" if kind else message}}
    return http_error(status, json.dumps(doc).encode(), headers, provider, model)


def _error_type(headers, raw: bytes) -> str:
    """The AWS error type: the x-amzn-ErrorType header's first part, else the body's __type."""
    kind = headers.get("x-amzn-errortype") or ""
    if not kind:
        with contextlib.suppress(ValueError, UnicodeDecodeError, AttributeError):
            kind = json.loads(raw).get("__type") or ""
    return kind.split(":", 1)[0].rsplit("#", 1)[-1]


class BedrockAdapter(HTTPAdapter):
    def __init__(self, provider: ir.Provider, http):
        super().__init__(provider, http)
        self.region = provider.location or ""
        self._credentials: Any = None  # botocore's, resolved on first use (it may read files)

    def _base(self) -> str:
        return (self.provider.base_url or endpoint(self.region)).rstrip("/")

    async def _creds(self, model: ir.Model):
        if self._credentials is None:
            self._credentials = await asyncio.to_thread(get_session().get_credentials)
        if self._credentials is None:
            raise self.fail(
                errors.AuthFailed,
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                "AWS_PROFILE with ~/.aws/credentials or ~/.aws/config (the AWS default chain)",
                model=model.name,
            )
        credentials = self._credentials
        if getattr(credentials, "refresh_needed", lambda: False)():
            # temporary credentials near expiry: botocore refreshes them (STS, SSO, a file, the
            # instance's role), which may take a round trip: off the event loop
            return await asyncio.to_thread(credentials.get_frozen_credentials)
        return credentials.get_frozen_credentials()

    async def _signed(self, model: ir.Model, action: str, body: dict) -> tuple[str, bytes, dict]:
        url = f"{self._base()}/model/{quote(model.id, safe='')}/{action}"
        data = jsonio.dumpb(to_converse(body))
        request = AWSRequest("POST", url, data=data, headers={"content-type": "application/json"})
        SigV4Auth(await self._creds(model), SERVICE, self.region).add_auth(request)
        headers = dict(request.headers.items())
        extra = UPSTREAM_HEADERS.get()  # unsigned: SigV4 signs only the headers it was given
        if extra:
            headers.update(extra)
        return url, data, headers

    async def _post(self, model: ir.Model, action: str, body: dict, timeout, stream: bool):
        """The signed POST of one action, as the transport answers it."""
        url, data, headers = await self._signed(model, action, body)
        return await self.http.request(
            "POST",
            url,
            json_body=None,
            headers=headers,
            timeout=timeout,
            stream=stream,
            content=data,
        )

    async def _send(self, model: ir.Model, action: str, body: dict, timeout, stream: bool):
        try:
            response = await self._post(model, action, body, timeout, stream)
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, "request") from exc
        if response.status_code >= 300:
            try:
                raw = await response.aread()
            except (TransportTimeout, TransportFailure) as exc:
                raise self._transport(exc, model, "error body") from exc
            finally:
                await response.aclose()
            kind = _error_type(response.headers, raw)
            raise aws_error(
                response.status_code, kind, raw, response.headers, self.provider.name, model.name
            )
        return response

    async def complete(self, model: ir.Model, body: dict, timeout: float | Timeouts) -> Completion:
        response = await self._send(model, "converse", body, timeout, stream=False)
        try:
            raw = await response.aread()
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, "request") from exc
        doc = parse_json(raw, self.provider.name)
        if not isinstance(doc, dict) or not isinstance(doc.get("output"), dict):
            raise self.fail(errors.MalformedResponse, "not a Converse answer", model=model.name)
        return from_converse(doc, model.id)

    async def stream(
        self, model: ir.Model, body: dict, timeout: float | Timeouts, state: StreamState
    ) -> AsyncIterator[dict]:
        response = await self._send(model, "converse-stream", body, timeout, stream=True)
        cid, name = completion_id(), model.id
        tools: dict = {}  # a toolUse block's index -> its tool call's index
        frames = EventStreamBuffer()
        try:
            async for piece in response.aiter_bytes():
                frames.add_data(piece)
                for frame in frames:
                    headers = frame.headers
                    if headers.get(":message-type") != "event":
                        kind = headers.get(":exception-type") or headers.get(":error-code") or ""
                        kind = kind[:1].upper() + kind[1:]  # throttlingException -> Throttling…
                        raise aws_error(
                            500, kind, frame.payload, {}, self.provider.name, model.name
                        )
                    doc = parse_json(frame.payload, self.provider.name)
                    event = headers.get(":event-type")
                    if event == "messageStart":
                        yield chunk(cid, name, {"role": "assistant", "content": ""})
                    elif event == "contentBlockStart":
                        use = (doc.get("start") or {}).get("toolUse")
                        if isinstance(use, dict):
                            tools[doc.get("contentBlockIndex")] = len(tools)
                            call = {
                                "index": len(tools) - 1,
                                "id": use.get("toolUseId"),
                                "type": "function",
                                "function": {"name": use.get("name"), "arguments": ""},
                            }
                            yield chunk(cid, name, {"tool_calls": [call]})
                    elif event == "contentBlockDelta":
                        delta = doc.get("delta") or {}
                        if "text" in delta:
                            state.text_chars += len(delta["text"])
                            yield chunk(cid, name, {"content": delta["text"]})
                        elif "toolUse" in delta and doc.get("contentBlockIndex") in tools:
                            piece_json = (delta.get("toolUse") or {}).get("input", "")
                            state.text_chars += len(piece_json)
                            index = tools[doc["contentBlockIndex"]]
                            call = {"index": index, "function": {"arguments": piece_json}}
                            yield chunk(cid, name, {"tool_calls": [call]})
                    elif event == "messageStop":
                        state.finish_reason = _STOP.get(doc.get("stopReason") or "", "stop")
                    elif event == "metadata":
                        usage = doc.get("usage") or {}
                        state.prompt_tokens = usage.get("inputTokens")
                        state.completion_tokens = usage.get("outputTokens")
                        response.ended()
                        yield chunk(cid, name, {}, state.finish_reason or "stop")
                        return
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, "stream") from exc
        except (ParserError, InvalidHeadersLength) as exc:
            raise self.fail(
                errors.MalformedResponse,
                f"a ConverseStream frame is broken ({type(exc).__name__})",
                model=model.name,
            ) from None
        finally:
            await response.aclose()
        raise self.fail(
            errors.ConnectionFailed, "the stream ended before its metadata event", model=model.name
        )

    async def probe(self, model: ir.Model, timeout: float) -> None:
        """A free health check: bedrock-runtime has no listing, so a signed Converse with no
        messages, which the region refuses as a ValidationException without running the model.
        That refusal is the answer wanted (the region is up, the signature good); a throttle,
        an outage or a credentials failure raises as for any call."""
        try:
            response = await self._post(model, "converse", {"messages": []}, timeout, stream=False)
            raw = await response.aread()
        except (TransportTimeout, TransportFailure) as exc:
            raise self._transport(exc, model, "probe") from exc
        kind = _error_type(response.headers, raw)
        if response.status_code < 300 or kind == "ValidationException":
            return
        raise aws_error(
            response.status_code, kind, raw, response.headers, self.provider.name, model.name
        )
