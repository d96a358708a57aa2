"""FakeVertex: a loopback Google Vertex AI endpoint (one project and location) with its own
OAuth token endpoint, checking credentials the way Google does and answering in Vertex's shapes.

    with FakeVertex(project="my-project", location="europe-west4") as vx:
        key = vx.service_account()  # a service account's JSON key, its token_uri the fake's
        ... GOOGLE_APPLICATION_CREDENTIALS=<that JSON written to a file>, and a provider with
        adapter = vertex, project = "my-project", location = "europe-west4", base_url = vx.url

POST /token is the OAuth 2.0 token endpoint: it takes the JWT-bearer grant
(grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer) whose `assertion` is a JWT signed
RS256 with a service account's private key; the signature is verified with google-auth's
verifier against the public key of the account `service_account()` made, the audience must be
Google's token endpoint (as google-auth signs it) or the fake's, `iss` the account's email and
`scope` present. It answers an access token of
`token_lifetime` seconds (`tokens` counts the exchanges). Every other call must carry
`authorization: Bearer <a token it issued, not expired>`, else 401 UNAUTHENTICATED.

Paths (v1 or v1beta1), under /projects/{project}/locations/{location}/publishers/:
    google/models/{id}:generateContent | :streamGenerateContent?alt=sse | :countTokens
    anthropic/models/{id}:rawPredict | :streamRawPredict     (an anthropic_version,
        "vertex-2023-10-16" or a dated one, required; `model` refused: the id is in the path)
    anthropic/models/count-tokens:rawPredict
A project or location other than the fake's is a 404 NOT_FOUND / 400 as Vertex says. Errors are
Google's JSON ({"error": {"code", "message", "status"}}).

Faults, by `fail(model, kind)`: `resource_exhausted` (429 RESOURCE_EXHAUSTED), `unavailable`
(503 UNAVAILABLE), `expired_token` (every token issued so far expires now: this and later calls
with them are 401 UNAUTHENTICATED), and the base fake's kinds; `down = True` is a region that
is down (503 UNAVAILABLE to everything but the token endpoint, which is global at Google).
Answers, tool calls included, are the base fake's Gemini and Anthropic ones."""

from __future__ import annotations

import json
import re
import secrets
import time
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions, jwt

