"""A malformed Discord interaction (signed, so from Discord or someone with its key) gets a polite answer,
never a traceback (issue 17)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.discord import options_of, requester_of
from tests.support.data import SHORT
from tests.support.discord_service import command, discord_service

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["data", "member", "user", "type"]), JSON), JSON)
def test_options_and_requester_of_anything_are_read_without_an_error(
    fields: dict[str, Any], options: Any
) -> None:
    for interaction in (fields, {**fields, "data": {"name": "summarize", "options": options}}):
        assert all(isinstance(name, str) for name in options_of(interaction))
        assert requester_of(interaction).startswith("dc:")


async def test_malformed_interactions_get_a_polite_ephemeral_answer(caplog: pytest.LogCaptureFixture) -> None:
    valid = command(SHORT)
    refused = [
        valid | {"data": "summarize"},
        valid | {"data": {"name": "summarize", "options": "url"}},
        valid | {"data": {"name": "summarize", "options": [{"name": 5, "value": SHORT}]}},
    ]
    with caplog.at_level(logging.WARNING):
        async with discord_service() as service:
            for interaction in refused:
                response = await service.send(interaction)
                assert response.status_code == 200
                answer = response.json()
                assert answer["type"] == 4 and answer["data"]["flags"] == 64 and answer["data"]["content"]
            # Who asked is unclear, what is asked is not: summarized.
            assert (await service.send(valid | {"member": "someone"})).json() == {"type": 5}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
