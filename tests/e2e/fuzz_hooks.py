"""Schemathesis hooks for test_openapi_fuzz (loaded through SCHEMATHESIS_HOOKS).

Text holding U+0000 is taken out of every body: the server refuses it on every door (422;
PostgreSQL stores no such text), which the document cannot say of free-form JSON (metadata,
input) without a pattern on every string at every depth; tests/e2e/test_hardening.py checks the
refusal. Four more things are held back, each because the server does as asked, not because it
errs: a run
delayed by `after_seconds` (up to a week, within the declared bound) would make a `/wait`
request wait that long, so delays are capped at a second; a cron fires as scheduled (every
second, for `* * * * * *`), loading the server with runs for the rest of the test, so crons are
made and updated disabled; the thread streams stay open until
the client leaves unless `timeout` bounds them, so they are always given one; and a `webhook` of
the declared URL grammar that the policy refuses for its address (loopback, private, a port past
65535, a malformed IPv6 address), which the document cannot express, is left out.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from interop.core.errors import InvalidInput
from interop.core.webhooks import WebhookPolicy, url_pattern

_POLICY = WebhookPolicy()  # the fuzzed server's: no `webhooks` section in its config
_URL = re.compile(url_pattern())
_STREAMS = {("GET", "/threads/{thread_id}/stream"), ("POST", "/threads/{thread_id}/stream/events")}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    # before_call runs in every phase (the coverage phase applies no generation hooks).
    _hold_back(case.body)
    cron = "/crons" in case.operation.path and isinstance(case.body, dict)
    if cron and case.body.get("enabled", True) is True:  # an invalid `enabled` stays as it is
        case.body["enabled"] = False
    if (case.operation.method.upper(), case.operation.path) in _STREAMS:
        case.query = {**(case.query or {}), "timeout": 1}


def _without_nul(value: Any) -> Any:
    """`value` with U+0000 taken out of every string and key."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _hold_back(body: Any) -> None:
    if isinstance(body, list):
        for index, item in enumerate(body):
            body[index] = _without_nul(item)
            _hold_back(body[index])
    elif isinstance(body, dict):
        cleaned = _without_nul(body)
        body.clear()
        body.update(cleaned)
        webhook = body.get("webhook")
        if isinstance(webhook, str) and _declared(webhook) and _refused(webhook):
            del body["webhook"]
        delay = body.get("after_seconds")
        if isinstance(delay, int | float) and not isinstance(delay, bool) and delay > 1:
            body["after_seconds"] = 1


def _declared(url: str) -> bool:
    return len(url) <= _POLICY.max_url_length and _URL.fullmatch(url) is not None


def _refused(url: str) -> bool:
    try:
        _POLICY.check(url)
    except InvalidInput:
        return True
    return False


# Requests the document cannot call invalid: what they name must exist in the thread's graph (a
# node for `as_node`, a graph in the thread's metadata for `supersteps`). The server's 422 for
# them is right; any other failure of these operations still counts.
_STATE_DEPENDENT = {("POST", "/threads/{thread_id}/state"), ("POST", "/threads")}


# A version of an assistant the stateful phase picks at random: the assistant it just made
# exists, but has one version, so another is rightly not found (404), which the check reads
# as the created resource missing.
_VERSIONED = {("POST", "/assistants/{assistant_id}/latest")}


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    operation = (case.operation.method.upper(), case.operation.path)
    kind = type(failure).__name__
    semantic = (
        operation in _STATE_DEPENDENT
        and response.status_code == 422
        and kind == "RejectedPositiveData"
    ) or (
        operation in _VERSIONED
        and response.status_code == 404
        and kind == "EnsureResourceAvailability"  # the assistant itself: GET checks it
    )
    return not semantic