from .fake_provider import FakeProvider

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# the audience google-auth signs a service account's assertion for, whatever its token_uri
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
# vertex-2023-10-16, or the dated version the anthropic SDK of the day sends
_VERSION = re.compile(r"(vertex-)?\d{4}-\d{2}-\d{2}")
_PATH = re.compile(
    r"/v1(?:beta1)?/projects/([^/]+)/locations/([^/]+)/publishers/(google|anthropic)/models/"
    r"([^/:]+):(generateContent|streamGenerateContent|countTokens|rawPredict|streamRawPredict)"
)
_FAULTS = {
    "resource_exhausted": (
        429,
        "RESOURCE_EXHAUSTED",
        "Resource exhausted. Please try again later. Please refer to "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.",
    ),
    "unavailable": (503, "UNAVAILABLE", "The service is currently unavailable."),
}
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def google_error(status: int, code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": status, "message": message, "status": code}}).encode()


class FakeVertex(FakeProvider):
    def __init__(
        self,
        project: str = "my-project",
        location: str = "europe-west4",
        token_lifetime: int = 3600,
        **kw,
    ):
        super().__init__(**kw)
        self.project = project
        self.location = location
        self.token_lifetime = token_lifetime
        self.tokens = 0  # token exchanges granted
        self.issued: dict[str, float] = {}  # access token -> when it expires (time.time())
        self.accounts: dict[str, bytes] = {}  # client_email -> its public key (PEM)

    def service_account(self, email: str = "policylang@my-project.iam.gserviceaccount.com") -> dict:
        """A service account's JSON key with a throwaway RSA key, its token_uri this fake's."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.accounts[email] = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": secrets.token_hex(20),
            "private_key": private,
            "client_email": email,
            "client_id": "1" * 21,
            "token_uri": self.url + "/token",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        }

    def trust(self, issuer: FakeVertex) -> None:
        """Accept the tokens `issuer`'s token endpoint grants (and its accounts): Google has one
        token endpoint for every region, so one fake's tokens are good at another's."""
        self.issued = issuer.issued
        self.accounts = issuer.accounts

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.issued:
                self.issued[token] = 0.0

    def clear(self) -> None:
        super().clear()
        self.tokens = 0

    # ---- the token endpoint ------------------------------------------------------------
    async def _token(self, headers: dict, raw: bytes, writer) -> bool:
        form = {k: v[0] for k, v in parse_qs(raw.decode("latin-1")).items()}

        async def refuse(error: str, description: str) -> bool:
            doc = {"error": error, "error_description": description}
            await self._send(writer, 400, json.dumps(doc).encode())
            return True

        if form.get("grant_type") != JWT_BEARER or "assertion" not in form:
            return await refuse("unsupported_grant_type", "Invalid grant_type: ")
        assertion = form["assertion"]
        try:
            claims = jwt.decode(assertion, verify=False)
            public = self.accounts.get(str(claims.get("iss")))
            if public is None:
                return await refuse("invalid_grant", "Invalid grant: account not found")
            audience = [GOOGLE_TOKEN_URI, self.url + "/token"]
            claims = jwt.decode(assertion, certs=public.decode(), audience=audience)
        except (ValueError, exceptions.GoogleAuthError):
            return await refuse("invalid_grant", "Invalid JWT Signature.")
        if not claims.get("scope"):
            return await refuse(
                "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.issued[token] = time.time() + self.token_lifetime
            self.tokens += 1
        doc = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        await self._send(writer, 200, json.dumps(doc).encode())
        return True

    def _authenticated(self, headers: dict) -> bool:
        kind, _, token = headers.get("authorization", "").partition(" ")
        with self._lock:
            return kind == "Bearer" and self.issued.get(token, 0.0) > time.time()

    # ---- Vertex ------------------------------------------------------------------------
    async def _handle(self, method, target, headers, raw, reader, writer) -> bool:
        path = target.split("?", 1)[0]
        if method == "POST" and path == "/token":
            return await self._token(headers, raw, writer)
        if self.down:
            await self._send(writer, 503, google_error(503, *_FAULTS["unavailable"][1:]))
            return True
        if not self._authenticated(headers):
            await self._send(writer, 401, google_error(401, "UNAUTHENTICATED", _UNAUTHENTICATED))
            return True
        m = _PATH.fullmatch(path)
        if method != "POST" or m is None:
            await self._send(writer, 404, google_error(404, "NOT_FOUND", f"{path} not found"))
            return True
        project, location, publisher, model, verb = m.groups()
        if project != self.project or location != self.location:
            message = f"Project `{project}` or location `{location}` is not served here."
            await self._send(writer, 404, google_error(404, "NOT_FOUND", message))
            return True
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            await self._send(writer, 400, google_error(400, "INVALID_ARGUMENT", "Invalid JSON"))
            return True
        if verb == "countTokens" or model == "count-tokens":
            doc = {"totalTokens": 1} if verb == "countTokens" else {"input_tokens": 1}
            await self._send(writer, 200, json.dumps(doc).encode())
            return True
        if publisher == "anthropic":
            version = str(body.get("anthropic_version", ""))
            if not _VERSION.fullmatch(version) or "model" in body:
                message = (
                    "anthropic_version is required (e.g. vertex-2023-10-16) and `model` is not "
                    "permitted (the model is in the URL)"
                )
                refusal = {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": message},
                }
                await self._send(writer, 400, json.dumps(refusal).encode())
                return True
            if not model.startswith("claude-") or verb not in ("rawPredict", "streamRawPredict"):
                await self._send(writer, 404, google_error(404, "NOT_FOUND", "no such model"))
                return True
        elif verb not in ("generateContent", "streamGenerateContent"):
            await self._send(writer, 404, google_error(404, "NOT_FOUND", "no such method"))
            return True
        return await super()._handle(
            method, target, headers, json.dumps(body).encode(), reader, writer
        )

    def _route(self, path: str, body: dict) -> tuple[str, str, bool] | None:
        m = _PATH.fullmatch(path)
        if m is None:
            return None
        publisher, model, verb = m[3], m[4], m[5]
        wire = "anthropic" if publisher == "anthropic" else "gemini"
        return wire, model, verb.startswith("stream")

    async def _fault(self, f, wire, model, stream, reader, writer):
        if f.kind in _FAULTS:
            await self._send(writer, _FAULTS[f.kind][0], google_error(*_FAULTS[f.kind]))
            return True
        if f.kind == "expired_token":
            self.expire_tokens()
            await self._send(writer, 401, google_error(401, "UNAUTHENTICATED", _UNAUTHENTICATED))
            return True
        return await super()._fault(f, wire, model, stream, reader, writer)
