"""The wire codecs at the edge of the version-blind handler: JSON-RPC 1.0 (`v1`), JSON-RPC 0.3
(`v03`) and the HTTP+JSON binding of 1.0 (`http_json`, which reuses `v1`'s ProtoJSON shapes)."""
