"""Where transcripts come from: a chain of providers tried in order (`TRANSCRIPT_PROVIDERS`).

- `youtube.py`: YouTube itself through youtube-transcript-api (direct, or through the configured proxy);
  titles and channels from the player answer it downloads anyway; YouTube's own translated captions.
- `supadata.py`: Supadata's managed transcript API (`SUPADATA_API_KEY`), which works from cloud hosts.
- `folder.py`: `<video_id>.json` files (`TRANSCRIPT_DIR`: demos, tests, offline use).
- `chain.py`: the providers in order, each behind its own circuit breaker; a provider that is blocked,
  rate-limited or down passes the video on, "no captions" from one that can tell is final.
- `oembed.py`: a video's title and channel from YouTube's oEmbed endpoint, for providers that give none.
- `session.py`: the `requests` session every HTTP provider uses (timeouts, outbound metrics).

Everything here is blocking (`requests`): the engine calls the chain in a thread.
"""
