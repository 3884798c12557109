"""Reading the JSON a chat platform sent, which a client (or a forger with the secret) may have malformed."""

from __future__ import annotations

from typing import Any


def field(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The object `data[name]`, or an empty one when it is missing or not an object."""
    value = data.get(name)
    return value if isinstance(value, dict) else {}
