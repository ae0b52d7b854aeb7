"""interop.rest.routing: body size limit (413), malformed JSON and invalid bodies (422), query
parameters, and method dispatch, on a tiny Starlette app with the real error handlers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from interop.rest.errors import EXCEPTION_HANDLERS
from interop.rest.responses import JSONResponse
from interop.rest.routing import Router, parse_body, query_bool, query_int, read_json
from interop.settings import Settings

LIMIT = 64


class Body(BaseModel):
    name: str
    count: int = 0


router = Router()


@router.route("POST", "/echo", summary="echo", tag="test")
async def echo_json(request: Request) -> Response:
    return JSONResponse({"got": await read_json(request)})


@router.route("POST", "/maybe", summary="maybe", tag="test")
async def maybe_json(request: Request) -> Response:
    return JSONResponse({"got": await read_json(request, allow_empty=True)})


@router.route("POST", "/model", summary="model", tag="test", body=Body)
async def model(request: Request) -> Response:
    body = await parse_body(request, Body)
    return JSONResponse(body.model_dump())


@router.route("POST", "/model-optional", summary="model", tag="test", body=Body)
async def model_optional(request: Request) -> Response:
    class Optional(BaseModel):
        name: str = "default"

    body = await parse_body(request, Optional, allow_empty=True)
    return JSONResponse(body.model_dump())


@router.route("GET", "/query", summary="query", tag="test")
async def query(request: Request) -> Response:
    return JSONResponse(
        {
            "flag": query_bool(request, "flag"),
            "n": query_int(request, "n", 10, minimum=1, maximum=100),
        }
    )


@router.route("GET", "/both", summary="get", tag="test")
async def both_get(request: Request) -> Response:
    return JSONResponse({"method": "GET"})


@router.route("DELETE", "/both", summary="delete", tag="test")
async def both_delete(request: Request) -> Response:
    return JSONResponse({"method": "DELETE"})


JSON = {"content-type": "application/json"}


@contextlib.asynccontextmanager
async def _client(limit: int) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=router.routes(), exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    app.state.settings = Settings(max_body_bytes=limit)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(LIMIT) as http:
        yield http


@pytest.fixture
async def roomy() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same routes with a body limit that deep nesting fits in."""
    async with _client(1_000_000) as http:
        yield http


def _detail(response: httpx.Response) -> Any:
    body = response.json()
    assert set(body) == {"detail"}
    return body["detail"]


async def test_json_within_the_limit(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"a": [1, 2, 3]})
    assert response.status_code == 200
    assert response.json() == {"got": {"a": [1, 2, 3]}}


async def test_body_exactly_at_the_limit(client: httpx.AsyncClient) -> None:
    payload = b'"' + b"x" * (LIMIT - 2) + b'"'
    assert len(payload) == LIMIT
    response = await client.post("/echo", content=payload, headers=JSON)
    assert response.status_code == 200


async def test_declared_length_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=orjson.dumps({"a": "x" * (LIMIT * 2)}), headers=JSON
    )
    assert response.status_code == 413
    _detail(response)


async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": "'
        for _ in range(10):
            yield b"x" * 32
        yield b'"}'

    # no Content-Length: the limit must hold while reading
    response = await client.post("/echo", content=chunks(), headers=JSON)
    assert response.status_code == 413
    _detail(response)


