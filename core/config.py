"""All configuration, read once from the environment (and `.env`): the contract's names.

The one settings object of every layer (`core` imports nothing of the layers above it)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.limits import MAX_TRANSCRIPT_CHARS, MAX_TRANSCRIPT_SNIPPETS, MAX_VIDEO_SECONDS, SUBTITLES_MAX_BYTES

# A list read from one variable as comma-separated words: LANGUAGES=de,en
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting the service reads; docs/configuration.md lists them with their effect."""

    # env_ignore_empty: a variable set to "" (a Render dashboard prompt left blank) is "unset": the default.
    # hide_input_in_errors: a failed start's error showed every setting's value, cut short (the first
    # characters of REDIS_URL's password, of tokens); the error still names the setting and what is wrong.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    # Where to listen (used by `python -m api`; uvicorn's own flags win when it is started directly).
    host: str = "127.0.0.1"
    port: int = 8000
    # Seconds a connection may take to send a request's headers, then its body (api/request_deadline.py:
    # slowloris, slow POST). The body's 180 s: the largest body taken (MAX_BODY_BYTES, 4 MiB) arrives in
    # 168 s at 200 kbit/s, the uplink of WebPageTest's "Mobile Edge" profile, a slow phone line (its "2G"
    # has 256, "3G Slow" 400); a 2 MiB subtitle file (SUBTITLES_MAX_BYTES) in 84 s. Raise it with the limit.
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=180.0, gt=0)

    # Sources and storage.
    redis_url: str | None = None
    transcript_dir: str | None = None
    languages: CommaList = Field(default_factory=lambda: ["en"])

    # Transcript providers, tried in order (docs/free-tier.md: YouTube blocks most cloud IPs): `youtube`
    # (direct or through the proxy below) and `supadata` (a managed API, SUPADATA_API_KEY).
    transcript_providers: CommaList = Field(default_factory=lambda: ["youtube"])
    supadata_api_key: str | None = None
    supadata_base_url: str = "https://api.supadata.ai/v1"
    supadata_timeout: float = 60.0  # one request, and the wait for an asynchronous transcript job
    # Titles and channels for transcripts whose provider gives none (Supadata).
    youtube_oembed_url: str = "https://www.youtube.com/oembed"

    # YouTube access: timeouts and the library's proxy configs (YouTube blocks most cloud IPs).
    youtube_timeout: float = 15.0
    youtube_proxy_http_url: str | None = None
    youtube_proxy_https_url: str | None = None
    webshare_proxy_username: str | None = None
    webshare_proxy_password: str | None = None
    webshare_proxy_locations: CommaList = Field(default_factory=list)
    # After this many `blocked` answers in a row, YouTube is not asked for `youtube_breaker_cooldown` s.
    youtube_breaker_failures: int = 3
    youtube_breaker_cooldown: float = 300.0

    # Queue: at 0.1 CPU one job at a time is the fastest way through (see docs/how-it-works.md).
    queue_max: int = 20
    # Jobs one process runs at the same time (was WORKERS, still read).
    concurrent_jobs: int = Field(default=1, validation_alias=AliasChoices("CONCURRENT_JOBS", "WORKERS"))
    max_jobs_per_requester: int = 3
    # Summary requests one requester (REST client IP, Telegram chat, Discord user) may make: `limits` syntax.
    rate_limit: str = "20/minute;200/hour"
    job_timeout: float = 900.0
    jobs_kept: int = 1000
    # With Redis: finished jobs' state is kept this long; a running job's lease and each process's heartbeat
    # (renewed every third of it) expire this long after the process died: then any process queues its jobs
    # again, and a web process takes over showing them.
    job_state_ttl: int = 86400
    job_lease_seconds: float = 15.0
    # With Redis: whether this web process also runs queued jobs (off when `python -m summarizer worker`
    # processes do), and how often a worker asks Redis for new jobs (arq polls; it has no blocking pop).
    # Idle CPU of a web process (`benchmarks/idle_cpu.py --seconds 60`): 1.67 ms/s without Redis; with
    # Redis (polls, heartbeat, pub/sub) 2.83 ms/s at 1 s, 3.67 at 0.5 s, 2.50 at 2 s: under 3 % of the free
    # tier's 0.1 CPU at 1 s.
    run_worker: bool = True
    queue_poll_seconds: float = 1.0
    # With Redis: the residential lane (docs/scaling.md). A worker started with `--lane residential` (or
    # WORKER_LANE) takes only the jobs that YouTube refused elsewhere; such a job waits this long for one.
    worker_lane: Literal["residential"] | None = None
    residential_wait_seconds: float = 300.0

    # Summaries. The CPU process (summarizer/cpu_process.py) may use this share of the cgroup's CPU quota
    # (0 or 1 = no pacing); it starts with the first job and ends after CPU_PROCESS_IDLE_SECONDS without
    # work (was WORKER_IDLE_SECONDS, still read).
    summarizer_cpu_share: float = 0.5
    cpu_process_idle_seconds: float = Field(
        default=600.0, validation_alias=AliasChoices("CPU_PROCESS_IDLE_SECONDS", "WORKER_IDLE_SECONDS")
    )
    max_video_seconds: float = MAX_VIDEO_SECONDS
    chunk_seconds: float = 300.0
    chunk_max_words: int = 900
    points_per_chunk: int = 3
    tldr_sentences: int = 3
    # Ask the video (docs/ask.md): the CPU process keeps the search index of this many videos, the most
    # recently asked (3.5 h of video: 1.3 MB; building one costs 0.14-0.21 CPU-s: benchmarks/ask.py).
    ask_indexes: int = Field(default=4, ge=1)

    # LLM summaries through an OpenAI-compatible Chat Completions API (docs/llm.md); extractive by default.
    summarizer: Literal["extractive", "llm"] = "extractive"
    llm_base_url: str | None = None  # e.g. https://api.openai.com/v1
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout: float = 60.0  # seconds per attempt
    llm_concurrency: int = Field(default=2, ge=1)
    llm_chunk_tokens: int = Field(default=2000, ge=100)  # transcript tokens per map call (~4 chars a token)
    llm_max_retries: int = Field(default=2, ge=0)

    # Cache TTLs (seconds).
    summary_ttl: int = 7 * 24 * 3600
    transcript_ttl: int = 3600
    negative_ttl: int = 600
    cache_max_keys: int = 2000
    # What the memory cache's values (with Redis: its memory layer's) may weigh, packed: 64 MiB holds ~590
    # 3.5-hour transcripts. Bound by keys only, 150 of the largest a request may send grew the process by
    # 357 MB (`benchmarks/cache_memory.py --count 150 --largest`, summarizer/cache.py).
    cache_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024 * 1024)

    # Telegram (enabled by TELEGRAM_BOT_TOKEN + TELEGRAM_WEBHOOK_SECRET).
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"

    # Discord (enabled by DISCORD_PUBLIC_KEY).
    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_bot_token: str | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    # Where `/summarize file:` attachments may be downloaded from (scheme://host[:port], exactly): Discord's
    # CDN. Nothing else is fetched, and redirects are not followed, so an attachment URL cannot reach inside.
    discord_attachment_origins: CommaList = Field(
        default_factory=lambda: ["https://cdn.discordapp.com", "https://media.discordapp.net"]
    )

    # The service's public https root, for webhook registration (Render sets RENDER_EXTERNAL_URL).
    public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("PUBLIC_URL", "RENDER_EXTERNAL_URL")
    )

    # REST callbacks: signed with CALLBACK_SECRET; never to private addresses except CALLBACK_ALLOW_HOSTS.
    callback_secret: str | None = None
    callback_allow_hosts: CommaList = Field(default_factory=list)
    callback_allow_http: bool = False
    callback_timeout: float = 10.0
    callback_give_up_after: float = 600.0

    # Addresses (or networks) of the proxies in front whose X-Forwarded-For is read; "*": any peer
    # (api/client_address.py).
    forwarded_allow_ips: CommaList = Field(default_factory=lambda: ["*"])

    # REST.
    api_key: str | None = None
    max_body_bytes: int = 4 * 1024 * 1024
    max_transcript_snippets: int = MAX_TRANSCRIPT_SNIPPETS
    max_transcript_chars: int = MAX_TRANSCRIPT_CHARS
    # Subtitle files users send (REST `subtitles`, Telegram documents, Discord attachments): at most this many
    # bytes; their cues and text are held to the two limits above and their length to max_video_seconds.
    subtitles_max_bytes: int = SUBTITLES_MAX_BYTES

    # Monitoring (docs/operations.md). When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: str | None = None
    # /readyz reports `event_loop_lag` above this many seconds, and `cpu_throttled` when more than this
    # share of the cgroup's CPU periods were throttled over the last 10 s.
    readyz_max_loop_lag: float = 0.5
    readyz_max_throttled: float = 0.5
    # Logs: one line per event, `text` or `json`, at LOG_LEVEL (DEBUG, INFO, WARNING, ERROR).
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    def secret_values(self) -> list[str | None]:
        """The settings that must never appear in logs (URL passwords are redacted by pattern)."""
        return [
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.telegram_secret_token,  # what is sent to Telegram (python-telegram-bot logs it at DEBUG)
            self.discord_bot_token,
            self.api_key,
            self.callback_secret,
            self.metrics_token,
            self.webshare_proxy_password,
            self.llm_api_key,
            self.supadata_api_key,
        ]

    @field_validator(
        "languages",
        "webshare_proxy_locations",
        "callback_allow_hosts",
        "transcript_providers",
        "discord_attachment_origins",
        mode="before",
    )
    @classmethod
    def split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def telegram_secret_token(self) -> str | None:
        """TELEGRAM_WEBHOOK_SECRET as Telegram accepts it (1-256 of `A-Za-z0-9_-`): unchanged when it
        already is, else its SHA-256 hex digest (Render's `generateValue` is base64, with `+/=`)."""
        secret = self.telegram_webhook_secret
        if secret is None or re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            return secret
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def telegram_bot_id(self) -> int | None:
        """The bot's user id: the digits before the colon of TELEGRAM_BOT_TOKEN."""
        head = (self.telegram_bot_token or "").split(":", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @model_validator(mode="after")
    def llm_needs_endpoint(self) -> Settings:
        if self.summarizer == "llm" and not self.llm_configured:
            raise ValueError("SUMMARIZER=llm needs LLM_BASE_URL and LLM_MODEL (see docs/llm.md)")
        return self

    @model_validator(mode="after")
    def providers_are_usable(self) -> Settings:
        """A typo or a missing key stops the start-up, not the first job."""
        if not self.transcript_providers:  # set but empty (a dashboard prompt left blank): the default
            self.transcript_providers = ["youtube"]
        if unknown := [p for p in self.transcript_providers if p not in ("youtube", "supadata")]:
            raise ValueError(f"TRANSCRIPT_PROVIDERS: unknown {', '.join(unknown)} (known: youtube, supadata)")
        if "supadata" in self.transcript_providers and not self.supadata_api_key:
            raise ValueError("TRANSCRIPT_PROVIDERS lists supadata: set SUPADATA_API_KEY (docs/free-tier.md)")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings object."""
    return Settings()
