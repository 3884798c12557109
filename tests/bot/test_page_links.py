"""Chat messages of a long summary link to its page (`PUBLIC_URL/s/<id>`, api/pages.py), so the chat can stay
a table of contents; a summary that fits one message, or a service without a public address, does not."""

from __future__ import annotations

from bot.discord_render import summary_messages
from bot.telegram_render import render_final
from summarizer.links import page_url
from tests.support.data import LONG, SHORT
from tests.support.summaries import summarized

PAGE = "https://summaries.example/s/AbCdEfGhIjKlMnOp"


async def test_a_long_summary_links_to_its_page_in_the_first_telegram_message() -> None:
    job = await summarized(LONG)
    first, *rest = render_final(job, PAGE)
    assert rest, "LONG takes more than one message"
    assert f'<a href="{PAGE}">🔗 The whole summary on one page</a>' in first.split("\n")[:2]
    assert not [m for m in rest if PAGE in m]
    assert render_final(job) == render_final(job, None)
    assert len(render_final(job, PAGE)) == len(render_final(job))

    short = await summarized(SHORT)
    assert render_final(short, PAGE) == render_final(short)  # one message: nothing to link


async def test_a_long_summary_links_to_its_page_in_the_first_discord_message() -> None:
    job = await summarized(LONG)
    first, *rest = summary_messages(job, PAGE)
    assert rest, "LONG takes more than one message"
    assert first["content"] == f"The whole summary on one page: <{PAGE}>"
    assert all(m["content"] == "" for m in rest)
    assert [m["embeds"] for m in summary_messages(job, PAGE)] == [m["embeds"] for m in summary_messages(job)]
    assert summary_messages(job)[0]["content"] == ""

    short = await summarized(SHORT)
    assert summary_messages(short, PAGE) == summary_messages(short)


def test_the_page_address_is_the_public_url_s_and_none_without_one() -> None:
    assert page_url("https://summaries.example/", "AbCdEfGhIjKlMnOp") == PAGE
    assert page_url("https://summaries.example", "AbCdEfGhIjKlMnOp") == PAGE
    assert page_url(None, "AbCdEfGhIjKlMnOp") is None