async def test_model_route_also_limited(client: httpx.AsyncClient) -> None:
    response = await client.post("/model", json={"name": "n" * (LIMIT * 2)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "payload", [b"{not json", b'{"a": 1', b"[1, 2,]", b"nul", b"\xff\xfe", b"{'a': 1}"]
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, payload: bytes) -> None:
    response = await client.post(
        "/echo", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    _detail(response)


@pytest.mark.parametrize("payload", [b"", b"   \n"])
async def test_empty_body_is_422_unless_allowed(client: httpx.AsyncClient, payload: bytes) -> None:
    response = await client.post("/echo", content=payload)
    assert response.status_code == 422
    _detail(response)
    allowed = await client.post("/maybe", content=payload)
    assert allowed.status_code == 200
    assert allowed.json() == {"got": None}


async def test_invalid_body_is_422_with_locations(client: httpx.AsyncClient) -> None:
    response = await client.post("/model", json={"count": "many"})
    assert response.status_code == 422
    detail = _detail(response)
    assert isinstance(detail, list)
    locations = {tuple(item["loc"]) for item in detail}
    assert ("name",) in locations
    assert ("count",) in locations
    for item in detail:
        assert set(item) == {"loc", "msg", "type"}  # no input echoed back


async def test_body_of_the_wrong_json_type_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/model", json=["name"])
    assert response.status_code == 422


async def test_valid_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/model", json={"name": "n", "count": 3})
    assert response.status_code == 200
    assert response.json() == {"name": "n", "count": 3}


async def test_empty_body_means_empty_object_when_allowed(client: httpx.AsyncClient) -> None:
    response = await client.post("/model-optional", content=b"")
    assert response.status_code == 200
    assert response.json() == {"name": "default"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"flag": False, "n": 10}),
        ({"flag": "true", "n": "5"}, {"flag": True, "n": 5}),
        ({"flag": "0"}, {"flag": False, "n": 10}),
        ({"flag": "YES"}, {"flag": True, "n": 10}),
    ],
)
async def test_query_values(
    client: httpx.AsyncClient, params: dict[str, str], expected: dict[str, Any]
) -> None:
    response = await client.get("/query", params=params)
    assert response.status_code == 200
    assert response.json() == expected


@pytest.mark.parametrize(
    "params", [{"flag": "maybe"}, {"n": "ten"}, {"n": "0"}, {"n": "101"}, {"n": "1.5"}]
)
async def test_bad_query_values_are_422(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/query", params=params)
    assert response.status_code == 422
    _detail(response)


async def test_dispatch_by_method(client: httpx.AsyncClient) -> None:
    assert (await client.get("/both")).json() == {"method": "GET"}
    assert (await client.delete("/both")).json() == {"method": "DELETE"}
    assert (await client.head("/both")).status_code == 200
    response = await client.post("/both", json={})
    assert response.status_code == 405
    _detail(response)


async def test_router_records_route_specs() -> None:
    paths = {(spec.method, spec.path) for spec in router.specs}
    assert ("POST", "/echo") in paths
    assert ("DELETE", "/both") in paths
    model_spec = next(spec for spec in router.specs if spec.path == "/model")
    assert model_spec.body is Body


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
    ],
)
async def test_a_body_not_declared_json_is_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    # A browser page sends these cross-site without a CORS preflight.
    response = await client.post("/echo", content=b"{}", headers={"content-type": content_type})
    assert response.status_code == 415
    _detail(response)


async def test_a_body_without_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b"{}")
    assert response.status_code == 415


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/x+json"])
async def test_json_media_types_are_accepted(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post("/echo", content=b"{}", headers={"content-type": content_type})
    assert response.status_code == 200


@pytest.mark.parametrize("depth", [129, 255, 300, 5000])
async def test_json_nested_too_deep_is_422(roomy: httpx.AsyncClient, depth: int) -> None:
    payload = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    response = await roomy.post("/echo", content=payload, headers=JSON)
    assert response.status_code == 422
    _detail(response)


async def test_json_nested_to_the_limit_is_taken(roomy: httpx.AsyncClient) -> None:
    payload = b"[" * 128 + b"]" * 128
    response = await roomy.post("/echo", content=payload, headers=JSON)
    assert response.status_code == 200


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"123456789012345678901234567890e300"])
async def test_numbers_out_of_range_are_422(client: httpx.AsyncClient, number: bytes) -> None:
    response = await client.post("/echo", content=b'{"a": ' + number + b"}", headers=JSON)
    assert response.status_code == 422
    _detail(response)


async def test_nan_literal_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b'{"a": NaN}', headers=JSON)
    assert response.status_code == 422


@pytest.mark.parametrize("method", ["TRACE", "PUT", "PATCH"])
async def test_unsupported_method_is_405_with_allow(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/both")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "DELETE"}
    _detail(response)
