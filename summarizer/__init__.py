"""The summarizing engine: YouTube link → transcript → chunks → timestamped key points → TL;DR.

Nothing here knows about HTTP, Telegram or Discord; `api/` and `bot/` call into it.
"""
