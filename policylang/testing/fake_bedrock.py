"""FakeBedrock: a loopback AWS bedrock-runtime endpoint (one region), checking each request's
SigV4 signature the way AWS does and answering in Bedrock's shapes.

    with FakeBedrock(region="eu-central-1") as br:
        ... AWS_ACCESS_KEY_ID=br.access_key, AWS_SECRET_ACCESS_KEY=br.secret_key, and a provider
        with adapter = bedrock, location = "eu-central-1", base_url = br.url

It serves POST /model/{modelId}/converse (JSON) and /model/{modelId}/converse-stream (the
binary application/vnd.amazon.eventstream framing: prelude, headers, payload, each frame with
its two CRC32s). The signature is recomputed with botocore's SigV4Auth from the fake's own
credentials over the request as received (the canonical request of its method, path, signed
headers and body hash): a wrong secret, a changed body or a region other than the fake's is a
403 InvalidSignatureException, an unknown access key UnrecognizedClientException. Errors carry
`x-amzn-ErrorType` and a JSON {"message": …} body as AWS's restJson protocol does.

Faults, by `fail(model, kind)`: `throttling` (429 ThrottlingException), `model_not_ready` (429
ModelNotReadyException), `unavailable` (503 ServiceUnavailableException), `expired_token` (403
ExpiredTokenException), `validation` (400), `too_long` (400, the prompt over the model's context
window), `stream_throttling` (a stream whose first word is
followed by a throttlingException frame); `down = True` is a region that is down (503 to every
request). A request offering tools (toolConfig) is answered with a toolUse of its first tool
whose input is {"text": the last user text}; one ending with a toolResult, with text repeating it.
A blank text block, or an image of another format or whose bytes are not base64, is refused with
Bedrock's ValidationException.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import uuid
import zlib
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .fake_provider import FakeProvider, Received

_PATH = re.compile(r"/model/([^/]+)/(converse|converse-stream)")
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})"
)
_FAULTS = {
    "throttling": (
        429,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    ),
    "model_not_ready": (
        429,
        "ModelNotReadyException",
        "Model is not ready for inference. Wait and try your request again.",
    ),
    "unavailable": (
        503,
        "ServiceUnavailableException",
        "Bedrock is unable to process your request.",
    ),
    "expired_token": (
        403,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    ),
    "validation": (400, "ValidationException", "The provided request is not valid"),
    "too_long": (400, "ValidationException", "Input is too long for requested model."),
}


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total and headers lengths, their CRC32), string
    headers (name length, name, type 7, value length, value), payload, the message's CRC32."""
    head = b"".join(
        struct.pack("B", len(k)) + k.encode() + b"\x07" + struct.pack(">H", len(v)) + v.encode()
        for k, v in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(head) + len(payload), len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + head + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(kind: str, doc: dict) -> bytes:
    doc = {**doc, "p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"[: 1 + len(kind)]}
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(doc).encode())


def exception(kind: str, message: str) -> bytes:
    headers = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(headers, json.dumps({"message": message}).encode())


def _content_error(messages: list) -> str | None:
    """What Bedrock says of a blank text block or an image it cannot read (None when fine)."""
    for i, m in enumerate(messages):
        for j, b in enumerate(m.get("content") or []):
            where = f"messages.{i}.content.{j}"
            if "text" in b and not str(b["text"]).strip():
                return (
                    f"The text field in the ContentBlock object at {where} is blank. Add text "
                    "to the text field, and try again."
                )
            image = b.get("image")
            if image is None:
                continue
            if image.get("format") not in ("png", "jpeg", "gif", "webp"):
                return f"The format of the image at {where} is not supported."
            source = image.get("source") or {}
            if "s3Location" in source:
                continue
            try:
                base64.b64decode(source.get("bytes") or "", validate=True)
            except (ValueError, TypeError):
                return f"The image bytes at {where} are not valid base64."
            if not source.get("bytes"):
                return f"The image at {where} has no source."
    return None


def _last_user_text(body: dict) -> str:
    for m in reversed(body.get("messages") or []):
        if m.get("role") == "user":
            return "".join(b.get("text", "") for b in m.get("content") or [] if "text" in b)
    return ""


def _tool_result(body: dict) -> str | None:
    messages = body.get("messages") or []
    if not messages:
        return None
    results = [b["toolResult"] for b in messages[-1].get("content") or [] if "toolResult" in b]
    texts = [c.get("text", "") for r in results for c in r.get("content") or []]
    return " ".join(texts) if results else None


