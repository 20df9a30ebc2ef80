"use strict";
// netsim's run viewer. Everything it draws comes from the JSON block above,
// written by netsim from the run's trace records. No libraries, no network.
(function () {
  const D = JSON.parse(document.getElementById("netsim-data").textContent);
  const W = 1000, H = 620;
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const fmtT = (ns) => (ns / 1e9).toFixed(9) + " s";
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const node = (i) => D.nodes[i];
  const chFrom = (c) => (c % 2 === 0 ? D.links[c >> 1].a : D.links[c >> 1].b);
  const chTo = (c) => (c % 2 === 0 ? D.links[c >> 1].b : D.links[c >> 1].a);
  const byAddr = {};
  D.nodes.forEach((n, i) => (byAddr[n.addr] = i));

  // Last index i with key(arr[i]) <= t, or -1 (arr sorted by key).
  function lastAtOrBefore(n, key, t) {
    let lo = 0, hi = n - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (key(mid) <= t) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }

  // ---------------------------------------------------------------- the runs
  const runs = D.runs.map((r, ri) => {
    const n = r.hops.length / 5;
    let longest = 0;
    const hopsOf = new Map();
    for (let i = 0; i < n; i++) {
      longest = Math.max(longest, r.hops[i * 5 + 3]);
      const p = r.hops[i * 5];
      if (!hopsOf.has(p)) hopsOf.set(p, []);
      hopsOf.get(p).push(i);
    }
    const linkEvents = D.links.map(() => []);
    r.link_events.forEach(([t, l, down]) => linkEvents[l].push([t, down]));
    const nodeEvents = D.nodes.map(() => []);
    r.node_events.forEach(([t, n, down]) => nodeEvents[n].push([t, down]));
    const reserv = D.links.map(() => []);
    r.reservations.forEach(([t, l, held, res, lim]) => reserv[l].push([t, held, res, lim]));
    return { r, ri, n, longest, hopsOf, linkEvents, nodeEvents, reserv, drawn: [] };
  });
  const duration = D.duration;

  // Every instant something happens, for "step".
  const moments = (() => {
    const s = [];
    runs.forEach(({ r, n }) => {
      for (let i = 0; i < n; i++) s.push(r.hops[i * 5 + 2], r.hops[i * 5 + 2] + r.hops[i * 5 + 3]);
      for (let i = 0; i < r.drops.length; i += 5) s.push(r.drops[i]);
      r.link_events.forEach((e) => s.push(e[0]));
      r.node_events.forEach((e) => s.push(e[0]));
      r.reservations.forEach((e) => s.push(e[0]));
      r.connections.forEach((c) => c.states.forEach((e) => s.push(e[0])));
    });
    s.sort((a, b) => a - b);
    return s.filter((v, i) => i === 0 || v !== s[i - 1]);
  })();

  // ---------------------------------------------------------------- the page
  $("title").textContent = "netsim view: " + D.scenario;
  const windowNote = runs.map(({ r }) =>
    r.kind === "circuit"
      ? `${r.label}: no packets are animated (the calls' data rides reserved circuits); links show the share of capacity reserved, and the signalling is listed under the pane.`
      : r.window_end === null
      ? `${r.label}: every link crossing of the run is animated (${r.hops_begun.toLocaleString()} crossings).`
      : `${r.label}: packets are animated up to ${fmtT(r.window_end)}, where the page's budget for this run (${r.hop_cap.toLocaleString()} link crossings or about ${(r.byte_cap / 1e6).toFixed(0)} MB of records) ran out; ${r.hops_begun.toLocaleString()} crossings in the whole run. Later, only link utilization and the longest queue per time bin, TCP states and cwnd (sampled) are shown.`
  );
  $("about").textContent = `seed ${D.seed}, ${D.nodes.length} nodes, ${D.links.length} links, ${fmtT(duration)} simulated; layout: ${D.layout}.`;
  $("notes").innerHTML = windowNote.map(esc).join("<br>") +
    "<br>Link colour: utilization of the current time bin (grey idle, red busy; circuits: share reserved). Purple bars: the queue at the sending end of a link direction, in a frame as tall as its buffer. Dashed red: link down; a red node: node down. Packets: blue TCP data, green pure ACK, violet SYN/FIN/RST, orange UDP, red lost." +
    "<br>Everything here comes from the run's trace records (the same ones trace.txt and the statistics are made from). This page fetches nothing and needs no other file.";

  const small = D.nodes.length > 60;
  // Each link's buffer in packets ("100p"; a byte limit counts 1500 B packets).
  const queueCapacity = D.links.map((l) => {
    const n = parseFloat(l.queue);
    return Math.max(1, l.queue.endsWith("B") ? n / 1500 : n);
  });
  const panes = runs.map((run) => makePane(run));
  let selected = null; // { pane, node }

  function makePane(run) {
    const div = document.createElement("div");
    div.className = "pane";
    div.id = "pane-" + run.ri;
    div.innerHTML = `<h2>${esc(run.r.label)}</h2><div class="stage"></div><div class="status"></div>`;
    $("panes").appendChild(div);
    const stage = div.querySelector(".stage");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    stage.appendChild(svg);
    const linkEls = D.links.map((l, i) => {
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "link");
      g.setAttribute("data-link", i);
      const a = node(l.a), b = node(l.b);
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      const ox = (-dy / len) * 2.2, oy = (dx / len) * 2.2;
      const lines = [0, 1].map((dir) => {
        const s = dir === 0 ? 1 : -1;
        const ln = document.createElementNS(SVG, "line");
        ln.setAttribute("x1", a.x + s * ox); ln.setAttribute("y1", a.y + s * oy);
        ln.setAttribute("x2", b.x + s * ox); ln.setAttribute("y2", b.y + s * oy);
        ln.setAttribute("stroke", "#bbb"); ln.setAttribute("stroke-width", 3);
        g.appendChild(ln);
        return ln;
      });
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${l.label}: ${l.bandwidth / 1e6} Mbit/s, ${l.delay / 1e6} ms, queue ${l.queue}`;
      g.appendChild(title);
      const cut = document.createElementNS(SVG, "text");
      cut.setAttribute("class", "cut");
      cut.setAttribute("x", (a.x + b.x) / 2); cut.setAttribute("y", (a.y + b.y) / 2 + 5);
      cut.setAttribute("text-anchor", "middle"); cut.setAttribute("fill", "#d00");
      cut.setAttribute("font-size", "18"); cut.setAttribute("font-weight", "bold");
      cut.textContent = "\u2716";
      g.appendChild(cut);
      svg.appendChild(g);
      return { g, lines, down: false };
    });
    // Queues: a frame as tall as the buffer at the sending end of each link
    // direction, filled as it fills (drawn over the nodes, created below).
    const makeQbar = () => {
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "qbar");
      const frame = document.createElementNS(SVG, "rect");
      frame.setAttribute("class", "frame");
      const fill = document.createElementNS(SVG, "rect");
      fill.setAttribute("class", "fill");
      g.append(frame, fill);
      g.style.display = "none";
      return { g, frame, fill };
    };
    const nodeEls = D.nodes.map((n, i) => {
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "node " + n.kind);
      g.setAttribute("data-node", n.name);
      const size = small ? 5 : 11;
      let shape;
      if (n.kind === "host") {
        shape = document.createElementNS(SVG, "circle");
        shape.setAttribute("cx", n.x); shape.setAttribute("cy", n.y); shape.setAttribute("r", size);
      } else {
        shape = document.createElementNS(SVG, "rect");
        shape.setAttribute("x", n.x - size); shape.setAttribute("y", n.y - size);
        shape.setAttribute("width", 2 * size); shape.setAttribute("height", 2 * size);
      }
      g.appendChild(shape);
      if (!small) {
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("x", n.x + size + 3); label.setAttribute("y", n.y - size - 3);
        label.textContent = n.name;
        g.appendChild(label);
      }
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${n.name} (${n.kind}, ${n.addr})`;
      g.appendChild(title);
      g.addEventListener("click", () => selectHost(run.ri, i));
      svg.appendChild(g);
      return g;
    });
    const qbars = D.channels.map(() => {
      const q = makeQbar();
      svg.appendChild(q.g);
      return q;
    });
    const canvas = document.createElement("canvas");
    stage.appendChild(canvas);
    canvas.addEventListener("click", (ev) => {
      const rect = canvas.getBoundingClientRect();
      const x = ((ev.clientX - rect.left) / rect.width) * W, y = ((ev.clientY - rect.top) / rect.height) * H;
      // A click on a node's shape selects the host, even with a packet leaving it.
      const size = small ? 5 : 11;
      const onNode = D.nodes.findIndex((n) => Math.hypot(n.x - x, n.y - y) <= size + 2);
      if (onNode >= 0) { selectHost(run.ri, onNode); return; }
      let best = null, bestD = 12;
      run.drawn.forEach((d) => {
        const dist = Math.hypot(d.x - x, d.y - y);
        if (dist < bestD) { best = d; bestD = dist; }
      });
      if (best) { showPacket(run, best.packet); return; }
      // Clicks that hit no packet go to the node underneath.
      let nb = null, nd = 16;
      D.nodes.forEach((n, i) => { const dd = Math.hypot(n.x - x, n.y - y); if (dd < nd) { nb = i; nd = dd; } });
      if (nb !== null) selectHost(run.ri, nb);
    });
    return { run, div, svg, canvas, linkEls, qbars, nodeEls, status: div.querySelector(".status") };
  }

  // ---------------------------------------------------------------- state at t
  // Down at t: the last of its (time, down) changes at or before t says so.
  function downAt(ev, t) {
    const i = lastAtOrBefore(ev.length, (k) => ev[k][0], t);
    return i >= 0 && ev[i][1];
  }
  const linkDownAt = (run, l, t) => downAt(run.linkEvents[l], t);
  const nodeDownAt = (run, n, t) => downAt(run.nodeEvents[n], t);

  function queueAt(run, c, t) {
    const r = run.r;
    if (r.window_end === null || t <= r.window_end) {
      const q = r.queue[c];
      const i = lastAtOrBefore(q.length / 2, (k) => q[2 * k], t);
      return i < 0 ? 0 : q[2 * i + 1];
    }
    return r.queue_max[c][Math.min(Math.floor(t / r.bin), r.queue_max[c].length - 1)] || 0;
  }

  function utilAt(run, c, t) {
    const u = run.r.util[c];
    return (u[Math.min(Math.floor(t / run.r.bin), u.length - 1)] || 0) / 1000;
  }

  function reservationAt(run, l, t) {
    const ev = run.reserv[l];
    const i = lastAtOrBefore(ev.length, (k) => ev[k][0], t);
    return i < 0 ? null : ev[i];
  }

  function stateAt(conn, t) {
    const i = lastAtOrBefore(conn.states.length, (k) => conn.states[k][0], t);
    return i < 0 ? "CLOSED" : conn.states[i][1];
  }

  function windowAt(conn, t) {
    const i = lastAtOrBefore(conn.window.length, (k) => conn.window[k][0], t);
    return i < 0 ? null : conn.window[i];
  }

  function heat(f) {
    // grey (idle) -> orange -> red (busy)
    const g = Math.max(0, Math.min(1, f));
    const r = Math.round(187 + (220 - 187) * g), gg = Math.round(187 - 150 * g), b = Math.round(187 - 170 * g);
    return `rgb(${r},${gg},${b})`;
  }

  function packetColour(run, p) {
    const t = run.r.packets[p][1];
    if (t[0] === "udp") return "#e08000";
    const flags = t[6];
    if (/SYN|FIN|RST/.test(flags)) return "#8a2be2";
    return t[11] > 0 ? "#1f5fd0" : "#1a9a3a";
  }

  // ---------------------------------------------------------------- drawing
  let now = 0, playing = false, speed = 0.01;

  function drawPane(pane, t) {
    const run = pane.run, r = run.r;
    const circuit = r.kind === "circuit";
    let downs = 0;
    D.links.forEach((l, i) => {
      const el = pane.linkEls[i];
      const down = linkDownAt(run, i, t);
      if (down !== el.down) { el.g.classList.toggle("down", down); el.down = down; }
      if (down) downs++;
      if (circuit) {
        const res = reservationAt(run, i, t);
        const f = res && res[3] > 0 ? res[2] / res[3] : 0;
        el.lines.forEach((ln) => ln.setAttribute("stroke", heat(f)));
        el.g.setAttribute("data-held", res ? res[1] : 0);
      } else {
        el.lines.forEach((ln, dir) => ln.setAttribute("stroke", heat(utilAt(run, 2 * i + dir, t))));
      }
    });
    let nodesDown = [];
    pane.nodeEls.forEach((g, n) => {
      const down = nodeDownAt(run, n, t);
      if (down !== g.classList.contains("down")) g.classList.toggle("down", down);
      if (down) nodesDown.push(D.nodes[n].name);
    });
    // Queues: the frame is the buffer (packets, or bytes as full-size
    // packets), the fill the packets waiting at this instant.
    if (!circuit) {
      D.channels.forEach((_, c) => {
        const q = queueAt(run, c, t);
        const bar = pane.qbars[c];
        if (q === 0) { if (bar.shown) { bar.g.style.display = "none"; bar.shown = false; } return; }
        const a = node(chFrom(c)), b = node(chTo(c));
        const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
        const along = Math.min(40, len / 2.5);
        const x = a.x + ((b.x - a.x) / len) * along, y = a.y + ((b.y - a.y) / len) * along;
        const cap = queueCapacity[c >> 1], full = 64;
        const h = Math.max(2, Math.min(full, (q / cap) * full));
        bar.frame.setAttribute("x", x - 5); bar.frame.setAttribute("y", y - full);
        bar.frame.setAttribute("width", 10); bar.frame.setAttribute("height", full);
        bar.fill.setAttribute("x", x - 5); bar.fill.setAttribute("y", y - h);
        bar.fill.setAttribute("width", 10); bar.fill.setAttribute("height", h);
        bar.g.setAttribute("data-queue", q);
        if (!bar.shown) { bar.g.style.display = ""; bar.shown = true; }
      });
    }
    // Packets on the wire: the segment between the first and the last bit.
    const cv = pane.canvas, rect = pane.svg.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(rect.width * dpr)) {
      cv.width = Math.round(rect.width * dpr); cv.height = Math.round(rect.height * dpr);
      cv.style.width = rect.width + "px"; cv.style.height = rect.height + "px";
    }
    const ctx = cv.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, cv.width, cv.height);
    ctx.setTransform((cv.width / W), 0, 0, cv.height / H, 0, 0);
    run.drawn = [];
    const h = r.hops;
    let i = lastAtOrBefore(run.n, (k) => h[5 * k + 2], t - run.longest - 1) + 1;
    for (; i < run.n && h[5 * i + 2] <= t; i++) {
      const t0 = h[5 * i + 2], t1 = t0 + h[5 * i + 3];
      if (t > t1) continue;
      const p = h[5 * i], c = h[5 * i + 1], end = h[5 * i + 4];
      const link = D.links[c >> 1];
      const ser = (r.packets[p][0][3] * 8 * 1e9) / link.bandwidth;
      const delay = Math.max(link.delay, 1);
      const head = Math.min(1, (t - t0) / delay), tail = Math.max(0, Math.min(1, (t - t0 - ser) / delay));
      const a = node(chFrom(c)), b = node(chTo(c));
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const s = c % 2 === 0 ? 1 : -1;
      const ox = (-(b.y - a.y) / len) * 2.2 * s, oy = ((b.x - a.x) / len) * 2.2 * s;
      const hx = a.x + (b.x - a.x) * head + ox, hy = a.y + (b.y - a.y) * head + oy;
      const tx = a.x + (b.x - a.x) * tail + ox, ty = a.y + (b.y - a.y) * tail + oy;
      const lost = end === 1 || end === 2;
      ctx.strokeStyle = lost && t1 - t < delay * 0.25 ? "#e00000" : packetColour(run, p);
      ctx.lineWidth = 5;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(tx, ty);
      ctx.lineTo(hx + (hx === tx && hy === ty ? 0.5 : 0), hy);
      ctx.stroke();
      run.drawn.push({ packet: p, hop: i, channel: c, x: hx, y: hy });
    }
    // Drops of the last moment: a red cross where they happened, the reason beside it.
    const fade = Math.max(speed * 0.6e9, 1e5);
    const recent = [];
    for (let k = r.drops.length / 5 - 1; k >= 0; k--) {
      const dt = r.drops[5 * k];
      if (dt > t) continue;
      if (dt < t - fade) break;
      recent.push(k);
    }
    ctx.font = "11px sans-serif";
    recent.slice(0, 50).forEach((k) => {
      const n = node(r.drops[5 * k + 1]), c = r.drops[5 * k + 2];
      let x = n.x, y = n.y;
      if (c >= 0) {
        const b = node(chTo(c));
        x = n.x + (b.x - n.x) * 0.15; y = n.y + (b.y - n.y) * 0.15;
      }
      ctx.strokeStyle = "#e00000"; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(x - 6, y - 6); ctx.lineTo(x + 6, y + 6); ctx.moveTo(x + 6, y - 6); ctx.lineTo(x - 6, y + 6); ctx.stroke();
      ctx.fillStyle = "#b00000";
      ctx.fillText(D.drop_reasons[r.drops[5 * k + 3]], x + 8, y + 12);
    });
    // A line of text: what is on the wire, what went wrong just now.
    let text = `${fmtT(t)}  `;
    if (circuit) {
      const held = D.links.reduce((s, _, l) => s + ((reservationAt(run, l, t) || [0, 0])[1]), 0);
      text += `circuits held over all links: ${held}`;
      const ni = lastAtOrBefore(r.notes.length, (k) => r.notes[k][0], t);
      for (let k = ni; k >= 0 && k > ni - 3; k--) {
        const [nt, subject, ev, detail] = r.notes[k];
        text += `\n${fmtT(nt)} ${subject} ${ev} ${detail}`;
      }
    } else {
      text += `packets on the wire: ${run.drawn.length}`;
      if (recent.length) {
        const k = recent[0];
        text += `\nlast drop ${fmtT(r.drops[5 * k])} at ${node(r.drops[5 * k + 1]).name}: ${D.drop_reasons[r.drops[5 * k + 3]]}`;
      }
      if (r.window_end !== null && t > r.window_end) text += "\n(past the animation window: utilization and queue maxima only)";
    }
    if (nodesDown.length) text += `\nnodes down: ${nodesDown.join(", ")}`;
    if (downs) text += `\nlinks down: ${D.links.filter((_, l) => linkDownAt(run, l, t)).map((l) => l.label).join(", ")}`;
    pane.status.textContent = text;
    pane.div.setAttribute("data-drawn", run.drawn.length);
  }

  function draw() {
    $("clock").textContent = fmtT(now);
    $("slider").value = Math.round((now / duration) * 100000);
    panes.forEach((p) => drawPane(p, now));
    if (selected) renderHost();
    renderLadder();
  }

  // ---------------------------------------------------------------- host panel
  function selectHost(ri, ni) {
    panes.forEach((p) => p.nodeEls.forEach((g) => g.classList.remove("selected")));
    panes[ri].nodeEls[ni].classList.add("selected");
    selected = { pane: ri, node: ni, conn: null };
    const conns = runs[ri].r.connections.map((c, i) => [c, i]).filter(([c]) => c.node === ni);
    if (conns.length) { selected.conn = conns[0][1]; chooseLadder(ri, conns[0][1]); }
    renderHost();
  }

  function renderHost() {
    const { pane, node: ni } = selected;
    const r = runs[pane].r, n = node(ni);
    let html = `<h2>Host ${esc(n.name)} <small>${esc(n.addr)} · ${esc(n.kind)} · ${esc(r.label)}</small></h2>`;
    const conns = r.connections.map((c, i) => [c, i]).filter(([c]) => c.node === ni);
    if (conns.length) {
      html += "<table><tr><th>connection</th><th>TCP state</th><th>cwnd</th><th>ssthresh</th><th>RTO</th></tr>";
      conns.forEach(([c, i]) => {
        const w = windowAt(c, now);
        const ss = w && w[2] < INFINITE ? w[2] : "∞";
        html += `<tr data-conn="${i}"${i === selected.conn ? ' class="chosen"' : ""}><td>${esc(c.local)} → ${esc(c.remote)}</td><td class="state">${stateAt(c, now)}</td><td>${w ? w[1] : "-"}</td><td>${w ? ss : "-"}</td><td>${w ? (w[3] / 1e6).toFixed(1) + " ms" : "-"}</td></tr>`;
      });
      html += "</table>";
      html += '<canvas id="cwnd" width="520" height="160" style="width: 100%; max-width: 520px"></canvas>' +
        '<canvas id="rto" width="520" height="110" style="width: 100%; max-width: 520px"></canvas>';
    } else {
      html += "<p class=\"hint\">No TCP connection on this host.</p>";
    }
    const calls = r.calls.filter((c) => c[1] === ni && c[0] <= now);
    const socks = new Map();
    calls.forEach(([t, , text]) => {
      const m = /sock=(\d+)/.exec(text);
      if (!m) return;
      const kind = /type=(\S+)/.exec(text);
      const s = socks.get(m[1]) || { type: "?", last: "" };
      if (kind) s.type = kind[1];
      s.last = `${fmtT(t)} ${text}`;
      if (/^close/.test(text)) s.closed = true;
      socks.set(m[1], s);
      const acc = /new=(\d+)/.exec(text);
      if (acc) socks.set(acc[1], { type: "stream (accepted)", last: `${fmtT(t)} ${text}` });
    });
    if (socks.size) {
      html += "<h3>Sockets</h3><table><tr><th>sock</th><th>type</th><th>last call</th></tr>";
      [...socks.entries()].sort((a, b) => a[0] - b[0]).forEach(([id, s]) => {
        html += `<tr data-sock="${id}"><td>${id}${s.closed ? " (closed)" : ""}</td><td>${esc(s.type)}</td><td>${esc(s.last)}</td></tr>`;
      });
      html += "</table><h3>Socket calls so far</h3><div class=\"calls\">" +
        calls.slice(-12).map(([t, , text]) => esc(`${fmtT(t)} ${text}`)).join("\n") + "</div>";
    }
    $("host-panel").innerHTML = html;
    $("host-panel").setAttribute("data-node", n.name);
    $("host-panel").querySelectorAll("tr[data-conn]").forEach((tr) =>
      tr.addEventListener("click", () => { selected.conn = +tr.dataset.conn; chooseLadder(pane, selected.conn); renderHost(); }));
    if (selected.conn !== null && $("cwnd")) drawWindow(r.connections[selected.conn]);
  }

  const INFINITE = 4294967295; // ssthresh before the first loss

  // Step lines over the run of `series` ([index into a sample, colour]) of a
  // connection's (time, cwnd, ssthresh, RTO) samples, with a red line at now.
  function drawSeries(cv, samples, series, title, scale) {
    const ctx = cv.getContext("2d");
    ctx.clearRect(0, 0, cv.width, cv.height);
    if (!samples.length) return;
    const value = (s, k) => (s[k] < INFINITE ? s[k] * scale : null);
    const max = samples.reduce((m, s) => series.reduce((mm, [k]) => Math.max(mm, value(s, k) || 0), m), 1e-9);
    const x = (t) => 40 + (t / duration) * (cv.width - 50), y = (v) => cv.height - 20 - (v / max) * (cv.height - 35);
    ctx.font = "10px sans-serif"; ctx.fillStyle = "#555";
    ctx.fillText(`${title}; max ${+max.toFixed(3)}`, 42, 10);
    ctx.fillText("0 s", 36, cv.height - 6); ctx.fillText(fmtT(duration), cv.width - 80, cv.height - 6);
    series.forEach(([k, colour]) => {
      ctx.strokeStyle = colour; ctx.lineWidth = 1.2; ctx.beginPath();
      let prev = null;
      samples.forEach((s) => {
        const v = value(s, k);
        if (v === null) { prev = null; return; }
        if (prev === null) ctx.moveTo(x(s[0]), y(v)); else { ctx.lineTo(x(s[0]), y(prev)); ctx.lineTo(x(s[0]), y(v)); }
        prev = v;
      });
      if (prev !== null) ctx.lineTo(x(duration), y(prev));
      ctx.stroke();
    });
    ctx.strokeStyle = "#d00"; ctx.beginPath(); ctx.moveTo(x(now), 12); ctx.lineTo(x(now), cv.height - 18); ctx.stroke();
  }

  function drawWindow(c) {
    drawSeries($("cwnd"), c.window, [[1, "#1f5fd0"], [2, "#999"]], "cwnd (blue), ssthresh (grey) in bytes", 1);
    drawSeries($("rto"), c.window, [[3, "#b05a00"]], "RTO in ms", 1e-6);
  }

  // ---------------------------------------------------------------- packet panel
  function showPacket(run, p) {
    const [ip, tr] = run.r.packets[p];
    const rows = [
      ["packet", `uid ${ip[0]} · ${run.r.label}`],
      ["IPv4 source", `${node(ip[1]).addr} (${node(ip[1]).name})`],
      ["IPv4 destination", `${node(ip[2]).addr} (${node(ip[2]).name})`],
      ["total length", `${ip[3]} B`], ["TTL (as sent)", ip[4]],
      ["ECN", ["Not-ECT", "ECT(1)", "ECT(0)", "CE"][ip[5]]],
      ["header checksum", "0x" + ip[6].toString(16).padStart(4, "0")],
    ];
    if (tr[0] === "udp") {
      rows.push(["protocol", "UDP (17)"], ["source port", tr[1]], ["destination port", tr[2]], ["length", tr[3]],
        ["checksum", "0x" + tr[4].toString(16).padStart(4, "0")]);
    } else {
      rows.push(["protocol", "TCP (6)"], ["source port", tr[1]], ["destination port", tr[2]],
        ["sequence number", tr[3]], ["acknowledgment number", tr[4]],
        ["data offset", `${tr[5]} (${tr[5] * 4} B header)`], ["flags", tr[6]], ["window", tr[7]],
        ["checksum", "0x" + tr[8].toString(16).padStart(4, "0")], ["urgent pointer", tr[9]],
        ["options", tr[10] || "(none)"], ["payload", `${tr[11]} B`]);
    }
    const hops = run.hopsOf.get(p) || [];
    const path = hops.map((i) => D.channels[run.r.hops[5 * i + 1]]).join(", ");
    rows.push(["hops (animated)", path || "-"]);
    $("packet-panel").innerHTML = "<h2>Packet</h2><table>" +
      rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td data-field="${esc(k)}">${esc(v)}</td></tr>`).join("") + "</table>";
    $("packet-panel").setAttribute("data-packet", ip[0]);
  }

  // ---------------------------------------------------------------- ladder
  let ladder = null; // { run, conn, peer, packets: [[t0, t1, fromLocal, p, lost]] , span }
  const options = [];
  runs.forEach((run) => run.r.connections.forEach((c, i) => {
    // One entry per connection pair: the side that connected (its remote is a listener's port).
    options.push([run.ri, i]);
  }));
  options.forEach(([ri, i]) => {
    const c = runs[ri].r.connections[i];
    const o = document.createElement("option");
    o.value = `${ri}:${i}`;
    o.textContent = `${runs.length > 1 ? runs[ri].r.label + ": " : ""}${node(c.node).name} ${c.local} → ${c.remote}`;
    $("ladder-conn").appendChild(o);
  });
  $("ladder-conn").addEventListener("change", (e) => {
    const [ri, i] = e.target.value.split(":").map(Number);
    chooseLadder(ri, i);
    draw();
  });

  function chooseLadder(ri, i) {
    const run = runs[ri], c = run.r.connections[i];
    const [la, lp] = c.local.split(":"), [ra, rp] = c.remote.split(":");
    const local = c.node, peer = byAddr[ra];
    const packets = [];
    run.hopsOf.forEach((hops, p) => {
      const [ip, tr] = run.r.packets[p];
      if (tr[0] !== "tcp") return;
      const out = ip[1] === local && tr[1] === +lp && ip[2] === peer && tr[2] === +rp;
      const back = ip[1] === peer && tr[1] === +rp && ip[2] === local && tr[2] === +lp;
      if (!out && !back) return;
      const first = hops[0], last = hops[hops.length - 1], h = run.r.hops;
      const arrived = h[5 * last + 4] === 0 && chTo(h[5 * last + 1]) === ip[2];
      packets.push([h[5 * first + 2], h[5 * last + 2] + h[5 * last + 3], out, p, !arrived]);
    });
    packets.sort((a, b) => a[0] - b[0] || a[3] - b[3]);
    // The window shown: four round trips of the handshake, or 100 ms.
    let rtt = 0;
    const syn = packets.find((q) => /SYN/.test(run.r.packets[q[3]][1][6]) && !/ACK/.test(run.r.packets[q[3]][1][6]));
    const synack = packets.find((q) => /SYN\|ACK|SYN.*ACK/.test(run.r.packets[q[3]][1][6]));
    if (syn && synack) rtt = synack[1] - syn[0];
    // Never narrower than the quickest one-way trip, so arrows stay slanted.
    const minSpan = Math.max(2e4, 2 * packets.reduce((m, q) => Math.min(m, q[1] - q[0]), Infinity));
    ladder = { run, c, local, peer, packets, span: Math.max(4 * rtt, 2e6) || 1e8, minSpan };
    $("ladder-conn").value = `${ri}:${i}`;
    $("ladder-panel").setAttribute("data-conn", `${ri}:${i}`);
  }

  // At most this many segments in the ladder at once: the span shrinks around
  // now when a window of segments is in flight.
  const LADDER_MAX = 24;

  function renderLadder() {
    const cv = $("ladder"), ctx = cv.getContext("2d");
    const cssW = cv.clientWidth || 560, cssH = cv.clientHeight || 440, dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(cssW * dpr)) { cv.width = Math.round(cssW * dpr); cv.height = Math.round(cssH * dpr); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    if (!ladder) {
      ctx.fillStyle = "#555"; ctx.font = "13px sans-serif";
      ctx.fillText("No TCP connection in this run.", 12, 24);
      return;
    }
    const { run, local, peer } = ladder;
    // The default span, narrowed (by halving) until at most LADDER_MAX
    // segments cross it.
    const crossing = (sp, list) => list.filter((q) => q[1] >= now - sp / 2 && q[0] <= now + sp / 2);
    let span = ladder.span, inSpan = crossing(span, ladder.packets);
    while (inSpan.length > LADDER_MAX && span / 2 >= ladder.minSpan) { span /= 2; inSpan = crossing(span, inSpan); }
    const top = 30, bottom = cssH - 12, xl = Math.min(320, cssW * 0.3), xr = cssW - Math.min(320, cssW * 0.3);
    const t0 = now - span / 2, t1 = now + span / 2;
    const y = (t) => top + ((t - t0) / (t1 - t0)) * (bottom - top);
    ctx.font = "12px sans-serif"; ctx.fillStyle = "#222"; ctx.textAlign = "center";
    ctx.fillText(`${node(local).name} ${ladder.c.local}`, xl, 14); ctx.fillText(`${node(peer).name} ${ladder.c.remote}`, xr, 14);
    ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
    [xl, xr].forEach((x) => { ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke(); });
    ctx.textAlign = "left"; ctx.fillStyle = "#666"; ctx.font = "11px sans-serif";
    ctx.fillText(fmtT(Math.max(0, t0)), 2, top + 8);
    ctx.fillText(`span ${(span / 1e6).toFixed(3)} ms`, 2, bottom - 2);
    let shown = 0, lastLabel = [-1e9, -1e9];
    inSpan.forEach(([s, e, out, p, lost]) => {
      shown++;
      const tr = run.r.packets[p][1];
      const [xa, xb] = out ? [xl, xr] : [xr, xl];
      const ya = y(s), yb = y(e);
      const frac = lost ? 0.6 : 1;
      const xe = xa + (xb - xa) * frac, ye = ya + (yb - ya) * frac;
      ctx.strokeStyle = lost ? "#e00000" : (/SYN|FIN|RST/.test(tr[6]) ? "#8a2be2" : tr[11] > 0 ? "#1f5fd0" : "#1a9a3a");
      ctx.lineWidth = s <= now && now <= e ? 2.5 : 1.2;
      ctx.beginPath(); ctx.moveTo(xa, ya); ctx.lineTo(xe, ye); ctx.stroke();
      if (lost) { ctx.beginPath(); ctx.moveTo(xe - 4, ye - 4); ctx.lineTo(xe + 4, ye + 4); ctx.moveTo(xe + 4, ye - 4); ctx.lineTo(xe - 4, ye + 4); ctx.stroke(); }
      // A label where it does not overlap the previous one on its side.
      const side = out ? 0 : 1;
      if (ya - lastLabel[side] >= 12) {
        lastLabel[side] = ya;
        ctx.fillStyle = lost ? "#b00000" : "#333";
        const label = `${tr[6]} seq=${tr[3]}${tr[11] ? " len=" + tr[11] : ""} ack=${tr[4]}${lost ? " (lost)" : ""}`;
        ctx.textAlign = out ? "right" : "left";
        ctx.fillText(label, out ? xl - 4 : xr + 4, ya + 4);
      }
    });
    ctx.strokeStyle = "#d00"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, y(now)); ctx.lineTo(cssW, y(now)); ctx.stroke();
    $("ladder-panel").setAttribute("data-shown", shown);
  }

  // ---------------------------------------------------------------- controls
  function setTime(t) {
    now = Math.max(0, Math.min(duration, t));
    draw();
  }

  function step() {
    const i = lastAtOrBefore(moments.length, (k) => moments[k], now);
    if (i + 1 < moments.length) setTime(moments[i + 1]);
    return now;
  }

  function setPlaying(on) {
    playing = on;
    $("play").innerHTML = on ? "&#10074;&#10074; pause" : "&#9654; play";
    if (on) { last = performance.now(); requestAnimationFrame(tick); }
  }

  let last = 0;
  function tick(ts) {
    if (!playing) return;
    const dt = Math.min(ts - last, 100);
    last = ts;
    setTime(now + dt * 1e6 * speed);
    if (now >= duration) setPlaying(false); else requestAnimationFrame(tick);
  }

  $("play").addEventListener("click", () => setPlaying(!playing));
  $("step").addEventListener("click", () => { setPlaying(false); step(); });
  $("speed").addEventListener("change", (e) => (speed = +e.target.value));
  $("slider").addEventListener("input", (e) => setTime((+e.target.value / 100000) * duration));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
    if (e.key === " ") { e.preventDefault(); setPlaying(!playing); }
    if (e.key === "ArrowRight") { setPlaying(false); step(); }
  });
  window.addEventListener("resize", draw);

  if (options.length) chooseLadder(options[0][0], options[0][1]);
  // Start where something happens: the first packet on the wire.
  setTime(moments.length ? moments[0] : 0);

  // For scripts and tests: the page's state, as read from what it drew.
  window.netsimView = {
    data: D,
    time: () => now,
    setTime,
    step,
    play: () => setPlaying(true),
    pause: () => setPlaying(false),
    playing: () => playing,
    setSpeed: (s) => { speed = s; $("speed").value = String(s); },
    drawn: (pane) => runs[pane || 0].drawn.map((d) => ({ packet: d.packet, uid: runs[pane || 0].r.packets[d.packet][0][0], channel: d.channel, x: d.x, y: d.y })),
    nodeCentre: (pane, name) => {
      const el = document.querySelector(`#pane-${pane} [data-node="${name}"]`).getBoundingClientRect();
      return [el.left + el.width / 2, el.top + el.height / 2];
    },
    packetAt: (pane, index) => {
      const d = runs[pane].drawn[index];
      const rect = panes[pane].canvas.getBoundingClientRect();
      return [rect.left + (d.x / W) * rect.width, rect.top + (d.y / H) * rect.height];
    },
  };
})();
