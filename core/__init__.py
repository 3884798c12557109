"""Plumbing every layer uses: settings (`config`) and their default bounds of a video and a transcript
(`limits`), logging (`logs`), metrics (`telemetry`), the CPU budget (`cpu_budget`), small asyncio helpers
(`tasks`) and how times, language codes, sizes and shortened text are written (`formats`).

The bottom of the dependency chain: nothing here imports `summarizer`, `bot`, `handlers` or `api`
(tests/test_layers.py checks it from the source).
"""
