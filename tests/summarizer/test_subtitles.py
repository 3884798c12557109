"""Subtitle files → transcripts: real caption files (tests/data/subtitles, and the recorded transcripts
written as SRT, WebVTT and YouTube's rolling auto-captions), the limits and their messages, hostile input."""

from __future__ import annotations

import asyncio
import codecs
import pickle
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.cpu_process import CpuProcess, InlineRunner
from summarizer.errors import SummaryError
from summarizer.jobs import Job
from summarizer.links import parse_video_id, watch_url
from summarizer.models import ChunkSummary, Point, Snippet, Transcript, moment_url
from summarizer.subtitles import (
    MAX_READING,
    Limits,
    filename_hints,
    is_file_video,
    job_resource,
    links_nowhere,
    parse_subtitles,
    read_subtitles,
    spoken_language,
)
from tests.support import subtitle_files as files
from tests.support.data import GERMAN, LONG, MEDIUM, SHORT

ASR = ["--7Dd2sAwPA", "9P6rdqiybaw", "azOmzumh0vQ"]  # YouTube auto-captions (rolling VTT on YouTube)
EXCERPT = "Big Think excerpt [--7Dd2sAwPA].en.vtt"


def expected(video_id: str) -> list[Snippet]:
    return [Snippet(s["text"], s["start"], s["duration"]) for s in files.snippets(video_id)]


def same_snippets(got: list[Snippet], want: list[Snippet]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.text == w.text
        assert g.start == pytest.approx(w.start, abs=0.0015)
        assert g.duration == pytest.approx(w.duration, abs=0.0015)


def problem(data: bytes | str, limits: Limits | None = None) -> str:
    """The message of the `invalid_subtitles` error reading `data` raises."""
    with pytest.raises(SummaryError) as info:
        parse_subtitles(data, limits or Limits())
    assert info.value.code == "invalid_subtitles"
    return info.value.message


# --- real files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("LPZh9BOjkQs.srt", lambda: files.srt(SHORT)),
        ("brJu7qMJdVc.de.vtt", lambda: files.vtt(GERMAN)),
        ("0KgCqGtXqFc.txt", lambda: files.youtube_transcript_text("0KgCqGtXqFc")),
    ],
)
def test_kept_files_are_what_the_generators_make(name: str, make: Callable[[], str]) -> None:
    assert files.file(name).read_bytes() == make().encode()


def test_youtube_rolling_auto_captions_as_yt_dlp_writes_them() -> None:
    """The real file: each new line once, with its content cue's timing; the repeat cues dropped."""
    data = files.file(EXCERPT).read_bytes()
    transcript = parse_subtitles(data, video_id="--7Dd2sAwPA", filename=EXCERPT)
    same_snippets(transcript.snippets, expected("--7Dd2sAwPA")[:8])
    assert transcript.is_generated and spoken_language(transcript.language_code) == "en"
    assert transcript.video_id == "--7Dd2sAwPA" and transcript.provider == "subtitles"
    assert filename_hints(EXCERPT) == ("--7Dd2sAwPA", "en", "Big Think excerpt")


@pytest.mark.parametrize("video_id", [SHORT, MEDIUM, GERMAN, *ASR])
@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_srt_and_webvtt_give_back_the_recorded_captions(video_id: str, kind: str) -> None:
    text = files.srt(video_id) if kind == "srt" else files.vtt(video_id)
    transcript = parse_subtitles(text.encode(), video_id=video_id)
    same_snippets(transcript.snippets, expected(video_id))
    assert not transcript.is_generated


@pytest.mark.parametrize("video_id", ASR)
def test_rolling_webvtt_of_whole_tracks(video_id: str) -> None:
    transcript = parse_subtitles(files.rolling_vtt(video_id).encode(), video_id=video_id)
    same_snippets(transcript.snippets, expected(video_id))
    assert transcript.is_generated


def test_the_three_and_a_half_hour_podcast_in_every_format() -> None:
    """Its CPU cost is benchmarks/subtitles.py's."""
    for make in (files.srt, files.vtt, files.rolling_vtt):
        data = make(LONG).encode()
        transcript = parse_subtitles(data, Limits(max_bytes=len(data)), video_id=LONG)
        same_snippets(transcript.snippets, expected(LONG))
        assert transcript.is_generated is (make is files.rolling_vtt)


def test_youtube_transcript_panel_text() -> None:
    """`0:02` lines then their text: each runs until the next timestamp."""
    transcript = parse_subtitles(files.file("0KgCqGtXqFc.txt").read_bytes())
    want = expected("0KgCqGtXqFc")
    assert [s.text for s in transcript.snippets] == [w.text.replace("\n", " ") for w in want]
    assert [s.start for s in transcript.snippets] == [float(int(w.start)) for w in want]
    first, second = transcript.snippets[:2]
    assert first.duration == second.start - first.start
    one_line = "[0:00] hello there\n(0:04) - and welcome\n1:02:03 to the end\n"
    assert [(s.text, s.start) for s in parse_subtitles(one_line).snippets] == [
        ("hello there", 0.0),
        ("and welcome", 4.0),
        ("to the end", 3723.0),
    ]


