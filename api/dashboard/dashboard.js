// Tranche dashboard: connects to /v1/stream, shows events newest first, and
// reconnects from the last position seen (from = last + 1).
(function () {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  const rows = document.getElementById("events");
  const status = document.getElementById("status");
  const position = document.getElementById("position");
  const rowsMax = 200;
  let last = 0;
  if (!token) {
    document.getElementById("help").hidden = false;
    status.textContent = "no token";
    return;
  }
  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const from = last > 0 ? "&from=" + (last + 1) : "&from=1";
    const ws = new WebSocket(scheme + "://" + location.host + "/v1/stream?access_token=" +
                             encodeURIComponent(token) + from);
    ws.onopen = () => { status.textContent = "catching up"; };
    ws.onmessage = (message) => {
      const m = JSON.parse(message.data);
      if (m.kind === "caught_up") status.textContent = "live";
      if (m.kind === "event") {
        const tr = document.createElement("tr");
        for (const v of [m.position, m.recorded_at, m.stream, m.type, m.actor, JSON.stringify(m.data)]) {
          tr.appendChild(cell(String(v)));
        }
        rows.insertBefore(tr, rows.firstChild);
        while (rows.children.length > rowsMax) rows.removeChild(rows.lastChild);
      }
      if (typeof m.position === "number") { last = m.position; position.textContent = last; }
    };
    ws.onclose = (event) => {
      status.textContent = "disconnected (" + (event.reason || event.code) + "); retrying";
      setTimeout(connect, 2000);
    };
  }
  connect();
})();
