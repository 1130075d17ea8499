"""A Google Workspace Admin SDK Directory API on 127.0.0.1 for tests, held to Google's discovery document.

Every request the collector sends (method, path, query parameters with their types, ranges and enums)
and every answer the server gives (against the method's response schema, objects closed to properties
the document does not define) is checked against `admin.directory_v1.json` as shipped inside
google-api-python-client (pinned in pyproject's test extra). Problems collect in `DirectoryServer.problems`;
tests assert there are none, so neither a request Google would not understand nor an answer shape we
invented passes.

The server pages lists by pageToken (`Scenario.page_size` caps maxResults), honours the `fields`
selector for the users list, checks the bearer token (401 for an expired one) and its scopes (403 with
Google's insufficient-scope answer), serves an OAuth token endpoint for service-account keys (the JWT is
verified with the key's public half), and injects `Fault`s: a 429 with Retry-After, a 5xx.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

CLIENT_VERSION = "2.202.0"
DISCOVERY_FILE = "discovery_cache/documents/admin.directory_v1.json"
USER_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
ROLE_SCOPE = "https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly"
TOKEN = "ya29." + "TestOnlyAccessToken" + "x" * 20  # made up; tests look for it in everything written
CUSTOMER_ID = "C03az79cb"


@dataclass
class Fault:
    """Answer `count` requests from the `nth` (1-based) whose path ends with `path_suffix` with `status` instead."""

    path_suffix: str
    nth: int
    status: int
    retry_after: str | None = None
    reason: str = ""
    count: int = 1
    seen: int = 0


@dataclass
class Scenario:
    users: Sequence[dict[str, Any]]
    roles: list[dict[str, Any]] = field(default_factory=list)
    role_assignments: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 500
    tokens: dict[str, frozenset[str]] = field(default_factory=lambda: {TOKEN: frozenset({USER_SCOPE, ROLE_SCOPE})})
    expired_tokens: frozenset[str] = frozenset()
    faults: list[Fault] = field(default_factory=list)
    # Service-account token endpoint: the key's public PEM, the client_email, the scopes delegation grants.
    service_account: tuple[str, str, frozenset[str]] | None = None


def google_user(
    number: int,
    email: str,
    *,
    enrolled: bool = True,
    suspended: bool = False,
    archived: bool = False,
    is_admin: bool = False,
    delegated: bool = False,
    last_login: str = "2026-11-20T08:30:00.000Z",
    created: str = "2024-03-01T10:00:00.000Z",
) -> dict[str, Any]:
    """A user as the Directory API returns it with projection=basic (fields soc2kit does not record included)."""
    user: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": str(100000000000000000000 + number),
        "etag": f'"etag-{number}"',
        "primaryEmail": email,
        "name": {
            "givenName": email.split("@", maxsplit=1)[0].title(),
            "familyName": "Example",
            "fullName": f"{email.split('@', maxsplit=1)[0].title()} Example",
        },
        "isAdmin": is_admin,
        "isDelegatedAdmin": delegated,
        "lastLoginTime": last_login,
        "creationTime": created,
        "agreedToTerms": True,
        "suspended": suspended,
        "archived": archived,
        "changePasswordAtNextLogin": False,
        "ipWhitelisted": False,
        "emails": [{"address": email, "primary": True}],
        "customerId": CUSTOMER_ID,
        "orgUnitPath": "/",
        "isMailboxSetup": True,
        "isEnrolledIn2Sv": enrolled,
        "isEnforcedIn2Sv": False,
        "includeInGlobalAddressList": True,
    }
    if suspended:
        user["suspensionReason"] = "ADMIN"
        user["suspensionTime"] = "2026-10-01T12:00:00.000Z"
    return user


@dataclass
class _Method:
    name: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


def _discovery() -> dict[str, Any]:
    text = resources.files("googleapiclient").joinpath(DISCOVERY_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _json_schema(node: Any, *, strict: bool) -> Any:
    """A discovery schema as JSON Schema (draft 4): `$ref` to definitions, `any` unconstrained, int64
    strings stay strings; objects with properties closed so an invented field fails."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    out: dict[str, Any] = {}
    kind = node.get("type")
    if kind and kind != "any":
        out["type"] = kind
    if "enum" in node:
        out["enum"] = node["enum"]
    if "items" in node:
        out["items"] = _json_schema(node["items"], strict=strict)
    if "properties" in node:
        out["properties"] = {name: _json_schema(value, strict=strict) for name, value in node["properties"].items()}
        if strict:
            out["additionalProperties"] = False
    if "additionalProperties" in node:
        out["additionalProperties"] = _json_schema(node["additionalProperties"], strict=strict)
    return out