# --- what a job of a file is called, and where its points link --------------------------------------


def test_with_a_video_the_file_is_named_in_a_private_use_language_subtag() -> None:
    srt = parse_subtitles(files.srt(SHORT), video_id=SHORT)
    vtt = parse_subtitles(files.vtt(SHORT), video_id=SHORT)
    assert srt.video_id == SHORT and srt.language_code == vtt.language_code  # the captions, not the format
    primary, x, first, second = srt.language_code.split("-")
    assert (primary, x, len(first), len(second)) == ("en", "x", 8, 8)  # 80 bits of the captions' digest
    assert spoken_language(srt.language_code) == "en"
    changed = files.srt(SHORT).replace("Computer History Museum", "Museum of Spam")
    assert parse_subtitles(changed, video_id=SHORT).language_code != srt.language_code
    german = parse_subtitles(files.srt(SHORT), video_id=SHORT, language="de")
    assert german.language_code.startswith("de-x-") and german.language_code != srt.language_code


def test_without_a_video_the_job_is_a_file_id_that_links_nowhere() -> None:
    transcript = parse_subtitles(files.srt(SHORT))
    file_id = transcript.video_id
    assert is_file_video(file_id) and len(file_id) == 25 and transcript.language_code == "en"
    with pytest.raises(SummaryError):
        parse_video_id(file_id)  # never a YouTube id
    assert links_nowhere(moment_url(file_id, 12)) and links_nowhere(watch_url(file_id))
    assert not links_nowhere(moment_url(SHORT, 12)) and not is_file_video(SHORT)
    assert not links_nowhere(moment_url("file-abcdef", 3)) and not is_file_video("file-abcdef")  # a real id
    assert parse_subtitles(files.vtt(SHORT)).video_id == file_id


def test_the_job_resource_of_a_file_has_no_links() -> None:
    file_id = parse_subtitles(files.srt(SHORT)).video_id
    job = Job(file_id, ("en",))
    point = Point("A point.", 12.0, moment_url(file_id, 12))
    job.add_chunk(ChunkSummary(0, 0.0, 60.0, [point]))
    job.delivery("https://example.com/hook")
    job.finish([point])
    resource = job_resource(job)
    assert resource["chunks"][0]["points"][0]["url"] is None and resource["tldr_points"][0]["url"] is None
    assert resource["callbacks"][0]["url"] == "https://example.com/hook"
    linked = Job(SHORT, ("en",))
    linked.add_chunk(ChunkSummary(0, 0.0, 60.0, [Point("A point.", 12.0, moment_url(SHORT, 12))]))
    assert job_resource(linked) == linked.to_dict()


@pytest.mark.parametrize(
    ("name", "hints"),
    [
        ("Attention [eMlx5fFNoYc].en.vtt", ("eMlx5fFNoYc", "en", "Attention")),
        ("talk.pt-BR.srt", (None, "pt-BR", "talk")),
        ("part.two.srt", (None, None, "part.two")),  # "two" is not a language
        ("C:\\Users\\me\\my_lecture.SRT", (None, None, "my lecture")),
        ("notes.txt", (None, None, "notes")),
        ("", (None, None, None)),
    ],
)
def test_what_file_names_say(name: str, hints: tuple[str | None, str | None, str | None]) -> None:
    assert filename_hints(name) == hints


def test_the_language_is_the_files_then_the_names_then_the_askers_then_the_default() -> None:
    vtt = files.vtt(GERMAN)  # says Language: de
    assert parse_subtitles(vtt, language="fr", filename="x.en.vtt").language_code == "de"
    srt = files.srt(GERMAN)
    assert parse_subtitles(srt, language="fr", filename="x.it.srt").language_code == "it"
    assert parse_subtitles(srt, language="fr", filename="x.srt").language_code == "fr"
    assert parse_subtitles(srt, default_language="es").language_code == "es"
    assert parse_subtitles(srt, language="en-x-abc").language_code == "en"  # no smuggled subtags
    assert parse_subtitles(srt, language="not a code!").language_code == "en"


# --- files from other tools ------------------------------------------------------------------------


