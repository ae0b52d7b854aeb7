"""Task policies of the 2026-07-28 tasks extension, read from the config's tool overrides."""

from __future__ import annotations

from typing import Any

import pytest

from interop.core.graphs import ConfigError
from interop.mcp.task_extension import (
    DEFAULT_AFTER_MS,
    FORBIDDEN,
    OPTIONAL,
    REQUIRED,
    TaskPolicy,
    task_policies,
)


def test_defaults_and_overrides() -> None:
    policies = task_policies(
        {
            "plain": {"description": "no task keys"},
            "now": {"taskAfterMs": 0},
            "never": {"taskSupport": FORBIDDEN},
            "must": {"taskSupport": REQUIRED, "taskAfterMs": 250},
        }
    )
    assert "plain" not in policies  # the default policy applies
    assert TaskPolicy() == TaskPolicy(OPTIONAL, DEFAULT_AFTER_MS / 1000)
    assert policies["now"] == TaskPolicy(OPTIONAL, 0)
    assert policies["never"].support == FORBIDDEN
    assert policies["must"] == TaskPolicy(REQUIRED, 0.25)


@pytest.mark.parametrize(
    "override",
    [
        {"taskSupport": "sometimes"},
        {"taskAfterMs": -1},
        {"taskAfterMs": True},
        {"taskAfterMs": "1"},
    ],
)
def test_invalid_policy_is_a_config_error(override: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        task_policies({"g": override})
