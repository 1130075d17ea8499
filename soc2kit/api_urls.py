"""The base URL of an HTTP API that soc2kit sends a credential to, checked the same way for every
client (the GitHub client, the collectors).

    api_url_problem(value) -> "shape" | "credentials" | "plain-http" | None
        shape: not an http(s) URL with a host (or with a query or fragment, or a bad port);
        credentials: it holds a user name or password; plain-http: http to another machine, where
        the token would travel unencrypted. Each client words its own message for its setting.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

Problem = Literal["shape", "credentials", "plain-http"]


def api_url_problem(value: str) -> Problem | None:
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port  # parsed only so that a bad port is reported
    except ValueError:
        return "shape"
    if parts.scheme not in {"https", "http"} or not host or parts.query or parts.fragment:
        return "shape"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if parts.scheme == "http" and not is_loopback(host):
        return "plain-http"
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
