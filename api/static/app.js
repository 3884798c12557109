/* The pages of api/pages.py, one script for three views picked by the path:
 *   /          submit a link (POST /v1/summaries, with the API key when this browser has one)
 *   /s/<id>    one summary, followed live with EventSource on /s/<id>/events (no key needed to read)
 *   /status    the service's state from GET /v1/state (with the status token when one is set)
 * No framework and no other host. Text from the service is only ever set as textContent. */
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const KEYS = { apiKey: "ytsum.apiKey", languages: "ytsum.languages", token: "ytsum.statusToken" };
  const store = {
    get(name) {
      try { return localStorage.getItem(name) || ""; } catch { return ""; }
    },
    set(name, value) {
      try { value ? localStorage.setItem(name, value) : localStorage.removeItem(name); } catch { /* private mode */ }
    },
  };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
    return node;
  }

  function clock(seconds) {
    const total = Math.max(0, Math.floor(Number(seconds) || 0));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
  }

  const YOUTUBE = /^https:\/\/(www\.|m\.)?(youtu\.be|youtube\.com)\//;
  function videoAt(videoId, start) {
    return `https://youtu.be/${encodeURIComponent(videoId)}?t=${Math.floor(Number(start) || 0)}`;
  }
  // A subtitle file sent without a link has a video id of its own ("file-…"): its times link nowhere.
  const isFile = (videoId) => String(videoId).startsWith("file-");
  function timeLink(href, start, videoId) {
    if (isFile(videoId) || href === null) return el("span", { class: "ts", text: clock(start) });
    const safe = typeof href === "string" && YOUTUBE.test(href) ? href : videoAt(videoId, start);
    return el("a", { class: "ts", href: safe, target: "_blank", rel: "noopener noreferrer", text: clock(start) });
  }

  // --- views ------------------------------------------------------------------------------------------------
  const VIEWS = ["start", "summary", "status"];
  function show(view) {
    for (const name of VIEWS) $(name).hidden = name !== view;
    for (const link of document.querySelectorAll("nav a[data-view]")) {
      if (link.dataset.view === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  function route() {
    stopFollowing();
    stopStatus();
    const match = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)\/?$/);
    if (match) {
      show("summary");
      openSummary(match[1], embeddedJob());
    } else if (location.pathname === "/status") {
      show("status");
      document.title = "Service status · YouTube summaries";
      startStatus();
    } else {
      show("start");
      document.title = "YouTube summaries";
      const asked = new URLSearchParams(location.search).get("url");
      if (asked) $("url").value = asked;
    }
  }

  // --- submitting ---------------------------------------------------------------------------------------------
  function formError(text) {
    $("form-error").textContent = text;
    $("form-error").hidden = !text;
  }

  async function submit(event) {
    event.preventDefault();
    const url = $("url").value.trim();
    const file = $("file").files && $("file").files[0];
    if (!url && !file) {
      formError("Paste a YouTube link (or a video id), or choose a subtitle file, first.");
      $("url").focus();
      return;
    }
    const languages = $("langs").value.split(/[\s,;]+/).filter(Boolean);
    const request = {};
    if (url) request.url = url;
    if (languages.length) request.languages = languages;
    if (file) {
      try {
        request.subtitles = await file.text();
      } catch {
        formError(`Could not read ${file.name}.`);
        return;
      }
    }
    const key = $("key").value.trim();
    store.set(KEYS.languages, $("langs").value.trim());
    store.set(KEYS.apiKey, key);
    const headers = { "Content-Type": "application/json" };
    if (key) headers["X-API-Key"] = key;
    formError("");
    $("go").disabled = true;
    $("go").textContent = "Sending…";
    let response, body = null;
    try {
      response = await fetch("/v1/summaries", {
        method: "POST", headers, body: JSON.stringify(request),
      });
      body = await response.json().catch(() => null);
    } catch {
      formError("Could not reach the service. Check your connection and try again.");
      return;
    } finally {
      $("go").disabled = false;
      $("go").textContent = "Summarize";
    }
    if (response.ok && body && body.id) {
      $("file").value = "";
      history.pushState(null, "", `/s/${body.id}`);
      show("summary");
      openSummary(body.id, body);
      return;
    }
    const error = (body && body.error) || { code: "", message: `The service answered ${response.status}.` };
    if (error.code === "unauthorized") {
      $("options").open = true;
      formError(key ? "The API key was not accepted: check it under Options."
        : "This service needs an API key: enter it under Options, then try again.");
      $("key").focus();
      return;
    }
    let text = error.message;
    if (error.code === "invalid_request") text = `The service could not take this request: ${text}`;
    const wait = response.headers.get("Retry-After");
    if (wait && (response.status === 429 || response.status === 503)) text += ` Try again in ${wait} s.`;
    formError(text);
    $("url").focus();
  }

  // --- one summary ----------------------------------------------------------------------------------------------
  // What YouTube will not hand to this server can still be summarized from the video's own subtitle file.
  const SEND_FILE = " Or summarize its subtitle file: download it (for example with yt-dlp --write-subs --write-auto-subs), then choose it on the start page together with this video's link.";
  const ADVICE = {
    no_transcript: "Try again with the video's own language under Options (for example de or es), or pick another video.",
    transcripts_disabled: "Nothing can be done here: only videos with captions can be summarized.",
    video_unavailable: "Check the link: private, deleted and members-only videos cannot be summarized.",
    age_restricted: "Age-restricted videos cannot be fetched here." + SEND_FILE,
    po_token_required: "YouTube does not hand this one to bots; other videos still work." + SEND_FILE,
    too_long: "Try a shorter video.",
    blocked: "This is about the server, not the video: try again later. If it keeps happening, tell whoever runs this service (the status page shows it too)." + SEND_FILE,
    provider_unavailable: "This is about the server, not the video: try again later." + SEND_FILE,
    youtube_error: "Try again in a few minutes.",
    timeout: "Try again in a few minutes; a shorter video is quicker.",
    internal_error: "Try again; if it keeps failing, tell whoever runs this service.",
  };


  let current = null; // { id, job, source, timer, nodes: Map(index -> {node, key}), refreshed }

  function stopFollowing() {
    if (!current) return;
    if (current.source) current.source.close();
    clearTimeout(current.timer);
    current = null;
  }

  function resetSummary(id) {
    $("title").textContent = "Summary";
    $("meta").replaceChildren();
    $("chunks").replaceChildren();
    $("tldr-points").replaceChildren();
    $("topic-list").replaceChildren();
    for (const part of ["tldr", "topics", "parts", "failure", "share"]) $(part).hidden = true;
    $("progress").hidden = false;
    $("bar").removeAttribute("value");
    $("progress-text").textContent = "Loading…";
    const address = `${location.origin}/s/${id}`;
    $("share-link").href = `/s/${id}`;
    $("share-link").textContent = address;
    $("copy").textContent = "Copy link";
  }

  // /s/<id> comes with its job inside the page (one request per view): read once, on the first view; null
  // when the service knows no such summary, undefined when there is none (after navigating: ask).
  function embeddedJob() {
    const block = $("job");
    if (!block) return undefined;
    block.remove();
    return JSON.parse(block.textContent);
  }

  async function fetchJob(id) {
    const response = await fetch(`/s/${encodeURIComponent(id)}/job`, { cache: "no-store" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`status ${response.status}`);
    return response.json();
  }

  async function openSummary(id, job) {
    resetSummary(id);
    const mine = { id, job: null, source: null, timer: 0, nodes: new Map(), refreshed: 0 };
    current = mine;
    if (job === null) return notFound();
    if (job === undefined) {
      try {
        job = await fetchJob(id);
      } catch {
        if (current === mine) poll(mine, 3000);
        $("progress-text").textContent = "Could not reach the service; trying again…";
        return;
      }
      if (current !== mine) return;
      if (!job) return notFound();
    }
    render(mine, job);
    if (!isFinished(job)) follow(mine);
  }

  function isFinished(job) { return job.status === "done" || job.status === "failed"; }

  function notFound() {
    $("progress").hidden = true;
    $("title").textContent = "Summary not found";
    document.title = "Summary not found · YouTube summaries";
    $("failure").querySelector("h2").textContent = "There is no summary at this address";
    $("failure-message").textContent = "The link may be incomplete, or the summary expired: summaries are kept for a while, not forever.";
    $("failure-advice").textContent = "Summarize the video again from the start page.";
    $("failure").hidden = false;
  }

  function follow(mine) {
    const source = new EventSource(`/s/${encodeURIComponent(mine.id)}/events`);
    mine.source = source;
    // Until the job starts (title, topics, the number of parts) the stream has nothing to say: ask.
    const early = () => {
      if (current !== mine || isFinished(mine.job) || mine.job.progress.total !== null) return;
      refresh(mine).then(() => { mine.timer = setTimeout(early, 3000); });
    };
    mine.timer = setTimeout(early, 1500);
    source.addEventListener("chunk", (event) => {
      const chunk = JSON.parse(event.data);
      const job = mine.job;
      job.chunks = job.chunks.filter((c) => c.index !== chunk.index).concat([chunk]).sort((a, b) => a.index - b.index);
      if (job.partial && job.partial.index === chunk.index) job.partial = null;
      job.progress = { ...job.progress, done: job.chunks.length };
      if (job.status === "queued") job.status = "running";
      render(mine, job);
      // The title, topics and the number of parts are set when the job starts: ask once for them.
      if ((job.progress.total === null || !mine.refreshed) && Date.now() - mine.refreshed > 2000) refresh(mine);
    });
    source.addEventListener("partial", (event) => {
      mine.job.partial = JSON.parse(event.data);
      render(mine, mine.job);
    });
    for (const name of ["done", "failed"]) {
      source.addEventListener(name, (event) => {
        source.close();
        render(mine, JSON.parse(event.data));
      });
    }
    source.addEventListener("error", () => {
      // EventSource reconnects by itself (and the server sends the finished parts again); a refused
      // stream is not retried: then the page asks every few seconds instead.
      if (source.readyState === EventSource.CLOSED && current === mine && !isFinished(mine.job)) poll(mine, 3000);
    });
  }

  async function refresh(mine) {
    mine.refreshed = Date.now();
    try {
      const job = await fetchJob(mine.id);
      if (job && current === mine && !isFinished(mine.job)) {
        if (job.chunks.length < mine.job.chunks.length) job.chunks = mine.job.chunks;
        render(mine, job);
      }
    } catch { /* the stream goes on */ }
  }

  function poll(mine, delay) {
    mine.timer = setTimeout(async () => {
      if (current !== mine) return;
      try {
        const job = await fetchJob(mine.id);
        if (current !== mine) return;
        if (!job) return notFound();
        render(mine, job);
        if (isFinished(job)) return;
      } catch { /* try again */ }
      poll(mine, delay);
    }, delay);
  }

  function render(mine, job) {
    const wasFinished = mine.job && isFinished(mine.job);
    mine.job = job;
    const title = job.title || (isFile(job.video_id) ? "Subtitle file" : `Video ${job.video_id}`);
    $("title").textContent = title;
    document.title = `${title} · Summary`;
    const meta = [isFile(job.video_id) ? "From a subtitle file"
      : el("a", { href: `https://www.youtube.com/watch?v=${encodeURIComponent(job.video_id)}`, target: "_blank", rel: "noopener noreferrer", text: "Watch on YouTube" })];
    const facts = [job.channel, captions(job),
      job.summarizer && job.summarizer.startsWith("llm") ? `written by ${job.summarizer.slice(4) || "a language model"}` : null];
    for (const fact of facts) if (fact) meta.push(` · ${fact}`);
    $("meta").replaceChildren(...meta);

    const done = job.progress.done, total = job.progress.total;
    $("progress").hidden = job.status === "failed";
    $("bar").hidden = isFinished(job);
    if (job.status === "done") {
      $("progress-text").textContent = `Summary complete: ${count(job.chunks.length, "part", "parts")}.`;
    } else if (job.status === "queued") {
      $("bar").removeAttribute("value");
      $("progress-text").textContent = "Waiting for its turn in the queue…";
    } else if (job.status === "running" && total === null) {
      $("bar").removeAttribute("value");
      $("progress-text").textContent = done ? `${done} parts summarized…` : "Getting the captions…";
    } else if (job.status === "running") {
      $("bar").max = total;
      $("bar").value = done;
      $("progress-text").textContent = `${done} of ${total} parts summarized…`;
    }

    const tldr = job.tldr_points && job.tldr_points.length ? job.tldr_points
      : job.tldr ? [{ text: job.tldr, start: null, url: null }] : [];
    $("tldr-points").replaceChildren(...tldr.map((p) => pointItem(p, job.video_id)));
    $("tldr").hidden = !tldr.length;
    $("topic-list").replaceChildren(...(job.topics || []).map((t) => el("li", { text: t })));
    $("topics").hidden = !(job.topics && job.topics.length);

    const parts = job.chunks.slice();
    if (job.partial && !parts.some((c) => c.index === job.partial.index)) parts.push({ ...job.partial, writing: true });
    renderChunks(mine, parts, job.video_id);
    $("parts").hidden = !parts.length;
    $("share").hidden = false;

    if (job.status === "failed") {
      const error = job.error || { code: "", message: "The summary failed." };
      $("failure").querySelector("h2").textContent = "This video could not be summarized";
      $("failure-message").textContent = error.message;
      $("failure-advice").textContent = ADVICE[error.code] || "Try again later.";
      $("failure").hidden = false;
      if (!wasFinished) $("failure").focus();
    } else {
      $("failure").hidden = true;
    }
  }

  // Who served the captions (the job's `provider`), in words.
  const PROVIDERS = { youtube: "from YouTube", supadata: "through Supadata", request: "sent with the request", folder: "from the caption folder", subtitles: "from a subtitle file" };
  function captions(job) {
    if (!job.language_code) return null;
    // A subtitle file sent with a link has a private-use tag naming the file (`en-x-…`): the language is before it.
    const language = job.language_code.split("-x-")[0];
    const from = job.translated_from ? ` (YouTube's translation from ${job.translated_from})` : "";
    const who = job.provider && !isFile(job.video_id) ? `, ${PROVIDERS[job.provider] || job.provider}` : "";
    return `captions: ${language}${from}${who}`;
  }

  function pointItem(point, videoId) {
    const when = point.start === null || point.start === undefined ? el("span") : timeLink(point.url, point.start, videoId);
    return el("li", {}, when, el("span", { text: point.text }));
  }

  function renderChunks(mine, parts, videoId) {
    const container = $("chunks");
    const seen = new Set();
    let previous = null;
    for (const chunk of parts) {
      seen.add(chunk.index);
      const key = JSON.stringify(chunk);
      let entry = mine.nodes.get(chunk.index);
      if (!entry || entry.key !== key) {
        const node = chunkNode(chunk, videoId);
        if (entry) entry.node.replaceWith(node);
        entry = { node, key };
        mine.nodes.set(chunk.index, entry);
      }
      // In index order, each after the one before.
      const want = previous ? previous.nextSibling : container.firstChild;
      if (want !== entry.node) container.insertBefore(entry.node, want);
      previous = entry.node;
    }
    for (const [index, entry] of mine.nodes) {
      if (!seen.has(index)) { entry.node.remove(); mine.nodes.delete(index); }
    }
  }

  function chunkNode(chunk, videoId) {
    const id = `part-${chunk.index + 1}`;
    const span = `${clock(chunk.start)}–${clock(chunk.end)}`;
    const range = isFile(videoId) ? el("span", { class: "ts", text: span }) : el("a", {
      class: "ts", href: videoAt(videoId, chunk.start), target: "_blank", rel: "noopener noreferrer", text: span,
    });
    const heading = el("h3", { id: `${id}-title` }, range, chunk.title || `Part ${chunk.index + 1}`);
    return el("section", { class: chunk.writing ? "chunk writing" : "chunk", id, "aria-labelledby": `${id}-title` },
      heading,
      chunk.writing ? el("p", { class: "note", text: "Being written…" }) : null,
      el("ul", { class: "points" }, ...chunk.points.map((p) => pointItem(p, videoId))));
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText($("share-link").textContent);
      $("copy").textContent = "Copied";
    } catch {
      $("copy").textContent = "Select the link to copy it";
    }
  }

  // --- the service's state --------------------------------------------------------------------------------------
  const STATUS_EVERY = 15000;
  let statusTimer = 0;
  function stopStatus() { clearInterval(statusTimer); statusTimer = 0; }
  function startStatus() {
    loadStatus();
    statusTimer = setInterval(() => { if (!document.hidden) loadStatus(); }, STATUS_EVERY);
  }

  async function loadStatus() {
    const token = store.get(KEYS.token);
    let response;
    try {
      response = await fetch("/v1/state", { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
    } catch {
      $("state").replaceChildren(el("p", { class: "summary-line error", text: "Could not reach the service." }));
      return;
    }
    if (response.status === 401) {
      stopStatus();
      $("token-form").hidden = false;
      $("state").replaceChildren(el("p", { class: "error", text: token ? "That token was not accepted." : "Enter the status token to see the service's state." }));
      return;
    }
    if (!response.ok) {
      $("state").replaceChildren(el("p", { class: "summary-line error", text: `The service answered ${response.status}.` }));
      return;
    }
    $("token-form").hidden = true;
    renderState(await response.json());
    $("checked").textContent = `Checked at ${new Date().toLocaleTimeString()}; refreshed every ${STATUS_EVERY / 1000} s.`;
  }

  const PARTS = { telegram: "Telegram", discord: "Discord", rest: "REST API", redis: "Redis", llm: "Language model", transcripts: "Transcripts", queue: "Queue", process: "This process" };
  const tag = (kind, text) => el("span", { class: `tag ${kind}`, text });
  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const mib = (bytes) => `${Math.round(bytes / 1048576)} MiB`;
  const since = (seconds) => seconds === null ? "" : seconds < 60 ? `${seconds} s` : seconds < 3600 ? `${Math.round(seconds / 60)} min` : seconds < 172800 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 86400)} days`;
  const tally = (counts) => Object.entries(counts || {}).filter(([, n]) => n).map(([k, n]) => `${k.replace(/_/g, " ")} ${n}`).join(", ");

  function table(caption, rows) {
    return el("table", {}, el("caption", { class: "sr-only", text: caption }),
      el("tbody", {}, ...rows.map(([name, ...cells]) => el("tr", {}, el("th", { scope: "row", text: name }), el("td", {}, ...cells)))));
  }

  function renderState(s) {
    const problems = s.problems || [];
    const line = s.status === "ok" ? "Everything looks fine."
      : s.status === "error" ? `Something is broken: ${count(problems.length, "problem", "problems")} below.`
        : `${count(problems.length, "thing needs", "things need")} a look.`;
    const out = [el("p", { class: `summary-line ${s.status}`, text: line })];
    if (problems.length) {
      out.push(el("ul", { class: "problems" }, ...problems.map((p) => el("li", {},
        tag(p.severity, p.severity === "error" ? "Problem" : "Warning"), " ", el("strong", { text: PARTS[p.part] || p.part }), `: ${p.message}`))));
    }
    const sf = s.surfaces, tg = sf.telegram, dc = sf.discord, tr = s.transcripts, llm = s.llm, q = s.queue, pr = s.process;

    let telegram;
    if (!tg.configured) telegram = [tag("off", "Off"), " (TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET not both set)"];
    else {
      const w = tg.webhook || {};
      const hook = !w.ok ? (w.token_rejected ? "bot token rejected" : `webhook unknown: ${w.error}`)
        : w.url ? `webhook registered${w.expected_url && w.url !== w.expected_url ? ` elsewhere (${w.url})` : ""}` : "no webhook registered";
      const good = w.ok && w.url && (!w.expected_url || w.url === w.expected_url);
      telegram = [tag(good ? "ok" : "error", good ? "On" : "Problem"), ` ${hook}; ${count(tg.updates_received, "update", "updates")} received`];
      if (w.ok && w.pending_update_count) telegram.push(`; ${w.pending_update_count} waiting at Telegram`);
      if (w.ok && w.last_error) telegram.push(`; last error ${w.last_error_at}: ${w.last_error}`);
    }
    let discord;
    if (!dc.configured) discord = [tag("off", "Off"), " (DISCORD_PUBLIC_KEY not set)"];
    else {
      const c = dc.command;
      const command = !c ? "command not checked (needs DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN)"
        : !c.ok ? `command unknown: ${c.error}` : c.registered ? "/summarize registered" : "/summarize not registered";
      const good = dc.public_key_valid && (!c || (c.ok && c.registered));
      discord = [tag(good ? "ok" : dc.public_key_valid ? "warning" : "error", good ? "On" : "Problem"),
        ` public key ${dc.public_key_valid ? "valid" : "invalid"}; ${command}; ${count(dc.interactions_received, "interaction", "interactions")} received`];
    }
    const rest = [tag("ok", "On"), sf.rest.api_key_required ? " API key required (X-API-Key)" : " open: no API_KEY set",
      `; ${count(sf.rest.requests, "summary request", "summary requests")}`];
    const redis = !s.redis.configured ? [tag("off", "Not used"), " (the queue and cache live in this process)"]
      : s.redis.reachable ? [tag("ok", "Reachable")] : [tag("error", "Unreachable")];
    const model = !llm.configured ? [tag("off", "Not set up"), " (key points are picked from the captions)"]
      : [tag("ok", "On"), ` ${llm.model} at ${llm.host}; used ${llm.default === "llm" ? "by default" : "when asked for"}`, tally(llm.requests) ? `; requests: ${tally(llm.requests)}` : ""];
    // Each provider in the order they are asked, with its circuit breaker and its answers so far.
    const refusing = tr.providers.filter((p) => p.circuit_open).map((p) => p.name);
    const transcripts = [refusing.length ? tag("error", `Refused by ${refusing.join(", ")}`) : tag("ok", "Answering"),
      tr.folder ? " from the caption folder (TRANSCRIPT_DIR)" : `; proxy for YouTube: ${tr.proxy || "none"}`,
      el("ul", { class: "providers" }, ...tr.providers.map((p) => el("li", {},
        el("strong", { text: p.name }), p.circuit_open ? tag("error", " not asked for a while (refusing this server)") : tag("ok", " asked"),
        `; answers since the start: ${tally(p.fetches) || "none yet"}`)))];
    out.push(el("h2", { text: "What is set up" }), table("What is set up", [
      ["REST API", ...rest], ["Telegram", ...telegram], ["Discord", ...discord], ["Redis", ...redis],
      ["Language model", ...model], ["Transcripts", ...transcripts],
    ]));
    out.push(el("h2", { text: "Queue" }), table("Queue", [
      ["Waiting", `${q.waiting} of at most ${q.max}`],
      ["Running here", `${q.running} (at most ${q.concurrent_jobs} at a time)`],
      ["Finished since the start", tally(q.outcomes) || "none yet"],
      ["Refused since the start", tally(q.refused) || "none"],
    ]));
    const limit = pr.memory_limit_bytes ? ` of ${mib(pr.memory_limit_bytes)}` : "";
    out.push(el("h2", { text: "This process" }), table("This process", [
      ["Up for", since(pr.uptime_seconds) || "unknown"],
      ["CPU", `${pr.cpu_limit ? `limited to ${pr.cpu_limit} CPU` : "no limit"}; throttled ${Math.round(pr.cpu_throttled_ratio * 100)} % of the last 10 s; ${pr.cpu_seconds} s used`],
      ["Event-loop lag", `${Math.round(pr.event_loop_lag_seconds * 1000)} ms`],
      ["Memory", `${mib(pr.memory_bytes)} this process${pr.cgroup_memory_bytes ? `, ${mib(pr.cgroup_memory_bytes)}${limit} in its container` : ""}`],
    ]));
    $("state").replaceChildren(...out);
  }

  function saveToken(event) {
    event.preventDefault();
    store.set(KEYS.token, $("token").value.trim());
    $("token").value = "";
    stopStatus();
    startStatus();
  }

  // --- start ----------------------------------------------------------------------------------------------------
  function start() {
    $("langs").value = store.get(KEYS.languages);
    $("key").value = store.get(KEYS.apiKey);
    if ($("key").value) $("options").open = true;
    $("form").addEventListener("submit", submit);
    $("form").addEventListener("dragover", (event) => { event.preventDefault(); $("form").classList.add("dropping"); });
    $("form").addEventListener("dragleave", () => $("form").classList.remove("dropping"));
    $("form").addEventListener("drop", (event) => {
      event.preventDefault();
      $("form").classList.remove("dropping");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        $("file").files = event.dataTransfer.files;
        formError("");
      }
    });
    $("token-form").addEventListener("submit", saveToken);
    $("refresh").addEventListener("click", loadStatus);
    $("copy").addEventListener("click", copyLink);
    document.addEventListener("click", (event) => {
      // In-page navigation between the views, without reloading the page.
      const link = event.target.closest && event.target.closest("a[data-view], .back a");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      if (link.getAttribute("href") !== location.pathname) history.pushState(null, "", link.getAttribute("href"));
      route();
      $("main").focus();
    });
    window.addEventListener("popstate", route);
    route();
  }
  start();
})();
