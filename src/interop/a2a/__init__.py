"""The A2A front door: JSON-RPC 2.0 + SSE at `/a2a/{assistant_id}`, protocol 1.0 and 0.3.

One handler (`handler.py`) works on version-neutral records (`model.py`); each protocol version
is a codec at the edge (`v1.py`, `v03.py`) that turns wire params into those records and
records back into wire JSON. `jsonrpc.py` negotiates the version and dispatches with
jsonrpcserver; `card.py` builds agent cards; `push.py` delivers push notifications.
"""
