"""Bearer tokens for the fakes: a valid token, an expired one the client must refresh."""

from __future__ import annotations

from dataclasses import dataclass, field

from revwh.simulate.fakes.server import Request, Response, json_response

# The fakes' own values (not secrets: the fakes accept them and nothing else does).
FAKE_BEARER = "fake-token"
FAKE_REFRESH = "fake-refresh"
FAKE_SESSION = "fake-session"
FAKE_DEVELOPER = "fake-dev-token"
FAKE_CLIENT_ID, FAKE_CLIENT_KEY = "demo-client", "demo-client-key"
BEARER = "bearer"


@dataclass
class Tokens:
    valid: set[str] = field(default_factory=lambda: {FAKE_BEARER})
    refresh_token: str = FAKE_REFRESH
    refreshed: int = 0

    def expire(self, token: str) -> None:
        self.valid.discard(token)

    def check(self, request: Request) -> Response | None:
        """None when the request carries a valid token, else the 401 the platform sends."""
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.valid:
            return None
        return json_response({"status": 401, "serviceErrorCode": 65601,
                              "code": "REVOKED_ACCESS_TOKEN",
                              "message": "The token used in the request has expired"}, 401)

    def issue(self) -> str:
        self.refreshed += 1
        token = f"fake-token-{self.refreshed}"
        self.valid.add(token)
        return token
