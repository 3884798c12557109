"""Plumbing every layer uses: settings (`config`), logging (`logs`), metrics (`telemetry`), the CPU budget
(`cpu_budget`), small asyncio helpers (`tasks`) and how times and language codes are written (`formats`).

The bottom of the dependency chain: nothing here imports `summarizer`, `bot`, `handlers` or `api`
(tests/test_layers.py checks it from the source).
"""
