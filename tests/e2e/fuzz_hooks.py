"""Schemathesis hooks for test_openapi_fuzz (loaded through SCHEMATHESIS_HOOKS).

Three things are held back, each because the server does as asked, not because it errs: a run
delayed by `after_seconds` (up to a week, within the declared bound) would make a `/wait`
request wait that long, so delays are capped at a second; and the thread stream stays open until
the client leaves unless `timeout` bounds it, so it is always given one; a run's `webhook` must
pass the server's URL policy, and a thread's `ttl` would delete it mid-test, so bodies are fuzzed
without either.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    # before_call runs in every phase (the coverage phase applies no generation hooks).
    _cap_delays(case.body)
    if case.operation.path.endswith("/stream") and case.operation.method.lower() == "get":
        case.query = {**(case.query or {}), "timeout": 1}


def _cap_delays(body: Any) -> None:
    if isinstance(body, list):
        for item in body:
            _cap_delays(item)
    elif isinstance(body, dict):
        # A run's `webhook` must pass the server's URL policy (absolute http(s), no private
        # address unless allowed), which the document cannot express: the run is fuzzed without.
        body.pop("webhook", None)
        # A thread `ttl` of a fraction of a minute deletes the thread while the fuzzer still
        # uses it (as asked): threads are fuzzed without one.
        body.pop("ttl", None)
        delay = body.get("after_seconds")
        if isinstance(delay, int | float) and not isinstance(delay, bool) and delay > 1:
            body["after_seconds"] = 1


# Requests the document cannot call invalid: what they name must exist in the thread's graph (a
# node for `as_node`, a graph in the thread's metadata for `supersteps`). The server's 422 for
# them is right; any other failure of these operations still counts.
_STATE_DEPENDENT = {("POST", "/threads/{thread_id}/state"), ("POST", "/threads")}


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    operation = (case.operation.method.upper(), case.operation.path)
    semantic = (
        operation in _STATE_DEPENDENT
        and response.status_code == 422
        and type(failure).__name__ == "RejectedPositiveData"
    )
    return not semantic
