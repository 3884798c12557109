"""The pages over HTTP (api/pages.py): the shell and its files (types, caching, gzip, versions), the
summary page and its key-less reads, `GET /v1/state` (its token, no secrets, what it says about Telegram
and Discord), and that nothing of the pages is read at start-up. In a browser: test_page_browser.py."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import responses
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support import subtitle_files as files
from tests.support.callbacks import Receiver
from tests.support.data import ROOT, SHORT
from tests.support.fake_supadata import FakeSupadata
from tests.support.fake_telegram import FakeTelegram
from tests.support.rest import finished, gated_service, read_events, settings
from tests.support.runners import GatedRunner
from tests.support.servers import serve
from tests.support.telegram_service import telegram_settings
from tests.support.waiting import eventually, until
from tests.support.youtube import VIDEO, asset, replace_player

API_KEY = "k3y-of-the-rest-api-0123"
TOKEN = "st4tus-t0ken-0123"
SECRETS = {
    "api_key": API_KEY,
    "metrics_token": TOKEN,
    "callback_secret": "callback-s3cret-0123",
    "webshare_proxy_username": "proxy-user-0123",
    "webshare_proxy_password": "proxy-passw0rd-0123",
    "youtube_proxy_http_url": "http://user:proxy-url-passw0rd@proxy.example:8080",
    "llm_base_url": "https://llm.example/v1",
    "llm_model": "model-0123",
    "llm_api_key": "llm-k3y-0123",
    "discord_public_key": "not-hex-0123",
    "discord_application_id": "1234567890",
    "discord_bot_token": "discord-b0t-token-0123",
    "discord_api_base_url": "http://127.0.0.1:9/api/v10",  # nothing listens: the check fails, offline
}
SECRET_VALUES = [
    API_KEY,
    TOKEN,
    "callback-s3cret-0123",
    "proxy-passw0rd-0123",
    "proxy-url-passw0rd",
    "llm-k3y-0123",
    "discord-b0t-token-0123",
]


@asynccontextmanager
async def service(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings(**overrides), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def summarized(client: httpx.AsyncClient, key: str) -> str:
    """The id of a done job of SHORT."""
    job = (await client.post("/v1/summaries", json={"url": SHORT}, headers={"X-API-Key": key})).json()
    await eventually(lambda: summary_done(client, job["id"]), "the summary done")
    return str(job["id"])


async def summary_done(client: httpx.AsyncClient, job_id: str) -> bool:
    return bool((await client.get(f"/s/{job_id}/job")).json()["status"] == "done")


async def test_the_pages_are_one_shell_revalidated_and_its_files_kept_a_year_by_version() -> None:
    async with service() as client:
        for path in ("/", "/status"):
            page = await client.get(path, headers={"Accept-Encoding": "identity"})
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert page.headers["cache-control"] == "no-cache"
            assert "default-src 'none'" in page.headers["content-security-policy"]
            assert page.headers["referrer-policy"] == "no-referrer"
            assert page.headers["x-content-type-options"] == "nosniff"
            etag = page.headers["etag"]
            again = await client.get(path, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
            assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        html = page.text
        assert "{{" not in html
        assert '<label for="url">' in html and 'lang="en"' in html
        # Nothing from another host: the script and stylesheet are ours, by version.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        for name, media_type in (("app.js", "text/javascript"), ("app.css", "text/css")):
            [version] = re.findall(rf"/static/{re.escape(name)}\?v=([0-9a-f]+)", html)
            current = await client.get(f"/static/{name}?v={version}")
            assert current.status_code == 200
            assert current.headers["content-type"].startswith(media_type)
            assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert current.headers["content-encoding"] == "gzip"  # httpx asks for it and unpacks it
            assert current.content == (ROOT / "api" / "static" / name).read_bytes()
            raw = await client.get(f"/static/{name}", headers={"Accept-Encoding": "identity"})
            assert raw.headers["cache-control"] == "no-cache"  # an old or missing version: revalidated
            assert "content-encoding" not in raw.headers
            assert raw.content == current.content
        gzipped = await client.get("/", headers={"Accept-Encoding": "gzip"})
        assert gzipped.headers["content-encoding"] == "gzip" and gzipped.headers["etag"].endswith('-gz"')
        small = len(gzip.compress(gzipped.content))
        assert small < 4096, small
        for missing in ("/static/index.html", "/static/../main.py", "/static/nothing.js", "/nothing"):
            answer = await client.get(missing)
            assert answer.status_code == 404, missing


async def test_no_page_carries_a_secret_and_v1_state_has_none() -> None:
    async with service(**SECRETS) as client:
        job_id = await summarized(client, API_KEY)
        paths = ["/", "/status", f"/s/{job_id}", f"/s/{job_id}/job", "/static/app.js", "/static/app.css"]
        for path in paths:
            body = (await client.get(path)).text
            assert not [s for s in SECRET_VALUES if s in body], path
        assert (await client.get("/v1/state")).status_code == 401
        wrong = await client.get("/v1/state", headers={"Authorization": "Bearer nope"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "unauthorized")
        state = await client.get("/v1/state", headers={"Authorization": f"Bearer {TOKEN}"})
        assert state.status_code == 200
        assert state.headers["cache-control"] == "no-store"
        assert not [s for s in SECRET_VALUES if s in state.text]
        body = state.json()
        assert body["surfaces"]["rest"] == {
            "api_key_required": True,
            "requests": body["surfaces"]["rest"]["requests"],
        }
        assert body["llm"]["model"] == "model-0123" and body["llm"]["host"] == "llm.example"
        [folder] = body["transcripts"]["providers"]
        assert (folder["name"], folder["circuit_open"]) == ("folder", False)
        assert folder["fetches"]["ok"] >= 1  # the counts are this process's: other tests' jobs too
        assert body["queue"]["outcomes"]["done"] >= 1
        assert body["surfaces"]["discord"]["public_key_valid"] is False
        key, command = [p for p in body["problems"] if p["part"] == "discord"]
        assert key["severity"] == "error" and "DISCORD_PUBLIC_KEY is not a hex" in key["message"]
        assert command["severity"] == "warning" and command["message"].startswith("Could not ask Discord")
        assert body["status"] == "error"


@asynccontextmanager
async def service_with_callbacks() -> AsyncIterator[tuple[httpx.AsyncClient, GatedRunner, str]]:
    """`gated_service` behind the API key, its callbacks allowed to a local receiver; and a hook URL there
    (with a secret of its own in the query, which no key-less read may show)."""
    receiver = Receiver([200])
    overrides = {"api_key": API_KEY, "callback_allow_hosts": ["127.0.0.1"], "callback_allow_http": True}
    async with serve(receiver.app()) as receiver_url, gated_service(**overrides) as (client, runner):
        yield client, runner, f"{receiver_url}/hook?secret=mine"


async def test_a_summary_is_read_by_its_address_without_the_api_key_and_without_callbacks() -> None:
    async with service_with_callbacks() as (client, runner, hook):
        headers = {"X-API-Key": API_KEY}
        body = {"url": SHORT, "callback_url": hook}
        job = (await client.post("/v1/summaries", json=body, headers=headers)).json()
        assert (await client.get(f"/v1/summaries/{job['id']}")).status_code == 401
        page = await client.get(f"/s/{job['id']}")
        assert page.status_code == 200 and page.headers["x-robots-tag"] == "noindex"
        read = (await client.get(f"/s/{job['id']}/job")).json()
        assert read["id"] == job["id"] and "callbacks" not in read
        events: list[tuple[str, dict[str, Any]]] = []
        async with client.stream("GET", f"/s/{job['id']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            runner.release(2)
            async for event in read_events(stream):
                events.append(event)
        assert [name for name, _ in events] == ["chunk", "chunk", "done"]
        assert "callbacks" not in events[-1][1] and events[-1][1]["status"] == "done"
        assert events[-1][1] == (await client.get(f"/s/{job['id']}/job")).json()

        for path in ("/s/unknownJob000", "/s/unknownJob000/job", "/s/unknownJob000/events", "/s/a.b/job"):
            missing = await client.get(path)
            assert missing.status_code == 404, path
        assert (await client.get("/s/unknownJob000")).headers["content-type"].startswith("text/html")
        error = (await client.get("/s/unknownJob000/job")).json()["error"]
        assert error["code"] == "not_found"


def embedded(page: httpx.Response) -> Any:
    """The job a summary page carries inside (its JSON data block)."""
    [data] = re.findall(r'<script id="job" type="application/json">(.*?)</script>', page.text, re.S)
    return json.loads(data)


async def test_a_summary_page_carries_its_job_so_a_view_is_one_request() -> None:
    title = "Tags </script><script>alert(1)</script> <!-- in a title"
    transcript = {"language_code": "en", "title": title, "snippets": files.load(SHORT)["snippets"]}
    async with service_with_callbacks() as (client, runner, hook):
        body = {"url": SHORT, "transcript": transcript, "callback_url": hook}
        job = (await client.post("/v1/summaries", json=body, headers={"X-API-Key": API_KEY})).json()
        for status in ("running", "done"):
            if status == "done":
                runner.release(2)
                await eventually(lambda: summary_done(client, job["id"]), "the summary done")
            else:
                await until(lambda: runner.waiting)  # the first part waits: the job holds still
            page = await client.get(f"/s/{job['id']}", headers={"Accept-Encoding": "gzip"})
            assert (page.status_code, page.headers["cache-control"]) == (200, "no-store")
            assert page.headers["x-robots-tag"] == "noindex" and "content-security-policy" in page.headers
            assert "content-encoding" not in page.headers  # sent as it is: gzip would cost more than the view
            read = embedded(page)
            assert read == (await client.get(f"/s/{job['id']}/job")).json()
            assert read["status"] == status and read["title"] == title
            assert "callbacks" not in read and hook.split("?")[0] not in page.text
            # The title's tags stay inside the JSON: the only `</script>`s are the script's and the block's.
            assert page.text.count("</script>") == 2 and "<script>alert" not in page.text

        missing = await client.get("/s/unknownJob000")
        assert missing.status_code == 404 and embedded(missing) is None


async def test_v1_state_says_what_telegram_says_and_asks_it_once_a_minute() -> None:
    async with FakeTelegram().running() as fake:
        overrides = {"public_url": "https://summaries.example"}
        async with (
            serve(create_app(telegram_settings(fake, **overrides), InlineRunner())) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            await until(lambda: fake.webhook["url"])
            fake.webhook = {
                **fake.webhook,
                "pending_update_count": 3,
                "last_error_date": int(time.time()) - 60,
                "last_error_message": "Wrong response from the webhook: 403 Forbidden",
            }
            body = (await client.get("/v1/state")).json()
            telegram = body["surfaces"]["telegram"]
            assert telegram["configured"] is True
            webhook = telegram["webhook"]
            assert webhook["ok"] is True
            assert webhook["url"] == webhook["expected_url"] == "https://summaries.example/telegram/webhook"
            assert webhook["pending_update_count"] == 3
            [problem] = body["problems"]
            assert problem["part"] == "telegram" and problem["severity"] == "warning"
            assert "403 Forbidden" in problem["message"] and "webhook secret changed" in problem["message"]
            for _ in range(3):
                await client.get("/v1/state")
            assert len(fake.called("getWebhookInfo")) == 2  # the start-up's, then one for /v1/state
            assert fake.token not in (await client.get("/v1/state")).text

    async with FakeTelegram().running() as fake:  # a bot token Telegram does not know
        app = create_app(
            telegram_settings(fake, telegram_bot_token="987654:wrong-token-0123"), InlineRunner()
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            body = (await client.get("/v1/state")).json()
            assert body["surfaces"]["telegram"]["webhook"]["token_rejected"] is True
            assert [p["message"] for p in body["problems"]] == [
                "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather."
            ]
            assert "wrong-token-0123" not in (await client.get("/v1/state")).text

    async with FakeTelegram().running() as fake:  # no PUBLIC_URL, nothing registered
        app = create_app(telegram_settings(fake), InlineRunner())
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            body = (await client.get("/v1/state")).json()
            assert body["status"] == "error"
            assert "Telegram has no webhook for this bot" in body["problems"][0]["message"]
    async with service(telegram_bot_token="123:abc") as client:  # half configured
        [problem] = (await client.get("/v1/state")).json()["problems"]
        assert problem["message"].startswith("TELEGRAM_WEBHOOK_SECRET is not set, so Telegram is off")


def providers_of(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in state["transcripts"]["providers"]}


async def test_v1_state_shows_each_transcript_provider_s_circuit_and_answers(
    yt: responses.RequestsMock,
) -> None:
    """YouTube refuses this server (its recorded "blocked" answer), Supadata serves: YouTube's circuit opens
    and the state says so, with what to do; a chain without YouTube reports only its own provider."""
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    fake = FakeSupadata()
    fake.captions_of[VIDEO] = SHORT
    async with serve(fake.app) as stand_in:
        supadata: dict[str, Any] = {
            "supadata_api_key": "supadata-test-key",
            "supadata_base_url": f"{stand_in}/v1",
            "youtube_oembed_url": f"{stand_in}/oembed",
        }
        chain = {"transcript_providers": ["youtube", "supadata"], "youtube_breaker_failures": 1, **supadata}
        app = create_app(Settings(_env_file=None, **chain), InlineRunner())
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            before = providers_of((await client.get("/v1/state")).json())
            assert [before["youtube"]["circuit_open"], before["supadata"]["circuit_open"]] == [False, False]
            job = (await client.post("/v1/summaries", json={"url": VIDEO})).json()
            assert (await finished(client, job["id"]))["provider"] == "supadata"
            state = (await client.get("/v1/state")).json()
        youtube, served = providers_of(state)["youtube"], providers_of(state)["supadata"]
        assert youtube["circuit_open"] is True and served["circuit_open"] is False
        assert youtube["fetches"]["blocked"] == before["youtube"]["fetches"].get("blocked", 0) + 1
        assert served["fetches"]["ok"] == before["supadata"]["fetches"].get("ok", 0) + 1
        # The fetch counts are this process's, other tests' refusals by Supadata included: YouTube's problem.
        [problem] = [p for p in state["problems"] if "YouTube" in p["message"]]
        assert (problem["part"], problem["severity"]) == ("transcripts", "error")
        assert problem["message"].startswith("YouTube is refusing this server")
        assert "set a proxy" in problem["message"]
        assert "youtube_circuit_open" in state["degraded"] and state["status"] == "error"

        app = create_app(
            Settings(_env_file=None, transcript_providers=["supadata"], **supadata), InlineRunner()
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            state = (await client.get("/v1/state")).json()
        assert list(providers_of(state)) == ["supadata"]
        assert not [p for p in state["problems"] if p["severity"] == "error"]


def fake_discord_commands(names: list[str], status: int = 200) -> Starlette:
    async def commands(request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bot discord-b0t-token-0123"
        if status != 200:
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, status)
        return JSONResponse([{"id": str(i), "name": name} for i, name in enumerate(names)])

    return Starlette(routes=[Route("/api/v10/applications/1234567890/commands", commands)])


async def test_v1_state_says_whether_the_discord_command_is_registered() -> None:
    from nacl.signing import SigningKey

    public_key = SigningKey.generate().verify_key.encode().hex()
    discord = {
        "discord_public_key": public_key,
        "discord_application_id": "1234567890",
        "discord_bot_token": "discord-b0t-token-0123",
    }
    for names, status, expected in (
        (["summarize"], 200, None),
        (["other"], 200, "/summarize is not registered globally"),
        ([], 401, "Discord refused DISCORD_BOT_TOKEN"),
    ):
        fake = fake_discord_commands(names, status)
        async with (
            serve(fake) as fake_url,
            service(**discord, discord_api_base_url=f"{fake_url}/api/v10") as client,
        ):
            body = (await client.get("/v1/state")).json()
        command = body["surfaces"]["discord"]["command"]
        assert body["surfaces"]["discord"]["public_key_valid"] is True
        messages = [p["message"] for p in body["problems"]]
        if expected is None:
            assert command["registered"] is True and messages == []
        else:
            assert len(messages) == 1 and messages[0].startswith(expected), messages


async def test_v1_state_is_in_the_openapi_schema_and_the_pages_are_not() -> None:
    async with service() as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/v1/state" in paths
    pages = {"/", "/status", "/static/{name}", "/s/{job_id}", "/s/{job_id}/job", "/s/{job_id}/events"}
    assert not pages & set(paths)  # docs/api.md has the two JSON ones


def test_nothing_of_the_pages_is_imported_or_read_at_start_up() -> None:
    """The app starts and answers without importing api/pages.py and api/state.py or reading api/static/;
    the first page view imports and reads them, once."""
    probe = """
import asyncio, sys, httpx, api.main
from tests.support.servers import serve
PAGES = {"api.pages", "api.state"}
async def main():
    assert not PAGES & set(sys.modules), "imported with the app"
    async with serve(api.main.app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post("/v1/summaries", json={"url": "VIDEO"})).status_code == 202
        assert not PAGES & set(sys.modules), "imported by the first ack"
        for _ in range(3):
            assert (await client.get("/")).status_code == 200
        assert "api.state" not in sys.modules
        assert sys.modules["api.pages"].files.cache_info().misses == 1
        assert (await client.get("/v1/state")).status_code == 200
asyncio.run(main())
""".replace("VIDEO", SHORT)
    env = {"PATH": "/usr/bin:/bin", "TRANSCRIPT_DIR": str(ROOT / "tests" / "data" / "transcripts")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
