"""Agent cards: the strict 1.0 card (nothing outside the 1.0 schema) for `A2A-Version: 1.0`, the
0.3 card for 0.3, and with no version named the two merged (what a2a-sdk 0.3 clients, which send
no header and need `url`, and 1.0 clients both read)."""

from __future__ import annotations

import httpx

# AgentCard fields of the 1.0 proto (the JSON schema allows nothing else).
V1_FIELDS = {
    "name",
    "description",
    "supportedInterfaces",
    "provider",
    "version",
    "documentationUrl",
    "capabilities",
    "securitySchemes",
    "securityRequirements",
    "defaultInputModes",
    "defaultOutputModes",
    "skills",
    "signatures",
    "iconUrl",
}
V1_REQUIRED = {
    "name",
    "description",
    "supportedInterfaces",
    "version",
    "capabilities",
    "defaultInputModes",
    "defaultOutputModes",
    "skills",
}


V03_FIELDS = {"url", "preferredTransport", "protocolVersion", "additionalInterfaces"}
INTERFACES = {("JSONRPC", "1.0"), ("HTTP+JSON", "1.0"), ("JSONRPC", "0.3")}


async def test_root_card_is_a_strict_1_0_card(http: httpx.AsyncClient, base_url: str) -> None:
    response = await http.get("/.well-known/agent-card.json", headers={"A2A-Version": "1.0"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    card = response.json()
    assert set(card) <= V1_FIELDS
    assert set(card) >= V1_REQUIRED
    assert set(card["capabilities"]) <= {
        "streaming",
        "pushNotifications",
        "extensions",
        "extendedAgentCard",
    }
    assert card["capabilities"]["streaming"] is True
    assert card["capabilities"]["pushNotifications"] is True
    versions = {(i["protocolBinding"], i["protocolVersion"]) for i in card["supportedInterfaces"]}
    assert versions == INTERFACES
    assert len({i["url"] for i in card["supportedInterfaces"]}) == 1
    for skill in card["skills"]:
        assert {"id", "name", "description", "tags"} <= set(skill)


async def test_card_without_a_version_carries_both_shapes(
    http: httpx.AsyncClient, base_url: str
) -> None:
    card = (await http.get("/a2a/echo/.well-known/agent-card.json")).json()
    assert set(card) >= V1_REQUIRED | V03_FIELDS
    assert card["url"] == f"{base_url}/a2a/echo"
    assert card["preferredTransport"] == "JSONRPC"
    assert card["protocolVersion"].startswith("0.3")
    assert {"url": card["url"], "transport": "JSONRPC"} in card["additionalInterfaces"]
    versions = {(i["protocolBinding"], i["protocolVersion"]) for i in card["supportedInterfaces"]}
    assert versions == INTERFACES


async def test_card_relative_to_the_agent_url_without_trailing_slash(
    http: httpx.AsyncClient, base_url: str
) -> None:
    # `.well-known/agent-card.json` resolved against `{base}/a2a/echo` (no trailing slash), as
    # URL resolution does, lands on `/a2a/.well-known/agent-card.json`: the default agent's card.
    default = (await http.get("/.well-known/agent-card.json")).json()
    card = (await http.get("/a2a/.well-known/agent-card.json")).json()
    assert card == default
    chosen = (
        await http.get("/a2a/.well-known/agent-card.json", params={"assistant_id": "echo"})
    ).json()
    assert chosen["name"] == "echo"


async def test_assistant_card_names_its_endpoint(http: httpx.AsyncClient, base_url: str) -> None:
    card = (await http.get("/a2a/echo/.well-known/agent-card.json")).json()
    assert card["name"] == "echo"
    assert {i["url"] for i in card["supportedInterfaces"]} == {f"{base_url}/a2a/echo"}
    assert card["description"]


async def test_root_card_picks_another_assistant(http: httpx.AsyncClient) -> None:
    card = (
        await http.get("/.well-known/agent-card.json", params={"assistant_id": "approval"})
    ).json()
    assert card["name"] == "approval"


async def test_0_3_card_on_request_and_at_the_legacy_path(
    http: httpx.AsyncClient, base_url: str
) -> None:
    for response in (
        await http.get("/a2a/echo/.well-known/agent-card.json", headers={"A2A-Version": "0.3"}),
        await http.get("/a2a/echo/.well-known/agent.json"),
    ):
        card = response.json()
        assert card["url"] == f"{base_url}/a2a/echo"
        assert card["protocolVersion"] == "0.3.0"
        assert card["preferredTransport"] == "JSONRPC"
        assert "supportedInterfaces" not in card
    legacy_root = (await http.get("/.well-known/agent.json")).json()
    assert legacy_root["url"].startswith(f"{base_url}/a2a/")


async def test_unknown_agent_card_is_404(http: httpx.AsyncClient) -> None:
    assert (await http.get("/a2a/no-such-agent/.well-known/agent-card.json")).status_code == 404


async def test_card_caching_headers_and_conditional_get(http: httpx.AsyncClient) -> None:
    first = await http.get("/a2a/echo/.well-known/agent-card.json")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await http.get("/a2a/echo/.well-known/agent-card.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    # Another card (another version) is another entity.
    strict = await http.get(
        "/a2a/echo/.well-known/agent-card.json",
        headers={"If-None-Match": etag, "A2A-Version": "1.0"},
    )
    assert strict.status_code == 200 and strict.headers["etag"] != etag
