"""`python -m summarizer` as a user runs it, offline over the recorded transcripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.support.data import ROOT, TRANSCRIPTS


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "summarizer", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_prints_topics_then_titled_chunks_with_timestamped_points_then_the_tldr() -> None:
    result = cli("https://youtu.be/LPZh9BOjkQs?si=x", "--transcript-dir", str(TRANSCRIPTS))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Topics: large language model \u00b7 ")
    chunks = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] for line in chunks] == ["[0:00 - 4:57", "[4:57 - 8:45"]
    assert all(len(line.split("] ", 1)[1]) > 3 for line in chunks)  # each with its title
    tldr = lines.index("TL;DR:")
    points = [line for line in lines if "https://youtu.be/" in line]
    assert len(points) == 6 + len(lines[tldr + 1 :]) and len(lines[tldr + 1 :]) == 3
    for line in points:  # "  1:45  text  https://youtu.be/LPZh9BOjkQs?t=105": the clock matches the link
        match = re.fullmatch(r"\s*(\d+):(\d\d)\s.*\?t=(\d+)", line)
        assert match is not None
        minutes, seconds, link_seconds = match.groups()
        assert int(minutes) * 60 + int(seconds) == int(link_seconds)
    assert all("https://youtu.be/" in line for line in lines[tldr + 1 :])


def test_json_output_is_the_job_resource() -> None:
    result = cli("--json", "--transcript-dir", str(TRANSCRIPTS), "--language", "de", "brJu7qMJdVc")
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert (job["status"], job["video_id"], job["language_code"]) == ("done", "brJu7qMJdVc", "de")
    assert job["progress"]["done"] == job["progress"]["total"] == len(job["chunks"]) >= 1


def test_failures_exit_non_zero_with_a_message() -> None:
    missing = cli("AAAAAAAAAAA", "--transcript-dir", str(TRANSCRIPTS))
    assert missing.returncode == 1 and "no_transcript" in missing.stderr
    invalid = cli("https://vimeo.com/1", "--transcript-dir", str(TRANSCRIPTS))
    assert invalid.returncode == 2 and "invalid_url" in invalid.stderr and "youtu.be" in invalid.stderr