class FakeBedrock(FakeProvider):
    def __init__(
        self,
        region: str = "eu-central-1",
        access_key: str = "AKIAIOSFODNN7EXAMPLE",
        secret_key: str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        models: frozenset[str] | None = None,
        **kw,
    ):
        super().__init__(**kw)
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.models = models  # the model ids this region serves; None: any

    async def _aws_error(self, writer, status: int, kind: str, message: str) -> bool:
        headers = {
            "x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        }
        headers["x-amzn-requestid"] = str(uuid.uuid4())
        await self._send(writer, status, json.dumps({"message": message}).encode(), headers)
        return True

    def _signature_error(
        self, method: str, target: str, headers: dict, raw: bytes
    ) -> tuple[str, str] | None:
        """(error type, message) when the request's SigV4 signature is not the one AWS would
        compute with this fake's credentials, else None."""
        m = _AUTH.fullmatch(headers.get("authorization", ""))
        if m is None or "x-amz-date" not in headers:
            return "MissingAuthenticationTokenException", "Missing Authentication Token"
        key, date, region, service, signed, signature = m.groups()
        if key != self.access_key:
            return (
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        if (
            region != self.region
            or service != "bedrock"
            or not headers["x-amz-date"].startswith(date)
        ):
            return (
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region ({self.region}).",
            )
        names = signed.split(";")
        request = AWSRequest(
            method,
            f"http://{headers.get('host', '')}{target}",
            data=raw,
            headers={n: headers.get(n, "") for n in names},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        auth = SigV4Auth(Credentials(self.access_key, self.secret_key), "bedrock", self.region)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != signature:
            return (
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.",
            )
        return None

    async def _handle(self, method, target, headers, raw, reader, writer) -> bool:
        """One Converse or ConverseStream request, answered as Bedrock does.

        Long: checked in the order Bedrock checks, then answered, as one straight-line handler."""
        path = target.split("?", 1)[0]
        if self.down:
            return await self._aws_error(
                writer,
                503,
                "ServiceUnavailableException",
                "Bedrock is unable to process your request.",
            )
        m = _PATH.fullmatch(path)
        if method != "POST" or m is None:
            return await self._aws_error(writer, 404, "UnknownOperationException", "")
        refused = self._signature_error(method, target, headers, raw)
        if refused is not None:
            return await self._aws_error(writer, 403, *refused)
        model, stream = unquote(m[1]), m[2] == "converse-stream"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return await self._aws_error(
                writer, 400, "ValidationException", "Malformed input request"
            )
        if not body.get("messages"):
            return await self._aws_error(
                writer,
                400,
                "ValidationException",
                "A conversation must start with a user message. Try again with a conversation "
                "that starts with a user message.",
            )
        blocks = [b for m in body["messages"] for b in m.get("content") or []]
        blank = _content_error(body["messages"])
        if blank is not None:
            return await self._aws_error(writer, 400, "ValidationException", blank)
        if "toolConfig" not in body and any("toolUse" in b or "toolResult" in b for b in blocks):
            return await self._aws_error(
                writer,
                400,
                "ValidationException",
                "The toolConfig field must be defined when using toolUse and toolResult content "
                "blocks.",
            )
        if self.models is not None and model not in self.models:
            return await self._aws_error(
                writer, 400, "ValidationException", "The provided model identifier is invalid."
            )
        with self._lock:
            self.stats.requests.append(
                Received("bedrock", path, model, dict(headers), body, stream)
            )
            self.stats.received += 1
        fault = self._take_fault(model)
        if fault is not None and fault.kind in _FAULTS:
            return await self._aws_error(writer, *_FAULTS[fault.kind])
        asked = _last_user_text(body)
        answered = _tool_result(body)
        text = self.reply.format(model=model) + ": " + (asked if answered is None else answered)
        tools = (body.get("toolConfig") or {}).get("tools") or []
        call = None
        if tools and answered is None:
            call = {
                "toolUseId": "tooluse_" + uuid.uuid4().hex[:22],
                "name": tools[0]["toolSpec"]["name"],
                "input": {"text": asked},
            }
        p, c = max(1, len(json.dumps(body["messages"]).split())), max(1, len(text.split()))
        if not stream:
            content = [{"toolUse": call}] if call else [{"text": text}]
            doc = {
                "output": {"message": {"role": "assistant", "content": content}},
                "stopReason": "tool_use" if call else "end_turn",
                "usage": {"inputTokens": p, "outputTokens": c, "totalTokens": p + c},
                "metrics": {"latencyMs": 1},
            }
            await self._send(writer, 200, json.dumps(doc).encode())
            return True
        frames = [event("messageStart", {"role": "assistant"})]
        if call:
            start = {"toolUse": {"toolUseId": call["toolUseId"], "name": call["name"]}}
            arguments = json.dumps(call["input"])
            half = len(arguments) // 2
            frames += [
                event("contentBlockStart", {"contentBlockIndex": 0, "start": start}),
                event(
                    "contentBlockDelta",
                    {"contentBlockIndex": 0, "delta": {"toolUse": {"input": arguments[:half]}}},
                ),
                event(
                    "contentBlockDelta",
                    {"contentBlockIndex": 0, "delta": {"toolUse": {"input": arguments[half:]}}},
                ),
            ]
        else:
            words = text.split(" ")
            frames += [
                event(
                    "contentBlockDelta",
                    {"contentBlockIndex": 0, "delta": {"text": w if i == 0 else " " + w}},
                )
                for i, w in enumerate(words)
            ]
        if fault is not None and fault.kind == "stream_throttling":
            frames = frames[:2] + [exception("throttlingException", _FAULTS["throttling"][2])]
        else:
            frames += [
                event("contentBlockStop", {"contentBlockIndex": 0}),
                event("messageStop", {"stopReason": "tool_use" if call else "end_turn"}),
                event(
                    "metadata",
                    {
                        "usage": {"inputTokens": p, "outputTokens": c, "totalTokens": p + c},
                        "metrics": {"latencyMs": 1},
                    },
                ),
            ]
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n"
            f"x-amzn-requestid: {uuid.uuid4()}\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        writer.write(head.encode())
        for data in frames:
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
