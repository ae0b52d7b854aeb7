"""With --auth-token: agent cards stay public and declare the bearer scheme; JSON-RPC needs the
token; the extended card is served to authenticated callers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.support import ServerProcess, running_server

TOKEN = "a2a-secret"
RPC = {"jsonrpc": "2.0", "id": 1, "method": "GetExtendedAgentCard", "params": {}}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("interop-a2a-auth")
    with running_server(workdir, "--auth-token", TOKEN) as server:
        yield server


def test_cards_are_public_and_declare_bearer(secured: ServerProcess) -> None:
    with httpx.Client(base_url=secured.url, timeout=30) as http:
        paths = (
            "/.well-known/agent-card.json",
            "/a2a/echo/.well-known/agent-card.json",
            "/a2a/.well-known/agent-card.json",
        )
        for path in paths:
            response = http.get(path, headers={"A2A-Version": "1.0"})
            assert response.status_code == 200
            card = response.json()
            assert card["capabilities"]["extendedAgentCard"] is True
            assert card["securitySchemes"] == {
                "bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}
            }
            # No version named: the merged card, readable by 1.0 and 0.3 clients.
            merged = http.get(path).json()
            assert merged["securitySchemes"]["bearer"] == {
                "httpAuthSecurityScheme": {"scheme": "Bearer"},
                "type": "http",
                "scheme": "bearer",
            }
            assert merged["supportsAuthenticatedExtendedCard"] is True
            assert merged["security"] == [{"bearer": []}]
        legacy = http.get("/.well-known/agent.json").json()
        assert legacy["securitySchemes"]["bearer"]["type"] == "http"
        assert legacy["supportsAuthenticatedExtendedCard"] is True


def test_rpc_needs_the_token_and_gets_the_extended_card(secured: ServerProcess) -> None:
    headers = {"A2A-Version": "1.0"}
    with httpx.Client(base_url=secured.url, timeout=30) as http:
        assert http.post("/a2a/echo", json=RPC, headers=headers).status_code == 401
        answer = http.post(
            "/a2a/echo", json=RPC, headers={**headers, "Authorization": f"Bearer {TOKEN}"}
        ).json()
        assert answer["result"]["name"] == "echo"
        assert answer["result"]["capabilities"]["extendedAgentCard"] is True
        legacy = http.post(
            "/a2a/echo",
            json={**RPC, "method": "agent/getAuthenticatedExtendedCard"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
        assert legacy["result"]["url"].endswith("/a2a/echo")


def test_http_json_needs_the_token_and_gets_the_extended_card(secured: ServerProcess) -> None:
    with httpx.Client(base_url=secured.url, timeout=30) as http:
        assert http.get("/a2a/echo/extendedAgentCard").status_code == 401
        assert http.get("/a2a/echo/tasks").status_code == 401
        card = http.get("/a2a/echo/extendedAgentCard", headers={"Authorization": f"Bearer {TOKEN}"})
        assert card.status_code == 200
        assert card.json()["name"] == "echo" and "supportedInterfaces" in card.json()
