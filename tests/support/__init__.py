"""What the tests share, one module per concept; test modules import from here, never from each other.

- `servers`: an app under uvicorn on a free port (`serve`), a throwaway `redis-server`
- `data`: the recorded transcripts and YouTube answers, the videos the tests use
- `waiting`: bounded polling (`until`, `eventually`)
- `runners`: CPU runners that gate, count or hang the real steps
- `rest`, `telegram_service`, `discord_service`: the real app driven through one surface each
- `redis_mode`: job state checkpointed in Redis, worker-only processes
- `callbacks`: a receiver of REST callbacks
- `youtube`: YouTube's recorded answers served to youtube-transcript-api
- `extractive`: a video's extractive summary as plain data
- `fake_telegram`, `fake_discord`, `fake_llm`: local fakes of the Bot API, Discord's REST API, an
  OpenAI-compatible server
- `crash_app`: a service process for the kill -9 test (`python -m tests.support.crash_app`)
- `deploy`: what the deployment files are checked against
"""