def test_the_shapes_other_tools_write() -> None:
    srt = (
        "My title\n\n"  # a title before the first cue
        "00:00:01,000 --> 00:00:02,500\n<i>Hello</i> {\\an8}there\n\n"  # no number, tags
        '7\n00:00:03.000 --> 00:00:04.000\n<font color="#ff0000">Red</font> &amp; blue\n\n'
        "8\n00:00:05,000 --> 00:00:04,000\nbackwards\n"  # ends before it starts: lasts 0 s
    )
    got = parse_subtitles(srt).snippets
    assert [(s.text, s.start, s.duration) for s in got] == [
        ("Hello there", 1.0, 1.5),
        ("Red &amp; blue", 3.0, 1.0),  # SRT has no character references: kept as written
        ("backwards", 5.0, 0.0),
    ]
    vtt = (
        "00:01.000 --> 00:02.000\n<v Ada>Hi &amp; bye&nbsp;now</v>\n\n"  # no WEBVTT header
        "NOTE a comment\n\n"
        "id-2\n00:02.000 --> 00:03.500 line:0\nsecond\nline\n"
    )
    assert [(s.text, s.start, s.duration) for s in parse_subtitles(vtt).snippets] == [
        ("Hi & bye\u00a0now", 1.0, 1.0),
        ("second\nline", 2.0, 1.5),
    ]
    crlf = files.srt(SHORT).replace("\r\n", "\r")  # old Mac line ends
    same_snippets(parse_subtitles(crlf).snippets, expected(SHORT))


def test_repeated_one_line_cues_are_not_taken_for_rolling_captions() -> None:
    cues = "".join(f"{i}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n[Music]\n\n" for i in range(1, 9))
    transcript = parse_subtitles(cues)
    assert len(transcript.snippets) == 8 and not transcript.is_generated


