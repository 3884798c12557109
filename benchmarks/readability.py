"""How the finished summaries read: figures computed from the job resource, on any version of the engine.

Run from the project root: `.venv/bin/python benchmarks/readability.py [--only VIDEO_ID ...]` (well under a
minute; `--repeat 3` takes the least CPU of three runs). It imports the engine from the current working
directory (falling back to this file's project), so another checkout measures its own code with this
script: `cd /tmp/before && .venv/bin/python /work/main/benchmarks/readability.py --data ...`. Transcripts
come from `--data` (default: `tests/data/transcripts` under the working directory).

Each transcript is summarized inline (extractive, `InlineRunner`, as the CLI does) and the figures are
computed from the finished job's `to_dict()` only: `chunks[].points[].text`, `tldr_points` where the field
exists (older versions: the chunk points whose text is in `tldr`), `topics` and chunk `title` when present.

- **function-word end**: the point's last word (trailing "…", punctuation and quotes stripped, lower-cased)
  is in the closed-class list below for the transcript's language, or is a lone letter other than "a"/"i"
  (a broken ASR token like "the node s"). The list is this benchmark's own, not the summarizer's.
- **stutter**: the same word twice in a row (punctuation between ignored), the same two to four words
  twice in a row, or a filler ("uh", "um", "erm", "uhm"; "euh" in French, "äh"/"ähm" in German); "had
  had", "very very", "so so", "no no", "bye bye" (French "non non", German "nein nein") and the
  grammatical French "nous nous"/"vous vous" and German "die die"/"der der"/"das das" are not stutters.
- **sponsor / promo window**: hand-labelled time ranges (`WINDOWS`, from reading the transcripts). A point
  is in a window when its start is, or when most of its estimated span (start + words x the video's
  seconds per word) is.
- **CPU**: `time.process_time()` around one job from submit to done (reading the transcript file included),
  after a warm-up job per language outside the timing (sumy imports, stop words, stemmer).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

ELLIPSIS = "\u2026"
LONG = ("3zu317upAUA", "FtriFMxsOWw", "cdiD-9MMpb0")
# The videos whose points and TL;DR the docs quote before and after.
EXAMPLES = ("9P6rdqiybaw", "azOmzumh0vQ", "--7Dd2sAwPA", "eMlx5fFNoYc")


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    kind: str  # "sponsor": a paid read or its plug; "promo": the channel's own plugs and calls to action
    note: str


# Labelled by reading every transcript of tests/data/transcripts (searched for sponsor, subscribe, patreon,
# merch, brilliant, description, channel, link, support, comments, abonn…, chaîne, Kanal). Times are the
# first and last caption cue of the read (start of the first, end of the last). Not labelled: the ESSEC
# host's "une chaîne Youtube de plus de 230 000 abonnés" (3zu317upAUA, 7:07), which describes the guest,
# and the 0KgCqGtXqFc / --dnfTaoXKM / azOmzumh0vQ / --7Dd2sAwPA / -812wqOXGz4 / brJu7qMJdVc / sektMcC_PAk
# tracks, which hold no read or plug.
WINDOWS: dict[str, tuple[Window, ...]] = {
    "9P6rdqiybaw": (
        Window(
            488.88,
            541.92,
            "sponsor",
            "Brilliant read: \"we know you want to know more about universe stuff so we're trying something new"
            ' … visit brilliant.org nutshell … 20 off their annual premium subscription"',
        ),
    ),
    "cdiD-9MMpb0": (
        Window(
            47.85,
            52.83,
            "sponsor",
            '"This is the Lex Fridman Podcast. To support it, please check out our sponsors."',
        ),
        Window(
            12495.89,
            12503.64,
            "sponsor",
            '"Thanks for listening to this conversation with Andrej Karpathy, to support this podcast please'
            ' check out our sponsors in the description."',
        ),
    ),
    "LPZh9BOjkQs": (
        Window(
            31.9,
            41.42,
            "promo",
            '"I\'m very curious in the comments if you think this is useful as a lightweight intro to share …"',
        ),
        Window(
            482.12,
            506.66,
            "promo",
            '"One option is to jump into a series I made about deep learning … on my second channel I just'
            ' posted a talk …"',
        ),
    ),
    "eMlx5fFNoYc": (
        Window(
            1522.04,
            1548.46,
            "promo",
            "\"I've left lots of links in the description … my friend Vivek just put up a couple videos … Britt"
            ' Cruz from the channel The Art of the Problem …"',
        ),
    ),
    "FtriFMxsOWw": (
        Window(
            8410.42,
            8438.86,
            "promo",
            '"we shot a video of the debate that will be broadcast on the website of the association and on'
            " Jean-Luc's Youtube channel\"",
        ),
    ),
}

# Closed-class words a readable point does not end on, per language. English: articles, prepositions
# that are rarely a sentence-final particle ("up", "out", "over", "before" … are left out), conjunctions,
# auxiliaries and their contractions, subject pronouns, possessive determiners ("her", "you", "it", object
# pronouns and demonstratives can end a sentence and are left out). German ends clauses on verbs and
# separable particles ("…, dass wir das machen können", "fangen an"), so its list has no auxiliaries,
# subject pronouns or particle-like prepositions. French keeps its elided forms ("qu'", "c'est").
_EN = """
a an the
about against among amongst at between by despite during for from in into of on onto per than
to toward towards under unlike until upon via with
and or but nor because cause cuz if although whereas unless whether while as so
am is are was were be been being have has had do does did will would shall should can could may might
must gonna wanna gotta
it's that's there's here's what's he's she's who's where's let's i'm you're we're they're i've you've
we've they've i'll you'll we'll they'll he'll she'll it'll that'll i'd you'd we'd they'd he'd she'd
don't doesn't didn't can't won't wouldn't shouldn't couldn't isn't aren't wasn't weren't haven't hasn't
hadn't
i he she we they
my your his its our their
"""
_DE = """
der die den dem des eine einen einem eines
bis für gegen hinter ohne seit von während wegen zwischen im am ins ans vom beim zum zur in bei über
unter trotz innerhalb außerhalb
und oder aber denn sondern dass daß weil wenn ob als obwohl sowie sodass bevor nachdem falls
deine deinen deinem seine seinen seinem seines unsere unseren unserem unseres eure euren ihre ihren
ihrem ihres
"""
_FR = """
le la les un une des du au aux de
à dans par pour sur sous avec sans chez vers entre contre depuis pendant selon parmi envers malgré dès en
jusqu jusqu'à
et ou mais ni car que qu quand lorsque lorsqu puisque puisqu si comme parce quoique
je tu il ils on me te se leur
mon ma mes ton ta tes son sa ses notre nos votre vos leurs
ai as a avons avez ont avait avaient avais aura auront aurait auraient est sont suis es sommes êtes
était étaient étais sera seront serait seraient ne
c'est n'est s'est j'ai n'a qu'il qu'ils qu'on qu'elle d'un d'une
"""
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "de": frozenset(_DE.split()),
    "fr": frozenset(_FR.split()),
}
# Two-word endings that are fine although their last word is in the list.
FINE_ENDINGS = frozenset(
    {
        "so on",
        "going on",
        "goes on",
        "go on",
        "come on",
        "later on",
        "move on",
        "moving on",
        "come in",
        "comes in",
        "kick in",
        "kicks in",
        "think so",
        "hope so",
        "believe so",
        "guess so",
        "do so",
        "doing so",
        "if so",
        "even so",
        "more so",
    }
)
LONE_LETTERS_OK = frozenset({"a", "i"})

_FILLERS = {
    "en": frozenset({"uh", "um", "erm", "uhm"}),
    "de": frozenset({"uh", "erm", "uhm", "äh", "ähm", "öhm"}),  # "um" is a German preposition
    "fr": frozenset({"uh", "um", "erm", "uhm", "euh", "heu"}),
}
_KEPT_DOUBLES = {
    "en": frozenset({"had", "very", "so", "no", "bye"}),
    "de": frozenset({"die", "der", "das", "nein"}),  # "die Leute, die die Arbeit machen"
    "fr": frozenset({"nous", "vous", "non"}),  # "nous nous sommes", "vous vous trompez"
}
# Trailing and leading characters a word is stripped of (the point's "…", punctuation, quotes, brackets).
_STRIP = ".,;:!?\u2026\"'\u2018\u2019\u201c\u201d\u00ab\u00bb()[]{}-\u2013\u2014*/ \u00a0"


def words_of(text: str) -> list[str]:
    """The point's words, lower-cased, punctuation around each stripped, empty ones (a lone "…") dropped."""
    cleaned = (w.replace("\u2019", "'").strip(_STRIP).lower() for w in text.split())
    return [w for w in cleaned if w]


