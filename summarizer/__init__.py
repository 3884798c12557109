"""The summarizing engine: YouTube link → transcript → chunks → timestamped key points → TL;DR.

`engine.py` runs a job; `backends/` is where jobs wait, run and are found (this process, or Redis);
`sinks.py` names where a job is shown. Nothing here imports `api`, `handlers` or `bot`: the app registers
how each kind of sink is shown when it builds the engine (tests/test_layers.py checks the imports).
"""
