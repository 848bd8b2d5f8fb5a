"use strict";
// factum's event browser: everything comes from the node's HTTP API.
const $ = (id) => document.getElementById(id);

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  return td;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c);
  return tr;
}

async function getJSON(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  return { status: res.status, body };
}

async function loadTypes() {
  const { status, body } = await getJSON("../v1/types");
  if (status !== 200) return;
  const tbody = $("types"), select = $("agg-type");
  tbody.replaceChildren();
  select.replaceChildren();
  for (const t of body.types) {
    tbody.appendChild(row([cell(t.name), cell(t.commands.join(", "))]));
    const o = document.createElement("option");
    o.value = o.textContent = t.name;
    select.appendChild(o);
  }
}

async function showAggregate(ev) {
  if (ev) ev.preventDefault();
  const type = encodeURIComponent($("agg-type").value), id = encodeURIComponent($("agg-id").value.trim());
  $("agg-error").textContent = "";
  $("agg-state").textContent = "";
  $("agg-events").replaceChildren();
  const st = await getJSON(`../v1/${type}/${id}`);
  if (st.status !== 200) {
    $("agg-error").textContent = st.body ? `${st.body.error}: ${st.body.message}` : `HTTP ${st.status}`;
    return;
  }
  $("agg-state").textContent = `${st.body.type} ${st.body.id} at version ${st.body.version}\n` + JSON.stringify(st.body.data, null, 2);
  const hist = await getJSON(`../v1/${type}/${id}/events`);
  if (hist.status !== 200) {
    $("agg-error").textContent = hist.body ? `${hist.body.error}: ${hist.body.message}` : `HTTP ${hist.status}`;
    return;
  }
  for (const e of hist.body.events) {
    $("agg-events").appendChild(row([cell(e.version), cell(e.type), cell(e.schema_version), cell(e.time),
      cell(JSON.stringify(e.data), "data"), cell(e.correlation_id), cell(e.causation_id), cell(e.writer)]));
  }
}

// The live tail: the last notifications of each partition, then a long
// poll per partition for what comes next.
const tailMax = 50;
async function tail(partition, start) {
  for (;;) {
    const { status, body } = await getJSON(`../v1/log?partition=${partition}&start=${start}&limit=100&wait=20s`);
    if (status !== 200) {
      $("tail-status").textContent = `partition ${partition}: HTTP ${status}, retrying`;
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    $("tail-status").textContent = "live";
    for (const n of body.notifications) {
      const data = n.unreadable ? `(${n.unreadable})` : JSON.stringify(n.data);
      const tr = row([cell(n.partition), cell(n.position), cell(n.type), cell(n.aggregate_id), cell(n.version), cell(data, "data")]);
      $("tail").prepend(tr);
    }
    while ($("tail").children.length > tailMax) $("tail").lastChild.remove();
    start = body.next;
  }
}

async function startTail() {
  const first = await getJSON("../v1/log?partition=0&start=1&limit=1");
  if (first.status !== 200) { $("tail-status").textContent = `HTTP ${first.status}`; return; }
  const partitions = first.body.partitions;
  for (let p = 0; p < partitions; p++) {
    const h = p === 0 ? first : await getJSON(`../v1/log?partition=${p}&start=1&limit=1`);
    const head = h.status === 200 ? h.body.head : 0;
    tail(p, Math.max(1, head - 9));
  }
}

async function loadProjections() {
  const { status, body } = await getJSON("../v1/projections");
  if (status !== 200) return;
  const tbody = $("projections");
  tbody.replaceChildren();
  for (const p of body.projections) {
    const state = p.retrying ? cell(`retrying: ${p.last_error || ""}`, "retrying") : cell("ok", "ok");
    tbody.appendChild(row([cell(p.projection), cell(p.partition), cell(p.position), cell(p.head),
      cell(p.position_lag), cell(Math.round(p.time_lag_ms)), cell(p.failures), state]));
  }
}

async function loadCluster() {
  const { status, body } = await getJSON("../v1/cluster");
  const el = $("cluster");
  if (status === 404) { el.textContent = "single node (not in a cluster)"; return; }
  if (status !== 200) { el.textContent = `HTTP ${status}`; return; }
  const owned = {};
  const free = [];
  for (const p of body.partitions) {
    if (p.owner) (owned[p.owner] = owned[p.owner] || []).push(p.partition);
    else free.push(p.partition);
  }
  $("cluster").textContent = `node ${body.node}: ${body.members.length} live member(s), ` +
    `${body.partitions.length} partitions` + (free.length ? `, without an owner: ${free.join(", ")}` : "");
  $("cluster-members").replaceChildren(...body.members.map((m) => row([
    cell(m.id === body.node ? `${m.id} (this node)` : m.id), cell(m.addr), cell(m.heartbeat),
    cell((owned[m.id] || []).join(", "))])));
  $("cluster-partitions").replaceChildren(...body.partitions.map((p) => row([
    cell(p.partition), cell(p.owner || "(none)", p.owner ? "" : "retrying"), cell(p.epoch)])));
}

$("agg-form").addEventListener("submit", showAggregate);
loadTypes();
startTail();
loadProjections();
loadCluster();
setInterval(loadProjections, 2000);
setInterval(loadCluster, 5000);