class Discovery:
    """The document's methods as path patterns, with response validators made on first use."""

    def __init__(self) -> None:
        self.document = _discovery()
        self.revision = self.document["revision"]
        self.global_parameters = self.document["parameters"]
        definitions = {name: _json_schema(schema, strict=True) for name, schema in self.document["schemas"].items()}
        self._definitions = definitions
        self._validators: dict[str, Any] = {}
        self.methods: list[_Method] = []
        for resource in self._resources(self.document["resources"]):
            for name, spec in resource.get("methods", {}).items():
                regex = re.sub(r"\\\{(\+?)[A-Za-z]+\\\}", lambda m: ".+" if m.group(1) else "[^/]+", re.escape(spec["path"]))
                self.methods.append(_Method(name, re.compile(f"^{regex}$"), spec))

    def _resources(self, resources_: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for resource in resources_.values():
            yield resource
            yield from self._resources(resource.get("resources", {}))

    def method(self, http_method: str, path: str) -> _Method | None:
        for method in self.methods:
            if method.spec["httpMethod"] == http_method and method.pattern.match(path):
                return method
        return None

    def request_problems(self, http_method: str, path: str, query: dict[str, list[str]]) -> list[str]:
        method = self.method(http_method, path)
        if method is None:
            return [f"{http_method} {path}: no such method in the discovery document"]
        problems = []
        parameters = method.spec.get("parameters", {})
        for name, values in query.items():
            spec = parameters.get(name) or self.global_parameters.get(name)
            if spec is None or spec.get("location") != "query":
                problems.append(f"{path}: unknown query parameter {name}")
                continue
            if len(values) > 1 and not spec.get("repeated"):
                problems.append(f"{path}: {name} given {len(values)} times")
            for value in values:
                problems.extend(f"{path}: {name}={value!r}: {problem}" for problem in _parameter_problems(spec, value))
        problems.extend(
            f"{path}: required query parameter {name} missing"
            for name, spec in parameters.items()
            if spec.get("required") and spec.get("location") == "query" and name not in query
        )
        return problems

    def response_problems(self, http_method: str, path: str, body: Any) -> list[str]:
        method = self.method(http_method, path)
        if method is None or "response" not in method.spec:
            return [f"{path}: the discovery document gives no response schema"]
        name = method.spec["response"]["$ref"]
        validator = self._validators.get(name)
        if validator is None:
            import jsonschema_rs

            schema = {"$ref": f"#/definitions/{name}", "definitions": self._definitions}
            validator = self._validators[name] = jsonschema_rs.Draft4Validator(schema)
        return [
            f"{path} answer {'/'.join(map(str, error.instance_path)) or '(top)'}: {error.message[:200]}"
            for _, error in zip(range(10), validator.iter_errors(body), strict=False)
        ]


def _parameter_problems(spec: dict[str, Any], value: str) -> list[str]:
    kind = spec.get("type")
    if "enum" in spec and value not in spec["enum"]:
        return [f"not one of {spec['enum']}"]
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return ["not an integer"]
        number = int(value)
        if "minimum" in spec and number < int(spec["minimum"]):
            return [f"below the minimum {spec['minimum']}"]
        if "maximum" in spec and number > int(spec["maximum"]):
            return [f"above the maximum {spec['maximum']}"]
    if kind == "boolean" and value not in {"true", "false"}:
        return ["not true or false"]
    return []


_DISCOVERY: Discovery | None = None


def discovery() -> Discovery:
    global _DISCOVERY  # noqa: PLW0603 - parsed once per test session
    if _DISCOVERY is None:
        _DISCOVERY = Discovery()
    return _DISCOVERY


def _select(user: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """The `fields` selector for `nextPageToken,users(a,b,c)` (the only shape the collector sends)."""
    if not fields:
        return user
    match = re.search(r"users\(([^)]*)\)", fields)
    if match is None:
        return user
    wanted = set(match.group(1).split(","))
    return {key: value for key, value in user.items() if key in wanted}


def _error(code: int, message: str, reason: str, status: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }


class DirectoryServer:
    def __init__(self, scenario: Scenario, *, validate: bool = True) -> None:
        self.scenario = scenario
        self.validate = validate
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.discovery = discovery() if validate else None
        self._lock = threading.Lock()
        server = self
        handler = type("Handler", (_Handler,), {"server_state": server})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fault_for(self, path: str) -> Fault | None:
        chosen = None
        with self._lock:
            for fault in self.scenario.faults:
                if path.endswith(fault.path_suffix):
                    fault.seen += 1
                    if chosen is None and fault.nth <= fault.seen < fault.nth + fault.count:
                        chosen = fault
        return chosen

    def answer(
        self, http_method: str, path: str, query: dict[str, list[str]], authorization: str
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(f"{http_method} {path}?{'&'.join(f'{k}={v[0]}' for k, v in sorted(query.items()))}")
        if self.discovery is not None:
            problems = self.discovery.request_problems(http_method, path, query)
            with self._lock:
                self.problems.extend(problems)
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
        if token in self.scenario.expired_tokens or token not in self.scenario.tokens:
            return (
                401,
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
                _error(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED"),
            )
        needed = USER_SCOPE if "/users" in path else ROLE_SCOPE
        if needed not in self.scenario.tokens[token]:
            header = f'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="{needed}"'
            return (
                403,
                {"WWW-Authenticate": header},
                _error(403, "Request had insufficient authentication scopes.", "insufficientPermissions", "PERMISSION_DENIED"),
            )
        fault = self.fault_for(path)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return fault.status, headers, _error(fault.status, "Try again later.", fault.reason or "backendError", "UNAVAILABLE")
        body = self._list(path, query)
        if self.discovery is not None:
            problems = self.discovery.response_problems(http_method, path, body)
            with self._lock:
                self.problems.extend(problems)
        return 200, {}, body

    def _list(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        size = min(int(query.get("maxResults", ["100"])[0]), self.scenario.page_size)
        start = int(query.get("pageToken", ["0"])[0].removeprefix("page-") or 0)
        if path.endswith("/roles"):
            kind, key, items = "admin#directory#roles", "items", self.scenario.roles
        elif path.endswith("/roleassignments"):
            kind, key, items = "admin#directory#roleAssignments", "items", self.scenario.role_assignments
        else:
            kind, key, items = "admin#directory#users", "users", self.scenario.users
        fields = query.get("fields", [None])[0]
        chunk = [_select(item, fields) if key == "users" else item for item in items[start : start + size]]
        body: dict[str, Any] = {key: chunk}
        if not fields:
            body["kind"] = kind
            body["etag"] = f'"list-{start}"'
        if start + size < len(items):
            body["nextPageToken"] = f"page-{start + size}"
        return body

    def token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        from google.auth import jwt

        account = self.scenario.service_account
        if account is None or form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, {}, {"error": "unsupported_grant_type"}
        public_pem, client_email, delegated = account
        try:
            claims = jwt.decode(form["assertion"][0], certs=public_pem, audience=f"{self.url}/token")
        except (ValueError, KeyError) as error:
            return 400, {}, {"error": "invalid_grant", "error_description": f"bad assertion: {error}"}
        if claims.get("iss") != client_email or not claims.get("sub"):
            return 400, {}, {"error": "invalid_grant", "error_description": "wrong issuer or no subject"}
        asked = frozenset(str(claims.get("scope", "")).split())
        if not asked <= delegated:
            return (
                401,
                {},
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
                },
            )
        with self._lock:
            self.scenario.tokens[f"{TOKEN}-sa"] = asked
        return 200, {}, {"access_token": f"{TOKEN}-sa", "expires_in": 3599, "token_type": "Bearer"}


class _Handler(BaseHTTPRequestHandler):
    server_state: DirectoryServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        del format, args

    def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        status, headers, body = self.server_state.answer(
            "GET", parts.path.lstrip("/"), query, self.headers.get("Authorization", "")
        )
        self._send(status, headers, body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if urlsplit(self.path).path != "/token":
            self._send(404, {}, {"error": "not found"})
            return
        self._send(*self.server_state.token(form))
