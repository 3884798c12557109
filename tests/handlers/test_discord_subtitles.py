"""Subtitle files sent to the Discord bot, end to end: `/summarize file:<attachment>` interactions signed like
Discord signs them, the attachment downloaded from its URL on the local fake of Discord (standing in for its
CDN, allowed by DISCORD_ATTACHMENT_ORIGINS), the deferred response edited to the summary, and the answers for
bad files and for attachment URLs that are not Discord's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from handlers.discord import is_attachment_url
from summarizer.subtitles import parse_subtitles
from tests.support import subtitle_files as files
from tests.support.data import GERMAN, SHORT
from tests.support.discord_service import command, discord_service, edits, is_final
from tests.support.fake_discord import FakeDiscord
from tests.support.runners import CrashingRunner, GatedRunner

EXCERPT = "Big Think excerpt [--7Dd2sAwPA].en.vtt"
POINT = re.compile(r"^\[\d+(?::\d\d)+\]\((?P<url>[^)]+)\) ")
PLAIN_POINT = re.compile(r"^\d+(?::\d\d)+ \S")


def final_edit(fake: FakeDiscord, token: str = "tok-1") -> dict[str, Any]:
    [final] = [call for call in edits(fake, token) if is_final(call)]
    body: dict[str, Any] = final.body
    return body


def point_lines(message: dict[str, Any]) -> list[str]:
    return [line for e in message["embeds"] for f in e.get("fields", []) for line in f["value"].split("\n")]


async def said(fake: FakeDiscord, token: str = "tok-1") -> str:
    """The text the deferred response was edited to (a message without embeds), as Discord shows it
    (markdown escapes removed)."""
    await fake.wait_for(lambda f: edits(f, token))
    [edit] = edits(fake, token)
    assert edit.body["embeds"] == [] and edit.body["allowed_mentions"] == {"parse": []}
    return re.sub(r"\\(.)", r"\1", edit.body["content"])


async def test_a_file_with_a_link_is_summarized_with_points_into_that_video() -> None:
    runner = GatedRunner()
    async with discord_service(runner) as service:
        fake = service.fake
        attachment = fake.attach("lecture.srt", files.srt(SHORT).encode())
        answer = await service.summarize(f"https://youtu.be/{SHORT}", file=attachment)
        assert answer == {"type": 5}  # deferred: the download and the reading happen after the ack
        await fake.wait_for(lambda f: f.downloads)
        assert fake.downloads == [f"{attachment['id']}/lecture.srt"]
        await fake.wait_for(lambda f: edits(f))
        progress = edits(fake)[0].body
        assert progress["content"].startswith("Working on lecture…") and not any(map(is_final, edits(fake)))
        runner.release(100)
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        final = final_edit(fake)
    [embed, *_] = final["embeds"]
    assert embed["title"] == "lecture" and embed["url"] == f"https://www.youtube.com/watch?v={SHORT}"
    urls = [m["url"] for line in point_lines(final) if (m := POINT.match(line))]
    assert len(urls) > 5 and all(url.startswith(f"https://youtu.be/{SHORT}?t=") for url in urls)


async def test_a_yt_dlp_file_alone_names_its_video_and_language() -> None:
    async with discord_service() as service:
        fake = service.fake
        attachment = fake.attach(EXCERPT, files.file(EXCERPT).read_bytes())
        assert await service.summarize(None, file=attachment) == {"type": 5}
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        final = final_edit(fake)
    embed = final["embeds"][0]
    assert (embed["title"], embed["url"]) == (
        "Big Think excerpt",
        "https://www.youtube.com/watch?v=--7Dd2sAwPA",
    )
    assert any(POINT.match(line) for line in point_lines(final))


async def test_a_file_without_any_video_is_summarized_without_links() -> None:
    async with discord_service() as service:
        fake = service.fake
        attachment = fake.attach("notes.de.txt", files.youtube_transcript_text(GERMAN).encode())
        assert await service.summarize(None, file=attachment, language="de") == {"type": 5}
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        final = final_edit(fake)
    embed = final["embeds"][0]
    assert embed["title"] == "notes" and "url" not in embed
    lines = point_lines(final)
    assert lines and all(PLAIN_POINT.match(line) for line in lines if line != "No key points.")
    assert "youtu" not in str(final) and "file-" not in str(final)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        (
            "talk.srt",
            "Café".encode("cp1252") + b" is not UTF-8",
            "The file is not UTF-8 text (line 1 is not)",
        ),
        ("talk.vtt", b"WEBVTT\n\nno cues here\n", "I found no subtitles in this file"),
        ("long.srt", b"1\n00:00:00,000 --> 07:00:00,000\nA very long cue.\n", "up to 6:00:00 (6 h)"),
    ],
)
async def test_a_bad_file_edits_the_response_to_say_what_is_wrong(
    name: str, content: bytes, says: str
) -> None:
    async with discord_service() as service:
        assert await service.summarize(None, file=service.fake.attach(name, content)) == {"type": 5}
        text = await said(service.fake)
    assert text.startswith(f"Couldn't read {name}: ") and says in text


async def test_what_can_be_refused_at_once_is_refused_at_once_and_nothing_is_downloaded() -> None:
    async with discord_service() as service:
        fake = service.fake
        cases = {
            "too large": (fake.attach("huge.srt", b"1\n", size=5_000_000), "The file is 4.77 MB"),
            "not subtitles": (fake.attach("slides.pdf", b"%PDF-1.4"), "should be a subtitle file"),
            "missing": ({"id": "1", "filename": "x.srt", "size": 1}, "could not find the attached file"),
        }
        for case, (attachment, says) in cases.items():
            interaction = command(None, file=attachment)
            if case == "missing":
                interaction["data"]["resolved"] = {}
            answer = (await service.send(interaction)).json()
            assert answer["type"] == 4 and answer["data"]["flags"] == 64, case
            assert says in answer["data"]["content"], case
        bad_link = await service.summarize("https://vimeo.com/1", file=fake.attach("a.srt", b"1\n"))
        assert bad_link["data"]["flags"] == 64 and "youtu.be" in bad_link["data"]["content"]
        assert fake.downloads == [] and fake.calls == []


async def test_a_file_bigger_than_discord_said_is_cut_off_at_the_limit() -> None:
    async with discord_service(subtitles_max_bytes=10_000) as service:
        attachment = service.fake.attach("lecture.srt", files.srt(SHORT).encode(), size=900)  # 13.6 KB really
        assert await service.summarize(None, file=attachment) == {"type": 5}
        text = await said(service.fake)
    assert "it is over the 9.77 KB I take" in text  # the size as people read it, not 10000 bytes


async def test_a_crash_while_reading_still_gets_an_answer() -> None:
    async with discord_service(CrashingRunner(parse_subtitles)) as service:
        attachment = service.fake.attach("lecture.srt", files.srt(SHORT).encode())
        assert await service.summarize(SHORT, file=attachment) == {"type": 5}
        text = await said(service.fake)
    assert text == "Something went wrong on my side. Please try again."


async def test_an_attachment_url_elsewhere_is_never_fetched() -> None:
    """A URL that is not on DISCORD_ATTACHMENT_ORIGINS (here: Discord's real CDN only) is not fetched."""
    async with discord_service(discord_attachment_origins=["https://cdn.discordapp.com"]) as service:
        attachment = service.fake.attach("lecture.srt", files.srt(SHORT).encode())
        assert await service.summarize(SHORT, file=attachment) == {"type": 5}
        text = await said(service.fake)
        assert service.fake.downloads == []
    assert text == "Couldn't read lecture.srt: the attachment is not on Discord's servers."


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cdn.discordapp.com/attachments/1/2/a.srt?ex=1&is=2&hm=3", True),
        ("https://media.discordapp.net/attachments/1/2/a.vtt", True),
        ("HTTPS://CDN.DISCORDAPP.COM:443/attachments/1/2/a.srt", True),
        ("https://cdn.discordapp.com./attachments/1/2/a.srt", True),
        ("http://cdn.discordapp.com/attachments/1/2/a.srt", False),  # not https
        ("https://cdn.discordapp.com:8443/attachments/a.srt", False),
        ("https://cdn.discordapp.com.evil.example/a.srt", False),
        ("https://evil.example/?https://cdn.discordapp.com/", False),
        ("https://cdn.discordapp.com@169.254.169.254/latest/meta-data", False),
        ("https://user@cdn.discordapp.com/a.srt", True),  # the host is still Discord's
        ("http://127.0.0.1:8080/a.srt", False),
        ("http://[::1]/a.srt", False),
        ("https://cdn.discordapp.com:notaport/a.srt", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_attachment_urls_only_on_discords_cdn(url: str, allowed: bool) -> None:
    origins = ["https://cdn.discordapp.com", "https://media.discordapp.net"]
    assert is_attachment_url(url, origins) is allowed
