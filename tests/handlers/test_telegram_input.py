"""What the Telegram handler reads of an update is bounded by what a Telegram client can send."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.telegram import addressed_to_bot, links_in
from tests.support.data import SHORT
from tests.support.fake_telegram import Call
from tests.support.telegram_service import telegram_service
from tests.support.waiting import until

pytestmark = pytest.mark.usefixtures("fast_pacing")

LINK = "https://youtu.be/AAAAAAAAAAA"


@given(st.integers(min_value=0, max_value=299))
def test_only_the_first_hundred_entities_are_read(position: int) -> None:
    entities = [{"type": "bold", "offset": 0, "length": 1}] * 300
    entities[position] = {"type": "text_link", "offset": 0, "length": 1, "url": LINK}
    assert links_in({"text": "x", "entities": entities}) == (["AAAAAAAAAAA"] if position < 100 else [])


@given(st.integers(min_value=0, max_value=10_000))
def test_only_the_first_4096_characters_of_a_text_are_read(padding: int) -> None:
    message = {"text": " " * padding + LINK}
    assert links_in(message) == (["AAAAAAAAAAA"] if padding + len(LINK) <= 4096 else [])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
MESSAGE_FIELDS = ["text", "caption", "entities", "caption_entities", "reply_to_message", "from", "chat"]
ENTITY = st.fixed_dictionaries(
    {"type": st.sampled_from(["url", "text_link", "mention", "text_mention"])},
    optional={"offset": JSON, "length": JSON, "url": JSON, "user": JSON},
)


@given(
    st.dictionaries(st.sampled_from(MESSAGE_FIELDS), JSON, max_size=5),
    st.lists(ENTITY | JSON, max_size=5),
    st.text(max_size=60),
)
def test_what_a_malformed_message_holds_is_read_without_an_error(
    fields: dict[str, Any], entities: list[Any], text: str
) -> None:
    message = {**fields, "text": text + " https://youtu.be/AAAAAAAAAAA", "entities": entities}
    assert links_in(message)[0] == "AAAAAAAAAAA"
    addressed_to_bot(message, 7, "the_bot")
    for broken in (fields, {"text": text, "entities": fields}, {"reply_to_message": fields}):
        links_in(broken)
        addressed_to_bot(broken, 7, "the_bot")


async def test_malformed_updates_are_answered_where_possible_and_never_log_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link = f"see https://youtu.be/{SHORT}"
    chat = {"id": 42, "type": "private"}
    user = {"id": 42, "is_bot": False, "first_name": "Ada"}
    updates = [
        {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": link,
         "entities": [{"type": "url", "offset": "x", "length": 2}]},
        {"message_id": 2, "date": 0, "chat": {"id": "abc", "type": "private"}, "from": user, "text": link},
        {"date": 0, "chat": chat, "from": user, "text": "hello"},  # no message_id
        {"message_id": 3, "date": 0, "chat": chat, "from": "x", "text": link, "reply_to_message": 5},
    ]  # fmt: skip
    with caplog.at_level(logging.WARNING):
        async with telegram_service() as svc:
            for number, message in enumerate(updates, 1000):
                response = await svc.post({"update_id": number, "message": message})
                assert response.status_code == 200  # a reply that needs no answer may ride in the response
                assert response.json() == {} or response.json()["method"] == "sendMessage"

            def answered() -> list[Call] | None:
                sent = svc.fake.called("sendMessage")
                return sent if len(sent) >= 3 else None

            sent = await until(answered)
            await svc.summary(
                next(c for c in sent if (c.params.get("reply_parameters") or {}).get("message_id") == 3)
            )
    replied_to = sorted(str((c.params.get("reply_parameters") or {}).get("message_id")) for c in sent)
    assert replied_to == ["1", "3", "None"]  # the message without an id is answered, not replied to
    assert all(c.params["chat_id"] == 42 for c in sent)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
