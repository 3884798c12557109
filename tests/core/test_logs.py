"""core/logs.py: the service's own handler writes one line per event, a traceback included."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

Capture = Callable[[str], io.StringIO]


def test_text_logs_keep_a_traceback_on_its_event_line(service_logs: Capture) -> None:
    buffer = service_logs("text")
    try:
        raise ValueError("line one\nline two")
    except ValueError:
        logging.getLogger("tests").exception("it broke")
    (line,) = buffer.getvalue().splitlines()
    assert " ERROR tests: it broke\\nTraceback" in line and line.endswith("line one\\nline two")
