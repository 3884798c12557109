"""`/ask` in Discord, end to end: the real app under uvicorn, signed interactions, the local Discord API
server. Deferred then edited with the answer, a cached answer at once, errors (also unexpected ones),
Discord's limits."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from summarizer.retrieval import search
from tests.support import subtitle_files as files
from tests.support.data import MEDIUM, UNCAPTIONED, transcript_fetches
from tests.support.discord_service import Service, ask, check_message, discord_service, edits, is_final
from tests.support.fake_llm import MALFORMED, FakeLLM
from tests.support.redis_mode import monitored
from tests.support.runners import CrashingRunner

QUESTION = "How many parameters does each block of multi-headed attention have?"


async def answered(svc: Service, interaction: dict[str, Any]) -> dict[str, Any]:
    response = await svc.send(interaction)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_deferred_then_edited_with_the_passages() -> None:
    async with discord_service() as svc:
        assert await answered(svc, ask(f"https://youtu.be/{MEDIUM}", QUESTION)) == {"type": 5}
        await svc.fake.wait_for(edits)
        [edit] = edits(svc.fake)
        cached = await answered(svc, ask(MEDIUM, QUESTION, token="tok-2"))
    check_message(edit.body)
    [embed] = edit.body["embeds"]
    assert embed["title"] == QUESTION and embed["url"] == f"https://www.youtube.com/watch?v={MEDIUM}"
    lines = embed["description"].split("\n")
    assert 3 <= len(lines) <= 5 and all(
        line.startswith("[") and f"youtu.be/{MEDIUM}?t=" in line for line in lines
    )
    assert "600 million parameters" in lines[0]
    # The same question again: the answer is the interaction response itself.
    assert cached == {"type": 4, "data": edit.body}


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's Redis close()
async def test_a_question_not_cached_reads_its_cached_answer_once(redis_url: str) -> None:
    """The interaction's look-up found no answer: the deferred answering does not read the cache again."""
    async with monitored(redis_url) as commands, discord_service(redis_url=redis_url) as svc:
        assert await answered(svc, ask(MEDIUM, QUESTION)) == {"type": 5}
        await svc.fake.wait_for(edits)
    reads = [c for c in commands if c.startswith("GET cache:value:ask:")]
    assert len(reads) == 1 and f":{MEDIUM}:" in reads[0]


async def test_a_model_answer_of_another_shape_still_answers_with_the_passages() -> None:
    """The model's stream is not the API's shape (`choices` a string): the passages answer, as for a model
    that failed, not "something went wrong"."""
    async with FakeLLM().running() as llm:
        llm.send_when("<question>", *MALFORMED["choices a string"][1])
        async with discord_service(llm_base_url=llm.url, llm_model="fake-model") as svc:
            assert await answered(svc, ask(MEDIUM, QUESTION)) == {"type": 5}
            await svc.fake.wait_for(edits)
            [edit] = edits(svc.fake)
    assert len(llm.requests) == 1
    [embed] = edit.body["embeds"]
    assert embed["title"] == QUESTION and "600 million parameters" in embed["description"].split("\n")[0]


async def test_errors() -> None:
    async with discord_service() as svc:
        bad_link = await answered(svc, ask("https://example.com/nothing", QUESTION))
        assert bad_link["type"] == 4 and bad_link["data"]["flags"] == 64
        assert "YouTube video link" in bad_link["data"]["content"]
        blank = await answered(svc, ask(MEDIUM, "   "))
        assert blank["data"]["flags"] == 64 and "Ask a question" in blank["data"]["content"]

        assert await answered(svc, ask("AAAAAAAAAAA", QUESTION)) == {"type": 5}
        await svc.fake.wait_for(edits)
        [edit] = edits(svc.fake)
    assert edit.body["content"].startswith("⚠️ This video has no captions")


async def test_a_crash_while_answering_still_edits_the_deferred_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The CPU process dies while searching: "thinking…" becomes a friendly error, logged once."""
    with caplog.at_level(logging.ERROR):
        async with discord_service(CrashingRunner(search)) as svc:
            assert await answered(svc, ask(MEDIUM, QUESTION)) == {"type": 5}
            await svc.fake.wait_for(edits)
            [edit] = edits(svc.fake)
    assert edit.body["content"] == "⚠️ Something went wrong on my side. Please try again."
    assert edit.body["embeds"] == [] and edit.body["allowed_mentions"] == {"parse": []}
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.exc_info is not None and "child process died" in str(logged.exc_info[1])


async def test_summarize_still_works_through_the_same_endpoint() -> None:
    async with discord_service() as svc:
        assert (await svc.summarize(f"https://youtu.be/{MEDIUM}"))["type"] in (4, 5)


async def test_a_malformed_interaction_is_answered() -> None:
    async with discord_service() as svc:
        broken = ask(MEDIUM, QUESTION)
        broken["data"] = "not an object"
        answer = await answered(svc, broken)
    assert answer["type"] == 4 and answer["data"]["flags"] == 64


async def test_a_video_summarized_from_a_subtitle_file_is_asked_about_from_that_file() -> None:
    async with discord_service() as svc:
        attachment = svc.fake.attach("lecture.srt", files.srt(MEDIUM).encode())
        assert await svc.summarize(f"https://youtu.be/{UNCAPTIONED}", file=attachment) == {"type": 5}
        await svc.fake.wait_for(lambda f: any(map(is_final, edits(f))))
        fetched = transcript_fetches()
        assert await answered(svc, ask(UNCAPTIONED, QUESTION, token="tok-2")) == {"type": 5}
        await svc.fake.wait_for(lambda f: edits(f, "tok-2"))
        assert transcript_fetches() == fetched  # no provider asked: the file answered
        # The file is its sender's: another user asking about the video gets YouTube's captions (none).
        assert await answered(svc, ask(UNCAPTIONED, QUESTION, token="tok-3", user="7")) == {"type": 5}
        await svc.fake.wait_for(lambda f: edits(f, "tok-3"))
    [edit] = edits(svc.fake, "tok-2")
    [embed] = edit.body["embeds"]
    assert embed["url"] == f"https://www.youtube.com/watch?v={UNCAPTIONED}"
    assert "600 million parameters" in embed["description"].split("\n")[0]
    assert f"youtu.be/{UNCAPTIONED}?t=" in embed["description"]
    [other] = edits(svc.fake, "tok-3")
    assert other.body["content"].startswith("⚠️ This video has no captions")
