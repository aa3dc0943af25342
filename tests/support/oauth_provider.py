"""A small real OAuth2 / OIDC-style provider for tests, run as its own process.

It speaks the authorization-code flow on the paths the generic, Keycloak and
GitHub (Enterprise URL) providers use, auto-approves, and can be told to
misbehave (``POST /control``) to test the failure paths.

    python -m tests.support.oauth_provider --port 9999
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "switchboard-test-client"
CLIENT_SECRET = "switchboard-test-secret"


class Provider:
    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.mode = "ok"
        self.user: dict[str, Any] = {
            "email": "carol@example.com",
            "login": "carol",
            "name": "Carol",
            "picture": "https://example.com/carol.png",
        }

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        redirect = params["redirect_uri"]
        if self.mode == "deny":
            query = {"error": "access_denied", "state": params.get("state", "")}
            return RedirectResponse(f"{redirect}?{urlencode(query)}", status_code=302)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": redirect, "user": dict(self.user)}
        query = {"code": code, "state": params.get("state", "")}
        return RedirectResponse(f"{redirect}?{urlencode(query)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if self.mode == "no_token":
            return JSONResponse({"token_type": "bearer"})
        access = secrets.token_urlsafe(24)
        self.tokens[access] = grant["user"]
        return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": 300})

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        user = self.tokens.get(header.removeprefix("Bearer ").strip())
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(user)

    async def control(self, request: Request) -> Response:
        body = await request.json()
        self.mode = body.get("mode", self.mode)
        self.user.update(body.get("user", {}))
        return JSONResponse({"mode": self.mode, "user": self.user})


def build_app() -> Starlette:
    provider = Provider()
    routes = [Route("/control", provider.control, methods=["POST"])]
    for prefix in ("/oauth", "/realms/test/protocol/openid-connect", "/login/oauth"):
        routes += [
            Route(f"{prefix}/authorize", provider.authorize),
            Route(f"{prefix}/auth", provider.authorize),
            Route(f"{prefix}/token", provider.token, methods=["POST"]),
            Route(f"{prefix}/access_token", provider.token, methods=["POST"]),
            Route(f"{prefix}/userinfo", provider.userinfo),
        ]
    routes.append(Route("/api/v3/user", provider.userinfo))
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