def last_word(text: str) -> str:
    found = words_of(text)
    return found[-1] if found else ""


def ends_on_function_word(text: str, language: str) -> bool:
    """Whether the point's last word is a function word of `language` (else English's) or a lone letter."""
    found = words_of(text)
    if not found:
        return False
    last = found[-1]
    if len(last) == 1 and last.isalpha() and last not in LONE_LETTERS_OK:
        return True
    if last not in FUNCTION_WORDS.get(language, FUNCTION_WORDS["en"]):
        return False
    return " ".join(found[-2:]) not in FINE_ENDINGS


def stutters(text: str, language: str) -> list[str]:
    """The stutters of a point ("the the", "of the of the", "uh"); empty when it has none."""
    found = words_of(text)
    fillers = _FILLERS.get(language, _FILLERS["en"])
    kept = _KEPT_DOUBLES.get(language, frozenset()) | _KEPT_DOUBLES["en"]
    out = [w for w in found if w in fillers]
    for i in range(len(found) - 1):
        if found[i] == found[i + 1] and found[i] not in kept:
            out.append(f"{found[i]} {found[i]}")
    for size in (2, 3, 4):  # the same 2-4 words twice in a row ("of the of the"), not a one-word double
        for i in range(len(found) - 2 * size + 1):
            first, second = found[i : i + size], found[i + size : i + 2 * size]
            if first == second and len(set(first)) == size:
                out.append(" ".join(first + second))
    return out


