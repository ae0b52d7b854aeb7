"""The HTTP+JSON codec: request lines → operations and params; errors → google.rpc.Status."""

from __future__ import annotations

from typing import Any

import pytest

from interop.a2a import wire as w
from interop.a2a.codecs import http_json
from interop.a2a.errors import (
    ERROR_INFO,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    TaskNotCancelable,
    TaskNotFound,
    VersionNotSupported,
    to_status,
)
from interop.a2a.model import GetTaskParams, ListTasksParams, PushConfig, PushConfigRef
from interop.core.errors import NotFound


@pytest.mark.parametrize(
    ("method", "path", "operation", "path_params"),
    [
        ("POST", "message:send", w.SEND, {}),
        ("POST", "message:stream", w.STREAM, {}),
        ("GET", "tasks", w.LIST, {}),
        ("GET", "tasks/t1", w.GET, {"id": "t1"}),
        ("POST", "tasks/t1:cancel", w.CANCEL, {"id": "t1"}),
        ("POST", "tasks/t1:subscribe", w.SUBSCRIBE, {"id": "t1"}),
        ("GET", "tasks/t1:subscribe", w.SUBSCRIBE, {"id": "t1"}),
        ("POST", "tasks/t1/pushNotificationConfigs", w.PUSH_SET, {"taskId": "t1"}),
        ("GET", "tasks/t1/pushNotificationConfigs", w.PUSH_LIST, {"taskId": "t1"}),
        ("GET", "tasks/t1/pushNotificationConfigs/c1", w.PUSH_GET, {"taskId": "t1", "id": "c1"}),
        (
            "DELETE",
            "tasks/t1/pushNotificationConfigs/c1",
            w.PUSH_DELETE,
            {"taskId": "t1", "id": "c1"},
        ),
        ("GET", "extendedAgentCard", w.EXTENDED_CARD, {}),
        ("POST", "acme/message:send", w.SEND, {"tenant": "acme"}),
        ("GET", "acme/tasks", w.LIST, {"tenant": "acme"}),
        ("GET", "acme/tasks/t1", w.GET, {"tenant": "acme", "id": "t1"}),
        ("GET", "/tasks/t1/", w.GET, {"id": "t1"}),
    ],
)
def test_routes(method: str, path: str, operation: str, path_params: dict[str, str]) -> None:
    found = http_json.route(method, path)
    assert found.operation == operation
    assert found.path_params == path_params


def test_every_operation_of_the_1_0_codec_has_a_route() -> None:
    routed = {operation for _, _, operation in http_json.ROUTES}
    assert routed == set(http_json.CODEC.decode)


@pytest.mark.parametrize(
    ("method", "path", "error"),
    [
        ("DELETE", "message:send", http_json.MethodNotAllowed),
        ("GET", "message:send", http_json.MethodNotAllowed),
        ("POST", "tasks/t1", http_json.MethodNotAllowed),
        ("GET", "tasks/t1:cancel", http_json.MethodNotAllowed),
        ("GET", "nothing/here/at/all", MethodNotFound),
        ("POST", "", MethodNotFound),
    ],
)
def test_unknown_paths_and_methods(method: str, path: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        http_json.route(method, path)


def test_get_reads_the_query_and_the_path() -> None:
    found = http_json.route("GET", "tasks/t1")
    params = http_json.decode(found, "GET", [("historyLength", "3")], None)
    assert params == GetTaskParams(id="t1", history_length=3)


def test_list_query_converts_numbers_booleans_and_no_filter_states() -> None:
    found = http_json.route("GET", "tasks")
    query = [
        ("contextId", "c1"),
        ("pageSize", "5"),
        ("includeArtifacts", "true"),
        ("status", "UNRECOGNIZED"),
    ]
    params = http_json.decode(found, "GET", query, None)
    assert isinstance(params, ListTasksParams)
    assert (params.context_id, params.page_size, params.include_artifacts) == ("c1", 5, True)
    assert params.status is None
    working = http_json.decode(found, "GET", [("status", "TASK_STATE_WORKING")], None)
    assert working.status == "working"
    # Enum numbers, as query strings: 2 is TASK_STATE_WORKING, 0 the unspecified value.
    assert http_json.decode(found, "GET", [("status", "2")], None).status == "working"
    assert http_json.decode(found, "GET", [("status", "0")], None).status is None
    with pytest.raises(InvalidParams):
        http_json.decode(found, "GET", [("status", "99")], None)


def test_path_fields_win_over_the_body() -> None:
    found = http_json.route("POST", "tasks/t1/pushNotificationConfigs")
    config = http_json.decode(
        found, "POST", [], {"taskId": "other", "url": "https://example.com/h", "token": "x"}
    )
    assert isinstance(config, PushConfig)
    assert (config.task_id, config.url, config.token) == ("t1", "https://example.com/h", "x")
    ref = http_json.decode(
        http_json.route("DELETE", "tasks/t1/pushNotificationConfigs/c1"), "DELETE", [], None
    )
    assert ref == PushConfigRef(task_id="t1", config_id="c1")


def test_an_empty_post_body_is_an_empty_request() -> None:
    assert http_json.decode(http_json.route("POST", "tasks/t1:cancel"), "POST", [], None) == "t1"


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        ([1], InvalidRequest, "body"),
        ({"message": {"role": "ROLE_USER", "parts": []}}, InvalidParams, "message.messageId"),
    ],
)
def test_bad_bodies(body: Any, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as raised:
        http_json.decode(http_json.route("POST", "message:send"), "POST", [], body)
    assert getattr(raised.value, "field", None) == field


def test_bad_query_values_name_the_field() -> None:
    with pytest.raises(InvalidParams) as raised:
        http_json.decode(http_json.route("GET", "tasks"), "GET", [("pageSize", "many")], None)
    assert raised.value.field == "pageSize"


@pytest.mark.parametrize(
    ("error", "status", "grpc", "reason"),
    [
        (TaskNotFound("gone"), 404, "NOT_FOUND", "TASK_NOT_FOUND"),
        (NotFound("gone"), 404, "NOT_FOUND", "TASK_NOT_FOUND"),
        (TaskNotCancelable(), 400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE"),
        (VersionNotSupported(), 400, "FAILED_PRECONDITION", "VERSION_NOT_SUPPORTED"),
        (InvalidParams("x", field="f"), 400, "INVALID_ARGUMENT", "INVALID_PARAMS"),
        (ParseError(), 400, "INVALID_ARGUMENT", "PARSE_ERROR"),
        (MethodNotFound(), 404, "NOT_FOUND", "METHOD_NOT_FOUND"),
        (RuntimeError("secret detail"), 500, "INTERNAL", "INTERNAL"),
    ],
)
def test_errors_as_google_rpc_status(error: Exception, status: int, grpc: str, reason: str) -> None:
    code, body = to_status(error)
    assert code == status == body["error"]["code"]
    assert body["error"]["status"] == grpc
    infos = [d for d in body["error"]["details"] if d["@type"] == ERROR_INFO]
    assert [i["reason"] for i in infos] == [reason]
    assert "secret detail" not in str(body)
