"""Where jobs wait, run and are found: the engine's two modes, one class each (`base.JobBackend`).

- `LocalBackend` (local.py): this process only: a bounded in-process queue (local_queue.py) and the recent
  jobs in memory. Without `REDIS_URL`, and for the CLI.
- `RedisBackend` (redis.py): with `REDIS_URL`: a queue shared by every process (redis_queue.py), job state
  checkpointed in Redis (redis_store.py; every key in redis_keys.py), takeover of what a process that is
  gone left, and mirrors of jobs that run elsewhere. While Redis is unreachable, new jobs run in a
  `LocalBackend` of its own.

A backend is built with what running a job means (`run`: the engine's pipeline) and how a job is shown in
a sink (`show`), as callables: nothing here imports the engine.
"""