def tldr_items(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The TL;DR's items: `tldr_points` where the version has them, else the chunk points quoted in `tldr`."""
    if "tldr_points" in job:
        return list(job["tldr_points"] or [])
    tldr = job.get("tldr") or ""
    return [p for c in job["chunks"] for p in c["points"] if p["text"] and p["text"] in tldr]


def window_of(start: float, words: int, seconds_per_word: float, windows: Iterable[Window]) -> Window | None:
    """The labelled window a point starting at `start` with `words` words falls in, if any."""
    end = start + max(words, 1) * seconds_per_word
    for window in windows:
        if window.start <= start < window.end:
            return window
        inside = min(end, window.end) - max(start, window.start)
        if inside > (end - start) / 2:
            return window
    return None


@dataclass
class Meta:
    """What the transcript file says about the video (not the engine)."""

    video_id: str
    language: str
    auto: bool
    seconds: float
    words: int

    @property
    def seconds_per_word(self) -> float:
        return self.seconds / max(self.words, 1)


def read_meta(path: Path) -> Meta:
    data = json.loads(path.read_bytes())
    snippets = data["snippets"]
    last = snippets[-1]
    return Meta(
        video_id=data["video_id"],
        language=str(data["language_code"]).split("-")[0].lower(),
        auto=bool(data.get("is_generated")),
        seconds=float(last["start"]) + float(last["duration"]),
        words=sum(len(str(s["text"]).split()) for s in snippets),
    )


@dataclass
class Figures:
    """One finished job's figures (counts; shares are computed when reported)."""

    video_id: str
    language: str
    auto: bool
    hours: float
    points: int = 0
    function_end: int = 0
    stutter: int = 0
    lead_ellipsis: int = 0
    trail_ellipsis: int = 0
    words: int = 0
    tldr: int = 0
    tldr_function_end: int = 0
    tldr_stutter: int = 0
    tldr_sponsor: int = 0
    points_sponsor: int = 0
    tldr_promo: int = 0
    points_promo: int = 0
    topics: list[str] | None = None
    titles: list[str | None] | None = None
    cpu: float = 0.0
    wall: float = 0.0
    error: str | None = None
    flagged: dict[str, list[str]] = field(default_factory=dict)
    point_texts: list[tuple[float, str]] = field(default_factory=list)
    tldr_texts: list[tuple[float, str]] = field(default_factory=list)
    tldr_text: str = ""

    def flag(self, kind: str, text: str) -> None:
        self.flagged.setdefault(kind, []).append(text)


def measure_job(job: dict[str, Any], meta: Meta, windows: Sequence[Window] = ()) -> Figures:
    """The figures of a finished job resource (`Job.to_dict()`), on any version's fields."""
    figures = Figures(meta.video_id, meta.language, meta.auto, meta.seconds / 3600)
    if job.get("error"):
        figures.error = str(job["error"])
    language = str(job.get("language_code") or meta.language).split("-")[0].lower()
    spw = meta.seconds_per_word
    for chunk in job["chunks"]:
        for point in chunk["points"]:
            text, start = str(point["text"]), float(point["start"])
            figures.point_texts.append((start, text))
            figures.points += 1
            n = len(words_of(text))
            figures.words += n
            stripped = text.strip()
            figures.lead_ellipsis += stripped.startswith(ELLIPSIS)
            figures.trail_ellipsis += stripped.endswith(ELLIPSIS)
            if ends_on_function_word(text, language):
                figures.function_end += 1
                figures.flag("function-word end", text)
            if found := stutters(text, language):
                figures.stutter += 1
                figures.flag("stutter", f"{text}  [{'; '.join(found)}]")
            if window := window_of(start, n, spw, windows):
                if window.kind == "sponsor":
                    figures.points_sponsor += 1
                    figures.flag("point in sponsor window", text)
                else:
                    figures.points_promo += 1
                    figures.flag("point in promo window", text)
    for item in tldr_items(job):
        text, start = str(item["text"]), float(item["start"])
        figures.tldr_texts.append((start, text))
        figures.tldr += 1
        figures.tldr_function_end += ends_on_function_word(text, language)
        figures.tldr_stutter += bool(stutters(text, language))
        if window := window_of(start, len(words_of(text)), spw, windows):
            if window.kind == "sponsor":
                figures.tldr_sponsor += 1
                figures.flag("TL;DR item in sponsor window", text)
            else:
                figures.tldr_promo += 1
                figures.flag("TL;DR item in promo window", text)
    figures.tldr_text = str(job.get("tldr") or "")
    if "topics" in job:
        figures.topics = [str(t) for t in job["topics"] or []]
    if any("title" in c for c in job["chunks"]):
        figures.titles = [c.get("title") for c in job["chunks"]]
    return figures


# --- running the engine ----------------------------------------------------------------------------------


def project_root() -> Path:
    """The checkout whose engine is measured: the working directory when it holds one, else this file's."""
    here = Path.cwd()
    return here if (here / "summarizer" / "engine.py").is_file() else Path(__file__).resolve().parents[1]


class EngineKit:
    """The engine's classes, from whichever layout the measured version has."""

    def __init__(self, root: Path) -> None:
        sys.path.insert(0, str(root))
        self.root = root
        try:
            self.settings: Any = import_module("core.config").Settings
        except ModuleNotFoundError:  # before core/ (47d1c55 and older)
            self.settings = import_module("api.settings").Settings
        try:
            self.inline: Any = import_module("summarizer.cpu_process").InlineRunner
        except (ModuleNotFoundError, AttributeError):
            self.inline = import_module("summarizer.engine").InlineRunner
        self.engine: Any = import_module("summarizer.engine").Engine

    async def run(self, data: Path, video_id: str) -> tuple[dict[str, Any], float, float]:
        """(the finished job resource, CPU seconds, wall seconds) of one extractive summary, fresh engine."""
        settings = self.settings(_env_file=None, transcript_dir=str(data), redis_url=None)
        engine = self.engine.from_settings(settings, self.inline(), durable=False)
        await engine.start()
        try:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            job, _ = await engine.submit(video_id, summarizer="extractive")
            async for _ in job.changes():
                pass
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            return job.to_dict(), cpu, wall
        finally:
            await engine.stop()


async def measure_all(
    kit: EngineKit, data: Path, metas: Sequence[Meta], repeat: int = 1, warm_up: bool = True
) -> list[Figures]:
    if warm_up:
        for language in dict.fromkeys(m.language for m in metas):
            shortest = min((m for m in metas if m.language == language), key=lambda m: m.seconds)
            await kit.run(data, shortest.video_id)
    out = []
    for meta in metas:
        runs = [await kit.run(data, meta.video_id) for _ in range(max(repeat, 1))]
        job = runs[0][0]
        figures = measure_job(job, meta, WINDOWS.get(meta.video_id, ()))
        figures.cpu = min(r[1] for r in runs)
        figures.wall = min(r[2] for r in runs)
        out.append(figures)
    return out


# --- the report ------------------------------------------------------------------------------------------


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "-"


COUNTS = (
    "points",
    "function_end",
    "stutter",
    "lead_ellipsis",
    "trail_ellipsis",
    "words",
    "tldr",
    "tldr_function_end",
    "tldr_stutter",
    "tldr_sponsor",
    "points_sponsor",
    "tldr_promo",
    "points_promo",
)


def total(name: str, rows: Sequence[Figures]) -> Figures:
    out = Figures(name, "", False, sum(r.hours for r in rows))
    for key in COUNTS:
        setattr(out, key, sum(getattr(r, key) for r in rows))
    out.cpu = sum(r.cpu for r in rows)
    out.wall = sum(r.wall for r in rows)
    return out


def groups(rows: Sequence[Figures]) -> list[tuple[str, list[Figures]]]:
    found = [
        ("**manual**", [r for r in rows if not r.auto]),
        ("**auto-captioned**", [r for r in rows if r.auto]),
        ("**all**", list(rows)),
    ]
    return [(name, members) for name, members in found if members]


def counted(values: list[Any] | None) -> str:
    return "-" if values is None else str(sum(1 for v in values if v))


def report(rows: Sequence[Figures], heading: str = "") -> str:
    lines: list[str] = []
    if heading:
        lines += [heading, ""]
    lines += [
        "### Key points",
        "",
        "| video | lang | captions | points | ends on a function word | with a stutter | starts with … "
        "| ends with … | words/point |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def point_row(r: Figures, name: str, lang: str, kind: str) -> str:
        words = f"{r.words / r.points:.1f}" if r.points else "-"
        return (
            f"| {name} | {lang} | {kind} | {r.points} | {share(r.function_end, r.points)} | {r.stutter} "
            f"| {share(r.lead_ellipsis, r.points)} | {share(r.trail_ellipsis, r.points)} | {words} |"
        )

    for r in rows:
        name = r.video_id + (f" (error: {r.error})" if r.error else "")
        lines.append(point_row(r, name, r.language, "auto" if r.auto else "manual"))
    for name, members in groups(rows):
        lines.append(point_row(total(name, members), name, "", ""))
    lines += [
        "",
        "### TL;DR, ad windows, topics, CPU",
        "",
        "| video | hours | TL;DR items | TL;DR ending on a function word | TL;DR with a stutter "
        "| TL;DR in a sponsor window | points in a sponsor window | TL;DR / points in a promo window "
        "| topics | chunk titles | CPU s | CPU s/h |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def tldr_row(r: Figures, name: str, topics: str, titles: str) -> str:
        per_hour = r.cpu / r.hours if r.hours else 0.0
        return (
            f"| {name} | {r.hours:.2f} | {r.tldr} | {r.tldr_function_end} | {r.tldr_stutter} | {r.tldr_sponsor} "
            f"| {r.points_sponsor} | {r.tldr_promo} / {r.points_promo} | {topics} | {titles} "
            f"| {r.cpu:.3f} | {per_hour:.3f} |"
        )

    for r in rows:
        topics = "-" if r.topics is None else str(len(r.topics))
        titles = "-" if r.titles is None else f"{counted(list(r.titles))}/{len(r.titles)}"
        lines.append(tldr_row(r, r.video_id, topics, titles))
    for name, members in groups(rows):
        lines.append(tldr_row(total(name, members), name, "", ""))
    long_rows = [r for r in rows if r.video_id in LONG]
    if long_rows:
        name = f"**long ({len(long_rows)})**"
        lines.append(tldr_row(total(name, long_rows), name, "", ""))
    lines += ["", "### Topics and first chunk title", ""]
    for r in rows:
        topics = "(no `topics` field)" if r.topics is None else "; ".join(r.topics) or "(none)"
        first = "(no chunk `title` field)" if r.titles is None else (r.titles[0] if r.titles else None)
        lines.append(f"- **{r.video_id}**: topics: {topics}; first chunk title: {first}")
    lines += ["", "### Flagged points (at most 5 of each kind per video)", ""]
    for r in rows:
        for kind, texts in r.flagged.items():
            lines.append(f"- **{r.video_id}**, {kind} ({len(texts)}):")
            lines += [f"  - {t}" for t in texts[:5]]
    if not any(r.flagged for r in rows):
        lines.append("(none)")
    return "\n".join(lines) + "\n"


def comparison(before: Sequence[Figures], after: Sequence[Figures]) -> str:
    """The issue's figures side by side: two runs of this benchmark (`--json` files), manual vs auto."""

    def pick(rows: Sequence[Figures], auto: bool) -> Figures:
        return total("", [r for r in rows if r.auto == auto])

    def per_hour(rows: Sequence[Figures]) -> str:
        f = total("", rows)
        return f"{f.cpu / f.hours:.3f}" if f.hours else "-"

    def words(f: Figures) -> str:
        return f"{f.words / f.points:.1f}" if f.points else "-"

    cells: list[tuple[str, str, Any]] = [
        ("points ending on a function word", "≤ 5 %", lambda f: share(f.function_end, f.points)),
        ("points with a stutter", "0", lambda f: str(f.stutter)),
        ("TL;DR items in a sponsor window", "0", lambda f: f"{f.tldr_sponsor} of {f.tldr}"),
        ("points in a sponsor window", "0", lambda f: str(f.points_sponsor)),
        ("TL;DR items / points in a promo window", "", lambda f: f"{f.tldr_promo} / {f.points_promo}"),
        ("TL;DR items ending on a function word", "", lambda f: str(f.tldr_function_end)),
        ("TL;DR items with a stutter", "", lambda f: str(f.tldr_stutter)),
        ("points starting with …", "", lambda f: share(f.lead_ellipsis, f.points)),
        ("points ending with …", "", lambda f: share(f.trail_ellipsis, f.points)),
        ("words per point", "", words),
    ]
    lines = [
        "| figure | aim | manual: before | manual: after | auto-captioned: before | auto-captioned: after |",
        "|---|---|---|---|---|---|",
    ]
    runs = [pick(before, False), pick(after, False), pick(before, True), pick(after, True)]
    for name, aim, cell in cells:
        lines.append(f"| {name} | {aim} | " + " | ".join(cell(f) for f in runs) + " |")
    long_before = [r for r in before if r.video_id in LONG]
    long_after = [r for r in after if r.video_id in LONG]
    auto_before = [r for r in before if r.auto]
    auto_after = [r for r in after if r.auto]
    lines.append(
        f"| CPU s per video hour (manual: the 3 long; auto: all 6) | ≤ 0.2 (docs' machine) "
        f"| {per_hour(long_before)} | {per_hour(long_after)} | {per_hour(auto_before)} | {per_hour(auto_after)} |"
    )
    lines += [
        "",
        "| video | captions | ends on a function word | stutters | TL;DR in a sponsor window | CPU s/h |",
        "|---|---|---|---|---|---|",
    ]
    earlier = {r.video_id: r for r in before}
    for r in after:
        if (b := earlier.get(r.video_id)) is None:
            continue
        lines.append(
            f"| {r.video_id} | {'auto' if r.auto else 'manual'} | {b.function_end}/{b.points} → {r.function_end}/{r.points} "
            f"| {b.stutter} → {r.stutter} | {b.tldr_sponsor} → {r.tldr_sponsor} "
            f"| {per_hour([b])} → {per_hour([r])} |"
        )
    return "\n".join(lines) + "\n"


def load_rows(path: Path) -> list[Figures]:
    """The figures of a run saved with `--json`."""
    return [Figures(**video) for video in json.loads(path.read_text(encoding="utf-8"))["videos"]]


VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")


def _only_values(argv: Sequence[str]) -> list[str]:
    """`--only ID ID` as `--only=ID,ID`, so that an id starting with "-" (`-812wqOXGz4`) is no option."""
    out: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg != "--only":
            out.append(arg)
            continue
        ids = []
        while args and VIDEO_ID.fullmatch(args[0]):
            ids.append(args.pop(0))
        out.append("--only=" + ",".join(ids))
    return out


def source_digest(root: Path) -> str:
    """A short hash of the measured engine's code (summarizer/ and core/ or api/ sources), to tell runs apart
    when the working tree changes between them."""
    digest = hashlib.sha256()
    for path in sorted(p for folder in ("summarizer", "core", "api") for p in (root / folder).rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--only",
        metavar="VIDEO_ID",
        action="extend",
        type=lambda v: [i for i in v.split(",") if i],
        help="just these transcripts (space- or comma-separated ids)",
    )
    parser.add_argument("--data", type=Path, help="the transcripts folder (default: tests/data/transcripts)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures and the texts here")
    parser.add_argument("--repeat", type=int, default=1, help="runs per transcript; CPU is the least")
    parser.add_argument("--heading", default="", help="a line printed above the tables")
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="no run: print the before/after table of two `--json` files",
    )
    return parser.parse_args(_only_values(sys.argv[1:] if argv is None else argv))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        print(comparison(load_rows(args.compare[0]), load_rows(args.compare[1])), end="")
        return 0
    root = project_root()
    data = args.data or Path.cwd() / "tests" / "data" / "transcripts"
    files = [data / f"{v}.json" for v in args.only] if args.only else sorted(data.glob("*.json"))
    metas = sorted((read_meta(f) for f in files), key=lambda m: (m.auto, m.seconds))
    rows = asyncio.run(measure_all(EngineKit(root), data, metas, args.repeat))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    source = (
        f"engine {root} (sources {source_digest(root)}), transcripts {data}, {when}, best of {args.repeat}"
    )
    print(report(rows, "\n\n".join(h for h in (args.heading, source) if h)), end="")
    if args.json:
        payload = {
            "project": str(root),
            "sources": source_digest(root),
            "when": when,
            "data": str(data),
            "videos": [asdict(r) for r in rows],
            "windows": {v: [asdict(w) for w in ws] for v, ws in WINDOWS.items()},
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