@pytest.mark.parametrize("bom", [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_byte_order_marks(bom: bytes) -> None:
    text = files.srt(SHORT)
    encoding = {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}[
        bom
    ]
    same_snippets(parse_subtitles(bom + text.encode(encoding)).snippets, expected(SHORT))


# --- bad files say what is wrong --------------------------------------------------------------------


def test_bad_files_get_a_message_that_says_what_is_wrong() -> None:
    small = Limits(max_bytes=1000, max_snippets=50, max_chars=500, max_seconds=60)
    roomy = Limits(max_bytes=10_000, max_snippets=50, max_chars=500, max_seconds=60)
    assert (
        problem(files.srt(SHORT), small) == "The file is 13.3 KB; subtitle files may be at most 1000 bytes."
    )
    assert "1.17 KB" in problem("é" * 600, small)  # counted in UTF-8 bytes, not characters
    assert "at most 2 MB (2097152 bytes)" in problem(b"x" * (2 * 1024 * 1024 + 1))
    latin1 = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème\n".encode("cp1252")
    assert "not UTF-8" in problem(latin1) and "(line 3 is not)" in problem(latin1)
    assert "not a text file" in problem(b"\x00\x01binary\x00")
    assert "no cues with timings" in problem("Just some notes about a video, no times at all.")
    assert "no cues with timings" in problem("Meet me at 10:30 tomorrow.")  # one time is not a transcript
    assert "not read a single cue" in problem(
        "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:02,000 --> 00:00:03,000\n"
    )
    assert "timings but no text" in problem("WEBVTT\n\n00:01.000 --> 00:02.000\n<b></b>\n")
    many = "".join(f"00:00:{i % 60:02d}.000 --> 00:00:{i % 60:02d}.500\nx\n\n" for i in range(51))
    assert "51 cues; at most 50" in problem("WEBVTT\n\n" + many, roomy)
    wordy = "1\n00:00:01,000 --> 00:00:02,000\n" + "word " * 120 + "\n"
    assert "at most 500 are accepted" in problem(wordy, roomy)
    long = "1\n00:00:01,000 --> 00:01:30,000\nA long cue.\n"
    assert "run until 1:30; this service summarizes videos up to 1:00 (0.0166667 h)" in problem(long, small)
    week = "WEBVTT\n\n168:00:00.000 --> 168:00:01.000\nLate.\n"
    assert "168:00:01" in problem(week)
    assert "times that exist" in problem("WEBVTT\n\n00:99:00.000 --> 00:99:01.000\nBad time.\n")


@pytest.mark.parametrize(
    "hostile",
    [
        " " * 2_000_000 + "x",  # the `srt` package: 16 KB of these took 20 s of CPU
        "1" * 2_000_000 + "x",  # the `srt` package: 2,000 of these took 87 s
        "1:1:1," + "1" * 2_000_000,
        "WEBVTT\n\n00:00.000 --> 00:01.000\n" + "<" * 2_000_000,
        "\n" * 2_000_000,
        "-->" * 600_000,
        "WEBVTT\n\n" + "00:00.000 --> 00:00.001\n" * 29_000,
        "1\n00:00:00,000 --> 00:00:01,000\n" + ("a\n" * 3 + "\n") * 400_000,
        "WEBVTT\n\n00:00.000 --> 00:01.000\n" + "line\n" * 600_000,
    ],
)
def test_hostile_files_are_read_or_refused_fast(hostile: str) -> None:
    began = time.process_time()
    try:
        parse_subtitles(hostile)
    except SummaryError as error:
        assert error.code == "invalid_subtitles"
    assert time.process_time() - began < 3.0


# --- any input: a transcript or `invalid_subtitles`, nothing else ---------------------------------------

_PIECES = st.sampled_from(
    [
        "WEBVTT\n",
        "WEBVTT - title\nKind: captions\nLanguage: de\n",
        "1\n",
        "00:00:01,000 --> 00:00:02,000\n",
        "00:01.000 --> 00:02.000 align:start position:0%\n",
        "99:99:99.999 --> 00:00:00.000\n",
        "9999999999:00:00.000 --> 9999999999:00:01.000\n",
        "-->",
        "<00:00:01.500><c> word</c>",
        "<v Speaker>",
        "</i>",
        "{\\an8}",
        "&amp;",
        "&",
        "NOTE x\n",
        "STYLE\n::cue { color: red }\n",
        "REGION\nid:r\n",
        "1:23 ",
        "[12:34]",
        "hello world",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        " ",
        "\ufeff",
        "\x00",
        "\ud800",
    ]
)
subtitle_like = st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40).map("".join)


def read_or_refuse(data: bytes | str) -> None:
    try:
        transcript = parse_subtitles(data, Limits(max_bytes=20_000, max_snippets=500, max_seconds=6 * 3600))
    except SummaryError as error:
        assert error.code == "invalid_subtitles" and error.message
        return
    assert isinstance(transcript, Transcript) and transcript.snippets
    assert all(s.text and s.start >= 0 and s.duration >= 0 for s in transcript.snippets)
    assert transcript.duration <= 6 * 3600


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(subtitle_like)
def test_any_text_is_read_or_refused_with_invalid_subtitles(text: str) -> None:
    read_or_refuse(text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400) | subtitle_like.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_read_or_refused_with_invalid_subtitles(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_real_files_cut_and_spliced_are_read_or_refused(data: st.DataObject) -> None:
    real = files.file(EXCERPT).read_bytes() + files.file("LPZh9BOjkQs.srt").read_bytes()[:3000]
    start = data.draw(st.integers(0, len(real)))
    end = data.draw(st.integers(start, len(real)))
    inserted = data.draw(st.binary(max_size=8))
    read_or_refuse(real[:start] + inserted + real[end:])


# --- reading through the CPU runner --------------------------------------------------------------------


async def test_reading_runs_in_the_runner_and_refuses_a_third_file_at_once() -> None:
    class SlowRunner(InlineRunner):
        def __init__(self) -> None:
            self.calls: list[str] = []
            self.gate = asyncio.Event()

        async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
            self.calls.append(fn.__name__)
            await self.gate.wait()
            return await super().run(fn, *args)

    runner = SlowRunner()
    limits = Limits()
    with pytest.raises(SummaryError) as too_big:
        await read_subtitles(runner, b"x" * (limits.max_bytes + 1), limits)
    assert too_big.value.code == "invalid_subtitles" and runner.calls == []  # refused before the runner

    reading = [
        asyncio.create_task(read_subtitles(runner, files.srt(SHORT), limits)) for _ in range(MAX_READING)
    ]
    await asyncio.sleep(0)
    with pytest.raises(SummaryError) as busy:
        await read_subtitles(runner, files.srt(SHORT), limits)
    assert busy.value.code == "busy" and busy.value.retry_after
    runner.gate.set()
    done = await asyncio.gather(*reading)
    assert runner.calls == ["parse_subtitles"] * MAX_READING and all(is_file_video(t.video_id) for t in done)
    assert (await read_subtitles(runner, files.srt(SHORT), limits, video_id=SHORT)).video_id == SHORT


async def test_reading_in_the_real_cpu_process_brings_back_the_transcript_or_the_files_problem() -> None:
    """What the service does: the file crosses to the child process and the transcript, or the
    `invalid_subtitles` error with its message, comes back."""
    process = CpuProcess()
    try:
        transcript = await read_subtitles(process, files.srt(SHORT).encode(), Limits(), video_id=SHORT)
        assert transcript == parse_subtitles(files.srt(SHORT).encode(), video_id=SHORT)
        with pytest.raises(SummaryError) as info:
            await read_subtitles(process, "Café".encode("cp1252"), Limits())
    finally:
        await process.stop()
    assert info.value.code == "invalid_subtitles" and "not UTF-8" in info.value.message
    busy = pickle.loads(pickle.dumps(SummaryError("busy", "Later.", retry_after=60)))
    assert (busy.code, busy.message, busy.retry_after, str(busy)) == ("busy", "Later.", 60, "busy: Later.")
