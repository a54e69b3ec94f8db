// Tranche dashboard.
//
// Token: from the URL fragment (#token=..., never sent to the server; removed
// from the address bar once read) or from the form; kept in localStorage.
// Views: GET /v1/programmes/{id}, /v1/clusters?programme=ID, /v1/clusters/{id}.
// Live: WebSocket /v1/stream; every event re-fetches the views (coalesced), and
// a dropped connection resumes from the last position seen + 1.
// Every text that comes from the data is set with textContent, never as HTML.
(function () {
  "use strict";

  const TOKEN_KEY = "tranche.token";
  const FEED_MAX = 100;        // events kept in the feed
  const FEED_BACKLOG = 20;     // events shown from before the page was opened
  const REFRESH_DELAY_MS = 60; // coalesces a burst of events into one refresh

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    programmeId: null,
    programme: null,
    clusters: [],
    selected: null,        // cluster id shown in the detail
    sortKey: "name",
    sortDir: 1,
    last: 0,               // last stream position seen
    caughtUp: false,
    ws: null,
    retryMs: 500,
    retryTimer: null,
    refreshing: false,
    refreshAgain: false,
    refreshTimer: null,
    minPosition: 0,        // the views must reflect at least this position
    previous: new Map(),   // "cluster:field" -> value, to flash what changed
  };

  // ---- helpers ----------------------------------------------------------

  const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
  function money(pence) {
    return typeof pence === "number" ? pounds.format(pence / 100) : "–";
  }

  // el("td", {className: "num"}, "text") — text (and children) as nodes only.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === "dataset") Object.assign(node.dataset, v);
        else if (k === "style") Object.assign(node.style, v);
        else node[k] = v;
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showError(text) {
    const box = $("error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function setStatus(kind, text) {
    const s = $("status");
    s.className = "status status-" + kind;
    s.textContent = text;
  }

  class Unauthorized extends Error {}

  async function getJson(path) {
    const response = await fetch(path, {
      headers: { Authorization: "Bearer " + state.token, Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) {
      throw new Unauthorized(response.status === 401 ? "token refused" : "token lacks the viewer role");
    }
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        const body = await response.json();
        if (body && body.error) message = body.error.code + ": " + body.error.message;
      } catch (e) { /* not JSON */ }
      throw new Error(path + ": " + message);
    }
    return response.json();
  }

  // Marks a cell when its value differs from the previous render.
  function flashIfChanged(node, key, value) {
    if (state.previous.has(key) && state.previous.get(key) !== value) {
      node.classList.remove("changed");
      void node.offsetWidth; // restart the animation
      node.classList.add("changed");
    }
    state.previous.set(key, value);
  }

  // ---- token ------------------------------------------------------------

  function readToken() {
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    const fromUrl = fragment.get("token");
    if (fromUrl) {
      localStorage.setItem(TOKEN_KEY, fromUrl);
      fragment.delete("token");
      const rest = fragment.toString();
      history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
    }
    return localStorage.getItem(TOKEN_KEY);
  }

  function showLogin(message) {
    stopStream();
    $("main").hidden = true;
    $("forget").hidden = true;
    $("login").hidden = false;
    if (message) $("login-message").textContent = message;
    setStatus("off", "signed out");
    $("token-input").focus();
  }

  function forgetToken(message) {
    localStorage.removeItem(TOKEN_KEY);
    state.token = null;
    showLogin(message);
  }

  // ---- views ------------------------------------------------------------

  function renderYears(programme) {
    $("programme-name").textContent = programme.name || programme.id || "Tranche";
    document.title = "Tranche — " + (programme.name || programme.id);
    const box = $("years");
    clear(box);
    const years = programme.financial_years || [];
    let scale = 1;
    for (const y of years) {
      for (const f of ["envelope", "awarded", "paid", "remaining"]) {
        scale = Math.max(scale, y[f + "_pence"] || 0);
      }
    }
    for (const y of years) {
      const title = el("div", { className: "year-title" }, "Financial year " + y.financial_year,
                       y.closed ? el("span", { className: "muted" }, " (closed)") : null);
      const group = el("div", { className: "year", dataset: { year: y.financial_year } }, title);
      for (const f of ["envelope", "awarded", "paid", "remaining"]) {
        const pence = y[f + "_pence"] || 0;
        const value = el("span", { className: "bar-value", dataset: { figure: f } },
                         y[f] || money(pence), f === "envelope" || f === "awarded" ? "*" : "");
        flashIfChanged(value, "year:" + y.financial_year + ":" + f, pence);
        const bar = el("div", { className: "bar bar-" + f,
                                style: { width: (100 * Math.max(0, pence) / scale).toFixed(2) + "%" } });
        group.appendChild(el("div", { className: "bar-row" },
                             el("span", { className: "bar-label" }, f),
                             el("div", { className: "bar-track", title: f + " " + money(pence) }, bar),
                             value));
      }
      box.appendChild(group);
    }
  }

  function clusterRow(c) {
    let awarded = 0, paid = 0;
    for (const y of c.financial_years || []) {
      awarded += y.award_pence || 0;
      paid += y.net_paid_pence || 0;
    }
    return {
      id: c.id, name: c.name || c.id, region: c.region || "", principal_partner: c.principal_partner || "",
      member_count: c.member_count || 0, awarded: awarded, paid: paid,
      pct: awarded > 0 ? paid / awarded : 0, status: c.status,
    };
  }

  function renderClusters() {
    const rows = state.clusters.map(clusterRow);
    const key = state.sortKey, dir = state.sortDir;
    rows.sort((a, b) => {
      const x = a[key], y = b[key];
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "en-GB");
      return order !== 0 ? dir * order : a.name.localeCompare(b.name, "en-GB");
    });
    for (const th of document.querySelectorAll("#clusters thead th")) {
      if (th.dataset.key === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    const body = document.querySelector("#clusters tbody");
    clear(body);
    let members = 0, awarded = 0, paid = 0;
    for (const r of rows) {
      members += r.member_count; awarded += r.awarded; paid += r.paid;
      const paidCell = el("td", { className: "num", dataset: { figure: "paid" } }, money(r.paid));
      flashIfChanged(paidCell, "cluster:" + r.id + ":paid", r.paid);
      const pctCell = el("td", { className: "num" },
                         el("span", { className: "pct" },
                            el("span", { style: { width: Math.min(100, 100 * r.pct).toFixed(1) + "%" } })),
                         (100 * r.pct).toFixed(1) + "%");
      const tr = el("tr", { dataset: { id: r.id }, tabIndex: 0, title: "Show " + r.name },
                    el("td", null, r.name),
                    el("td", null, r.region),
                    el("td", null, r.principal_partner),
                    el("td", { className: "num" }, r.member_count),
                    el("td", { className: "num" }, money(r.awarded)),
                    paidCell, pctCell);
      if (r.id === state.selected) tr.classList.add("selected");
      body.appendChild(tr);
    }
    $("cluster-count").textContent = "(" + rows.length + ")";
    $("total-members").textContent = members;
    $("total-awarded").textContent = money(awarded);
    $("total-paid").textContent = money(paid);
    flashIfChanged($("total-paid"), "total:paid", paid);
    $("total-pct").textContent = awarded > 0 ? (100 * paid / awarded).toFixed(1) + "%" : "–";
  }

  function renderDetail(c) {
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("detail-title").textContent = c.name || c.id;
    $("detail-region").textContent = c.region || "";
    $("detail-partner").textContent = c.principal_partner || "";
    $("detail-work").textContent = c.work_programme || "";

    const years = document.querySelector("#detail-years tbody");
    clear(years);
    for (const y of c.financial_years || []) {
      const paidCell = el("td", { className: "num" }, y.net_paid || money(y.net_paid_pence));
      flashIfChanged(paidCell, "detail:" + c.id + ":" + y.financial_year, y.net_paid_pence);
      years.appendChild(el("tr", null, el("td", null, y.financial_year),
                           el("td", { className: "num" }, y.award || money(y.award_pence)),
                           paidCell,
                           el("td", { className: "num" }, y.remaining || money(y.remaining_pence))));
    }

    const tranches = document.querySelector("#detail-tranches tbody");
    clear(tranches);
    const list = (c.tranches || []).slice().sort((a, b) => b.position - a.position);
    for (const t of list) {
      const tr = el("tr", { title: "recorded " + t.recorded_at + " by " + t.actor +
                                   (t.reversed ? "; reversed: " + (t.reversal_reason || "") : "") },
                    el("td", null, t.paid_on), el("td", null, t.financial_year),
                    el("td", null, t.payment_reference),
                    el("td", { className: "num" }, t.amount || money(t.amount_pence)));
      if (t.reversed) tr.classList.add("reversed");
      tranches.appendChild(tr);
    }
    if (list.length === 0) {
      tranches.appendChild(el("tr", null, el("td", { colSpan: 4, className: "muted" }, "No tranches yet.")));
    }
    const count = c.tranche_count !== undefined ? c.tranche_count : list.length;
    $("detail-tranche-count").textContent = "(" + count +
        (c.reversed_tranche_count ? ", " + c.reversed_tranche_count + " reversed" : "") +
        (count > list.length ? "; latest " + list.length + " shown" : "") + ")";

    const members = document.querySelector("#detail-members tbody");
    clear(members);
    for (const m of c.members || []) {
      members.appendChild(el("tr", null, el("td", null, m.name),
                             el("td", null, el("span", { className: "sector" }, m.sector))));
    }
    if (!c.members || c.members.length === 0) {
      members.appendChild(el("tr", null, el("td", { colSpan: 2, className: "muted" }, "No members recorded.")));
    }
    const counts = Object.entries(c.member_count_by_sector || {})
      .map(([sector, n]) => n + " " + sector).join(", ");
    $("detail-member-count").textContent = "(" + (c.members || []).length + (counts ? ": " + counts : "") + ")";
  }

  async function refresh() {
    if (state.refreshing) { state.refreshAgain = true; return; }
    state.refreshing = true;
    try {
      if (!state.programmeId) {
        const wanted = new URLSearchParams(location.search).get("programme");
        if (wanted) state.programmeId = wanted;
        else {
          const list = await getJson("/v1/programmes");
          const programmes = Array.isArray(list) ? list : list.programmes || [];
          if (programmes.length === 0) throw new Error("no programme has been opened yet");
          state.programmeId = programmes[0].id;
        }
      }
      const id = encodeURIComponent(state.programmeId);
      const wanted = state.minPosition;
      const [programme, clusters, detail] = await Promise.all([
        getJson("/v1/programmes/" + id),
        getJson("/v1/clusters?programme=" + id),
        state.selected ? getJson("/v1/clusters/" + encodeURIComponent(state.selected)) : null,
      ]);
      state.programme = programme;
      state.clusters = Array.isArray(clusters) ? clusters : clusters.clusters || [];
      renderYears(programme);
      renderClusters();
      if (detail && detail.id === state.selected) renderDetail(detail);
      showError("");
      // The read model may trail the stream by a moment: ask again until the
      // views include the newest event seen.
      const seen = Math.min(...[programme, detail].filter(Boolean)
        .map((v) => (v.moment && v.moment.as_of_position) || Infinity));
      if (Number.isFinite(seen) && seen < wanted) {
        setTimeout(scheduleRefresh, 100);
      }
    } catch (e) {
      if (e instanceof Unauthorized) { forgetToken("The server refused the token (" + e.message + "); enter a viewer token."); return; }
      showError("Could not load the figures: " + e.message);
    } finally {
      state.refreshing = false;
      if (state.refreshAgain) { state.refreshAgain = false; scheduleRefresh(); }
    }
  }

  function scheduleRefresh() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refresh(); }, REFRESH_DELAY_MS);
  }

  function select(id) {
    state.selected = id;
    for (const tr of document.querySelectorAll("#clusters tbody tr")) {
      tr.classList.toggle("selected", tr.dataset.id === id);
    }
    refresh();
  }

  // ---- live feed --------------------------------------------------------

  function describe(m) {
    const d = m.data || {};
    const parts = [];
    if (d.cluster_id) parts.push(d.cluster_id);
    else if (m.stream) parts.push(m.stream);
    if (d.financial_year) parts.push(d.financial_year);
    if (typeof d.amount_pence === "number") parts.push(money(d.amount_pence));
    if (typeof d.award_pence === "number") parts.push("award " + money(d.award_pence));
    if (d.payment_reference) parts.push("ref " + d.payment_reference);
    if (d.paid_on) parts.push("paid " + d.paid_on);
    if (d.name && !d.cluster_id) parts.push(d.name);
    else if (d.name && d.organisation_id) parts.push(d.name);
    return parts.join(" · ");
  }

  const timeFormat = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZone: "UTC", timeZoneName: "short" });
  function when(rfc3339) {
    const t = Date.parse(rfc3339 || "");
    return Number.isNaN(t) ? String(rfc3339 || "") : timeFormat.format(new Date(t));
  }

  function addToFeed(m, live) {
    const feed = $("feed");
    const li = el("li", { dataset: { position: m.position, type: m.type || "" } },
                  el("span", { className: "ev-pos" }, "#" + m.position),
                  el("span", { className: "ev-type" }, m.type || "event"),
                  describe(m),
                  el("span", { className: "ev-time", title: m.recorded_at || "" },
                     when(m.recorded_at) + (m.actor ? " · " + m.actor : "")));
    if (live) li.classList.add("new");
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > FEED_MAX) feed.removeChild(feed.lastChild);
  }

  function stopStream() {
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    if (state.ws) {
      state.ws.onclose = null;
      state.ws.close();
      state.ws = null;
    }
  }

  function connect() {
    state.retryTimer = null;
    if (!state.token || state.ws) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // frames=batch: each frame is an array of messages, so a burst of
    // events costs one frame and one parse.
    const url = scheme + "://" + location.host + "/v1/stream?frames=batch&from=" +
                (state.last + 1) + "&access_token=" + encodeURIComponent(state.token);
    const ws = new WebSocket(url);
    state.ws = ws;
    state.caughtUp = false;
    setStatus("catching", "connecting");
    ws.onopen = () => setStatus("catching", "catching up");
    ws.onmessage = (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      for (const m of Array.isArray(frame) ? frame : [frame]) onStreamMessage(m);
    };
    const onStreamMessage = (m) => {
      if (m === null || typeof m !== "object") return;
      if (m.kind === "event") {
        if (typeof m.position === "number" && m.position <= state.last) return; // never twice
        addToFeed(m, state.caughtUp);
        state.minPosition = Math.max(state.minPosition, m.position);
        if (state.caughtUp) scheduleRefresh();
      } else if (m.kind === "caught_up") {
        state.caughtUp = true;
        state.retryMs = 500;
        setStatus("live", "live");
        scheduleRefresh();
      }
      if (typeof m.position === "number" && m.position > state.last) {
        state.last = m.position;
        $("position").textContent = state.last;
      }
    };
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      const why = event.reason || "code " + event.code;
      setStatus("off", "reconnecting");
      $("status").title = "connection closed (" + why + "); resuming from " + (state.last + 1);
      state.retryTimer = setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(10000, state.retryMs * 2);
      // A refused token closes the socket before it opens; the next fetch
      // tells us why.
      scheduleRefresh();
    };
  }

  async function startStream() {
    // Show the most recent events from before the page opened, then live.
    try {
      const health = await (await fetch("/healthz", { cache: "no-store" })).json();
      const head = typeof health.head === "number" ? health.head : 0;
      state.last = Math.max(0, head - FEED_BACKLOG);
    } catch (e) {
      state.last = 0;
    }
    connect();
  }

  // ---- start ------------------------------------------------------------

  function start() {
    stopStream();
    clear($("feed"));
    $("login").hidden = true;
    $("main").hidden = false;
    $("forget").hidden = false;
    refresh();
    startStream();
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) return;
    $("token-input").value = "";
    localStorage.setItem(TOKEN_KEY, value);
    state.token = value;
    start();
  });
  $("forget").addEventListener("click", () => forgetToken("Token forgotten."));
  for (const th of document.querySelectorAll("#clusters thead th")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.key;
      if (state.sortKey === key) state.sortDir = -state.sortDir;
      else { state.sortKey = key; state.sortDir = th.classList.contains("num") ? -1 : 1; }
      renderClusters();
    });
  }
  const tbody = document.querySelector("#clusters tbody");
  tbody.addEventListener("click", (event) => {
    const tr = event.target.closest("tr[data-id]");
    if (tr) select(tr.dataset.id);
  });
  tbody.addEventListener("keydown", (event) => {
    const tr = event.target.closest("tr[data-id]");
    if (tr && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(tr.dataset.id); }
  });
  window.addEventListener("hashchange", () => {
    if (/(^#|&)token=/.test(location.hash)) { stopStream(); state.token = readToken(); start(); }
  });

  state.token = readToken();
  if (state.token) start();
  else showLogin();
})();
