// bosun dashboard: patch panels from the server's event stream.
// One EventSource; each change frame names the panels to refetch. A panel is refetched at
// most once per MIN_GAP ms however many events arrive, so bursts coalesce.
(() => {
  "use strict";
  const MIN_GAP = 150;
  const FEED_MAX = 100;
  const state = new Map();
  let since = document.body.dataset.since || "0";
  let pendingFeed = [];
  let feedQueued = false;
  let source = null;

  const panelEl = (name) => document.getElementById("panel-" + name);
  const allPanels = () =>
    Array.from(document.querySelectorAll("section[data-panel]"), (el) => el.dataset.panel);

  function setConn(text) {
    const el = document.getElementById("conn");
    if (el) { el.textContent = text; el.className = "conn " + text; }
  }

  function schedule(name) {
    if (!panelEl(name)) return;
    let s = state.get(name);
    if (!s) { s = { inflight: false, dirty: false, last: -Infinity, timer: null }; state.set(name, s); }
    s.dirty = true;
    if (s.inflight || s.timer !== null) return;
    const wait = Math.max(0, s.last + MIN_GAP - performance.now());
    s.timer = setTimeout(() => { s.timer = null; refresh(name, s); }, wait);
  }

  async function refresh(name, s) {
    s.dirty = false;
    s.inflight = true;
    s.last = performance.now();
    try {
      const el = panelEl(name);
      const query = el && el.dataset.params ? "?" + el.dataset.params : "";
      const response = await fetch("/panels/" + name + query,
        { credentials: "same-origin", cache: "no-store" });
      if (response.ok) patch(name, await response.text());
      else s.last = performance.now() + 2000;
    } catch (err) {
      s.dirty = true;
      s.last = performance.now() + 2000;  // the server is away: retry later
    } finally {
      s.inflight = false;
      if (s.dirty) schedule(name);
    }
  }

  function patch(name, html) {
    const old = panelEl(name);
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    const fresh = tpl.content.firstElementChild;
    if (!old || !fresh) return;
    const oldBody = old.querySelector(".body");
    const scroll = oldBody ? oldBody.scrollTop : 0;
    // Keep the person's toolbar (search text, focus, sort) across patches.
    const oldBar = old.querySelector(".toolbar");
    const freshBar = fresh.querySelector(".toolbar");
    if (oldBar && freshBar) freshBar.replaceWith(oldBar);
    old.replaceWith(fresh);
    arrange(fresh);
    const body = fresh.querySelector(".body");
    if (body) body.scrollTop = scroll;
    document.dispatchEvent(new CustomEvent("bosun:patched",
      { detail: { panel: name, version: Number(fresh.dataset.version || 0) } }));
  }

  // The agents table: rows arrive in attention order; sort and filter them in place.
  const SORTS = {
    attention: (a, b) => Number(a.dataset.rank) - Number(b.dataset.rank)
      || Number(b.dataset.activity) - Number(a.dataset.activity)
      || a.dataset.agent.localeCompare(b.dataset.agent),
    name: (a, b) => a.dataset.agent.localeCompare(b.dataset.agent),
    activity: (a, b) => Number(a.dataset.activity) - Number(b.dataset.activity)
      || a.dataset.agent.localeCompare(b.dataset.agent),
  };

  function arrange(section) {
    const bar = section && section.querySelector(".toolbar");
    const tbody = section && section.querySelector("tbody");
    if (!bar || !tbody) return;
    const query = bar.querySelector(".agent-search").value.trim().toLowerCase();
    const how = bar.querySelector(".agent-sort").value;
    const rows = Array.from(tbody.rows);
    rows.sort(SORTS[how] || SORTS.attention);
    let shown = 0;
    for (const row of rows) {
      const hit = !query || row.textContent.toLowerCase().includes(query);
      row.classList.toggle("filtered", !hit);
      if (hit) shown++;
      tbody.appendChild(row);
    }
    bar.querySelector(".shown").textContent =
      query ? shown + " of " + rows.length + " agents" : rows.length + " agents";
  }

  document.addEventListener("input", (ev) => {
    if (ev.target instanceof Element && ev.target.closest(".toolbar")) {
      arrange(ev.target.closest("section[data-panel]"));
    }
  });
  document.addEventListener("change", (ev) => {
    if (ev.target instanceof Element && ev.target.closest(".toolbar")) {
      arrange(ev.target.closest("section[data-panel]"));
    }
  });

  function feed(events) {
    if (!events || !events.length) return;
    pendingFeed = pendingFeed.concat(events).slice(-FEED_MAX);
    if (feedQueued) return;
    feedQueued = true;
    requestAnimationFrame(flushFeed);
  }

  function text(tag, cls, value) {
    const el = document.createElement(tag);
    el.className = cls;
    el.textContent = value;
    return el;
  }

  function flushFeed() {
    feedQueued = false;
    const panel = panelEl("events");
    if (!panel) { pendingFeed = []; return; }
    let list = panel.querySelector("ol.feed");
    if (!list) {
      const body = panel.querySelector(".body");
      if (!body) return;
      body.textContent = "";
      list = document.createElement("ol");
      list.className = "feed";
      body.appendChild(list);
    }
    const frag = document.createDocumentFragment();
    for (let i = pendingFeed.length - 1; i >= 0; i--) {
      const e = pendingFeed[i];
      if (list.querySelector('li[data-event="' + e.id + '"]')) continue;
      const li = document.createElement("li");
      li.dataset.event = e.id;
      li.className = "new";
      li.append(text("span", "ts", (e.ts || "").slice(11, 23)), " ",
        text("span", "kind", e.kind), " ", text("span", "subject", e.subject), " ",
        text("span", "data", summarize(e.data)));
      frag.appendChild(li);
    }
    pendingFeed = [];
    list.prepend(frag);
    while (list.children.length > FEED_MAX) list.lastElementChild.remove();
    const summary = panel.querySelector(".summary");
    const first = list.firstElementChild;
    if (summary && first) summary.textContent = "last #" + first.dataset.event;
  }

  function summarize(data) {
    if (!data || typeof data !== "object") return String(data ?? "");
    const parts = [];
    for (const [k, v] of Object.entries(data)) {
      if (v === null || v === "" || (typeof v === "object" && Object.keys(v).length === 0)) continue;
      parts.push(k + "=" + (typeof v === "object" ? JSON.stringify(v) : v));
    }
    const line = parts.join(", ");
    return line.length > 90 ? line.slice(0, 89) + "\u2026" : line;
  }

  function connect() {
    setConn("connecting");
    source = new EventSource("/events?since=" + encodeURIComponent(since));
    source.addEventListener("open", () => setConn("live"));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        setConn("offline");
        source = null;
        setTimeout(connect, 3000);
      } else {
        setConn("reconnecting");
      }
    });
    source.addEventListener("change", (message) => {
      const frame = JSON.parse(message.data);
      since = String(frame.last_id);
      const last = document.getElementById("last-event");
      if (last) last.textContent = "event #" + frame.last_id;
      // The feed takes the frame's events; it is refetched only on a reset.
      frame.panels.forEach((name) => { if (name !== "events") schedule(name); });
      feed(frame.events);
    });
    source.addEventListener("tick", (message) => JSON.parse(message.data).panels.forEach(schedule));
    source.addEventListener("reset", () => allPanels().forEach(schedule));
  }

  document.addEventListener("click", (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest("a[data-select-run], a[data-param]") : null;
    if (!target) return;
    const section = target.closest("section[data-panel]");
    if (!section) return;
    ev.preventDefault();
    section.dataset.params = target.dataset.selectRun !== undefined
      ? "run=" + encodeURIComponent(target.dataset.selectRun)
      : target.dataset.param;
    schedule(section.dataset.panel);
  });

  document.querySelectorAll("section[data-panel]").forEach(arrange);
  connect();
})();
