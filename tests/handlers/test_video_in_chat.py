"""What chat messages say of the video, end to end: its title and channel (Telegram: "Title — Channel";
Discord: the embed's title and author), and, when YouTube refuses this server, that a subtitle file works
instead. The real app, the real youtube-transcript-api over YouTube's recorded answers (the `yt` fixture), and
the local fakes of Telegram and Discord."""

from __future__ import annotations

import responses
from telegram import Document

from tests.support import subtitle_files as files
from tests.support.data import SHORT
from tests.support.discord_service import discord_service, edits, is_final
from tests.support.fake_supadata import TITLES, FakeSupadata
from tests.support.runners import GatedRunner
from tests.support.servers import serve
from tests.support.telegram_service import link_entities, message, telegram_service
from tests.support.waiting import until
from tests.support.youtube import VIDEO, asset, replace_player

TITLE, CHANNEL = "Surface Go Review - It\u2019s Awesome", "Dave2D"  # the recorded player's videoDetails
LINK = f"https://youtu.be/{VIDEO}"
EXCERPT = "Big Think excerpt [--7Dd2sAwPA].en.vtt"  # a yt-dlp file name: the video's id in brackets


async def test_telegram_names_the_video_by_title_and_channel(yt: responses.RequestsMock) -> None:
    runner = GatedRunner()
    async with telegram_service(runner, transcript_dir=None) as svc:
        msg = message(LINK, entities=link_entities(LINK))
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        # The reply itself may already show the parts (the job began before it was sent), or an edit does.
        progress = await until(
            lambda: next(
                (
                    t
                    for c in [reply, *svc.fake.called("editMessageText")]
                    if "parts" in (t := c.params["text"])
                ),
                None,
            )
        )
        assert progress.startswith(f"⏳ Working on <b>{TITLE}</b> \u2014 {CHANNEL}… 0/")
        runner.release(100)
        final = await svc.summary(reply)
    first_line = final.split("\n", 1)[0]
    assert first_line == f'📝 <a href="https://www.youtube.com/watch?v={VIDEO}">{TITLE}</a> \u2014 {CHANNEL}'


async def test_discord_names_the_video_by_title_and_channel(yt: responses.RequestsMock) -> None:
    async with discord_service(transcript_dir=None) as service:
        assert await service.summarize(LINK) == {"type": 5}
        await service.fake.wait_for(lambda f: any(map(is_final, edits(f))))
        [final] = [call.body for call in edits(service.fake) if is_final(call)]
    embed = final["embeds"][0]
    assert (embed["title"], embed["author"], embed["url"]) == (
        TITLE,
        {"name": CHANNEL},
        f"https://www.youtube.com/watch?v={VIDEO}",
    )


async def test_when_youtube_refuses_this_server_the_telegram_reply_offers_the_subtitle_file(
    yt: responses.RequestsMock,
) -> None:
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    async with telegram_service(transcript_dir=None) as svc:
        msg = message(LINK, entities=link_entities(LINK))
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        text = await until(lambda: t if (t := svc.fake.text(reply)).startswith("⚠️") else None)
    assert "YouTube is refusing this server's requests" in text
    assert "send me the video's subtitle file (.srt or .vtt" in text and "link in the caption" in text


async def test_when_youtube_refuses_this_server_the_discord_reply_offers_the_subtitle_file(
    yt: responses.RequestsMock,
) -> None:
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    async with discord_service(transcript_dir=None) as service:
        assert await service.summarize(LINK) == {"type": 5}
        await service.fake.wait_for(lambda f: edits(f))
        [edit] = edits(service.fake)
    text = edit.body["content"]
    assert text.startswith(
        f"Couldn't summarize <https://www.youtube.com/watch?v={VIDEO}>: YouTube is refusing"
    )
    assert "`/summarize` again with the video's subtitle file" in text and "in `file`" in text


async def test_a_subtitle_file_of_a_youtube_video_is_named_like_the_video() -> None:
    """The video's title and channel from oEmbed (the local stand-in), as for a link; a video oEmbed does
    not know keeps the file's name."""
    stand_in = FakeSupadata()
    async with (
        serve(stand_in.app) as url,
        telegram_service(transcript_dir=None, youtube_oembed_url=f"{url}/oembed") as svc,
    ):
        caption = f"https://youtu.be/{SHORT}"
        msg = message(
            None,
            document=Document.de_json(svc.fake.add_file("talk.srt", files.srt(SHORT).encode()), None),
            caption=caption,
            caption_entities=link_entities(caption),
        )
        await svc.send(msg)
        final = await svc.summary((await svc.replies_to(msg))[0])
        unknown = message(
            None,
            document=Document.de_json(svc.fake.add_file(EXCERPT, files.file(EXCERPT).read_bytes()), None),
        )
        await svc.send(unknown)
        other = await svc.summary((await svc.replies_to(unknown))[0])
    title, channel = TITLES[SHORT]
    assert (
        final.split("\n", 1)[0]
        == f'📝 <a href="https://www.youtube.com/watch?v={SHORT}">{title}</a> \u2014 {channel}'
    )
    assert (
        other.split("\n", 1)[0]
        == '📝 <a href="https://www.youtube.com/watch?v=--7Dd2sAwPA">Big Think excerpt</a>'
    )
    asked = [call.params["url"] for call in stand_in.calls if call.path == "/oembed"]
    assert asked == [f"https://www.youtube.com/watch?v={v}" for v in (SHORT, "--7Dd2sAwPA")]
