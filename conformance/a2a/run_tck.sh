#!/usr/bin/env bash
# Run the official A2A TCK (github.com/a2aproject/a2a-tck) against a running interop server.
#
#   conformance/a2a/run_tck.sh TCK_CHECKOUT BASE_URL [AGENT]
#
# TCK_CHECKOUT is a checkout of the TCK you made yourself (this script never downloads or
# copies it): branch 1.0-dev or 0.3.x, found by its runner's options. BASE_URL is the server's
# base URL (e.g. http://127.0.0.1:8123), serving conformance/a2a/interop.json:
#
#   interop serve --config conformance/a2a/interop.json --port 8123
#
# AGENT (default: tck, the config's default assistant) is the agent under test. The TCK gets
# its own virtualenv in TCK_CHECKOUT/.venv (its dependencies from PyPI, through uv) and runs
# with its own defaults:
#   1.0-dev: `run_tck.py --sut-host BASE_URL --level must`, the card read at the server's root
#            (the default agent), every transport the card declares (JSON-RPC and HTTP+JSON),
#            then each transport on its own.
#   0.3.x:   `run_tck.py --sut-url BASE_URL/a2a/AGENT --category mandatory`, then `capabilities`.
# Exit status: non-zero when any run failed (see README "A2A TCK results" for the known ones).
set -uo pipefail

if [ $# -lt 2 ]; then
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
tck=$(cd "$1" && pwd) || exit 2
base=${2%/}
agent=${3:-tck}
status=0

if [ ! -x "$tck/.venv/bin/python" ]; then
    if [ -f "$tck/uv.lock" ]; then
        (cd "$tck" && uv sync --locked --quiet) || exit 2
    else
        (cd "$tck" && uv venv --quiet && uv pip install --quiet -e .) || exit 2
    fi
fi
py="$tck/.venv/bin/python"

run() {
    echo "== $*"
    (cd "$tck" && "$py" run_tck.py "$@") || status=1
}

if grep -q -- "--sut-host" "$tck/run_tck.py"; then
    run --sut-host "$base" --level must
    run --sut-host "$base" --level must --transport jsonrpc
    run --sut-host "$base" --level must --transport http_json
else
    run --sut-url "$base/a2a/$agent" --category mandatory
    run --sut-url "$base/a2a/$agent" --category capabilities
fi
exit $status
