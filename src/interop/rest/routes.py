"""The REST API's route table: every resource module's routes, in one order."""

from __future__ import annotations

from interop.rest import assistants, crons, runs, state, store, system, thread_stream, threads
from interop.rest.routing import Router

router = Router.combine(
    system.router,
    assistants.router,
    threads.router,
    state.router,
    crons.router,
    runs.router,
    thread_stream.router,
    store.router,
)
