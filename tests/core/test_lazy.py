"""core/lazy.py as a unit: a lazy value is built once, in a worker thread; a lazy regex is compiled at its
first use, once, with its flags."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

from core.lazy import Lazy, lazy_regex


async def test_a_lazy_value_is_built_once_in_a_worker_thread() -> None:
    threads: list[threading.Thread] = []

    def build() -> object:
        threads.append(threading.current_thread())
        time.sleep(0.05)
        return object()

    lazy = Lazy(build)
    assert lazy.built is None
    first, second = await asyncio.gather(lazy.get(), lazy.get())
    assert first is second is lazy.built and len(threads) == 1
    assert threads[0] is not threading.main_thread()


def test_a_lazy_regex_is_compiled_at_its_first_use_once_with_its_flags() -> None:
    broken = lazy_regex("(")  # not compiled yet: nothing raised
    with pytest.raises(re.error):
        broken()
    words = lazy_regex(r"ab+", re.IGNORECASE)
    first = words()
    re.purge()  # (`re.compile` would hand out its cached pattern again)
    assert words() is first and first.findall("ABb ac abbb") == ["ABb", "abbb"]
