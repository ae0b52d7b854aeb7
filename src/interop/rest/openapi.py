"""The OpenAPI document, generated from the route table, and the /docs page (Swagger UI,
served from the swagger-ui-bundle package so it works offline)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from interop import __version__
from interop.core.crons import timezones
from interop.rest.models import QUERY_SCHEMAS, UUID_PATH_PARAMS, ErrorResponse
from interop.rest.responses import JSONResponse
from interop.rest.routing import Query, RouteSpec

_REF = "#/components/schemas/{model}"
_CRON_MODELS = ("CronCreate", "ThreadCronCreate", "CronPatch")
_WEBHOOK_MODELS = ("RunCreateStateful", "RunCreateStateless", *_CRON_MODELS)
_PARAM = re.compile(r"{(\w+)}")


def build_openapi(
    specs: list[RouteSpec], graphs: Iterable[str] = (), webhook: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The document of the route table; assistant and graph references are declared as the
    server checks them: an assistant is a UUID or one of `graphs`, a graph one of `graphs`; a
    webhook as `webhook` (the config's policy), a cron's timezone as one of the IANA names."""
    schemas: dict[str, Any] = {"Timezone": {"type": "string", "enum": sorted(timezones())}}
    webhook_ref = {"anyOf": [webhook or {"type": "string", "minLength": 1}, {"type": "null"}]}
    timezone_ref = {"anyOf": [{"$ref": _REF.format(model="Timezone")}, {"type": "null"}]}
    names = sorted(graphs)
    graph_ref: dict[str, Any] = {"type": "string", "enum": names} if names else {"type": "string"}
    assistant_ref: dict[str, Any] = {"anyOf": [{"type": "string", "format": "uuid"}, graph_ref]}

    def schema_of(kind: Any) -> dict[str, Any]:
        adapter = TypeAdapter(kind)
        schema = adapter.json_schema(ref_template=_REF)
        for name, definition in schema.pop("$defs", {}).items():
            schemas[name] = definition
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            schemas[kind.__name__] = schema
            return {"$ref": _REF.format(model=kind.__name__)}
        return schema

    error = schema_of(ErrorResponse)
    paths: dict[str, Any] = {}
    for spec in specs:
        operation: dict[str, Any] = {
            "summary": spec.summary,
            "tags": [spec.tag],
            "operationId": spec.handler.__name__,
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": assistant_ref if name == "assistant_id" else _path_schema(name),
                }
                for name in _PARAM.findall(spec.path)
            ]
            + [_query_parameter(name, kind) for name, kind in spec.query.items()],
        }
        if spec.body is not None:
            operation["requestBody"] = {
                "required": not getattr(spec.body, "optional", False),
                "content": {"application/json": {"schema": schema_of(spec.body)}},
            }
        responses: dict[str, Any] = {}
        if spec.stream:
            responses["200"] = {
                "description": "Server-sent events",
                # each event's `data` is JSON of the event's own shape
                "content": {"text/event-stream": {"schema": {}}},
            }
        elif spec.status == 204:
            responses["204"] = {"description": "No content"}
        else:
            content = (
                {"schema": schema_of(spec.response)}
                if spec.response is not None
                else {"schema": {}}
            )
            if spec.body is not None and "select" in getattr(spec.body, "model_fields", {}):
                content = {"schema": _selected(content["schema"], schemas)}
            responses[str(spec.status)] = {
                "description": "Success",
                "content": {"application/json": content},
            }
        for status, text in spec.empty.items():
            responses[str(status)] = {"description": text}
        errors = [("404", "Not found"), ("409", "Conflict"), ("422", "Invalid request")]
        if spec.body is not None:
            errors += [("413", "Body too large"), ("415", "Body not declared JSON")]
        errors.append(("503", "Overloaded, or storage unreachable: retry after `Retry-After`"))
        for code, text in errors:
            responses[code] = {
                "description": text,
                "content": {"application/json": {"schema": error}},
            }
        for status, shape in spec.errors.items():
            responses[str(status)] = {
                "description": "Invalid request",
                "content": {"application/json": {"schema": schema_of(shape)}},
            }
        operation["responses"] = responses
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    for model, field, ref in (
        ("RunCreateStateful", "assistant_id", assistant_ref),
        ("RunCreateStateless", "assistant_id", assistant_ref),
        ("CronCreate", "assistant_id", assistant_ref),
        ("ThreadCronCreate", "assistant_id", assistant_ref),
        ("AssistantCreate", "graph_id", graph_ref),
        ("AssistantPatch", "graph_id", {"anyOf": [graph_ref, {"type": "null"}]}),
        *((model, "webhook", webhook_ref) for model in _WEBHOOK_MODELS),
        *((model, "timezone", timezone_ref) for model in _CRON_MODELS),
    ):
        properties = schemas.get(model, {}).get("properties", {})
        if field in properties:
            properties[field] = ref
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "interop",
            "version": __version__,
            "description": "The LangGraph Agent Server REST API, served by interop.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _selected(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A list response whose items carry only the fields a `select` names: none required."""
    items = schema.get("items", {})
    ref = items.get("$ref", "")
    if not ref:
        return schema
    partial = {k: v for k, v in schemas[ref.rsplit("/", 1)[-1]].items() if k != "required"}
    return {"type": "array", "items": partial}


def _path_schema(name: str) -> dict[str, Any]:
    if name in UUID_PATH_PARAMS:
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _query_parameter(name: str, kind: str | Query) -> dict[str, Any]:
    declared = kind if isinstance(kind, Query) else None
    schema = declared.schema if declared else QUERY_SCHEMAS.get(name) or _query_schema(str(kind))
    required = declared.required if declared else False
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _query_schema(kind: str) -> dict[str, Any]:
    """`"boolean|integer"` → one schema accepting each listed JSON type."""
    kinds = kind.split("|")
    return {"type": kinds[0]} if len(kinds) == 1 else {"anyOf": [{"type": k} for k in kinds]}


_DOCS = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>interop API reference</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true,
  tryItOutEnabled: true, persistAuthorization: true});
</script>
</body>
</html>
"""


async def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def docs_endpoint(request: Request) -> Response:
    return HTMLResponse(_DOCS)
