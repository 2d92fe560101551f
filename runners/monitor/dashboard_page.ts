/**
 * The dashboard's single page: inline CSS and script, the graph laid out in the browser by
 * dagre (served by the dashboard, or inlined in a static report). All text from the job is
 * inserted with textContent, never as HTML.
 */

export type DashboardPageOptions =
  | { readonly mode: "live"; readonly token: string }
  | { readonly mode: "static"; readonly data: unknown; readonly layoutLibrary: string };

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function dashboardPage(o: DashboardPageOptions): string {
  const config = o.mode === "live" ? { mode: "live", token: o.token } : { mode: "static" };
  const data = o.mode === "static" ? `<script type="application/json" id="data">${scriptJson(o.data)}</script>` : "";
  const layout = o.mode === "static" ? `<script>${o.layoutLibrary.replace(/<\/script/gi, "<\\/script")}</script>` : `<script src="/dagre.min.js"></script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Beamline job</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body>
<header><h1 id="job">Beamline job</h1><span id="state" class="pill">…</span><span id="elapsed"></span>
<span class="spacer"></span><button id="drain" hidden>Drain</button><button id="cancel" hidden>Cancel</button></header>
<main>
<section id="graph-panel"><h2>Pipeline <small>click a composite step to open or close it; click a step to filter logs</small></h2><div id="graph"></div></section>
<section><h2>Steps</h2><table id="steps"><thead><tr><th>step</th><th>in</th><th>out</th><th>rate</th><th>time</th><th>watermark</th><th>lag</th><th>rejected</th></tr></thead><tbody></tbody></table></section>
<section><h2>Metrics</h2><table id="metrics"><thead><tr><th>step</th><th>metric</th><th>value</th></tr></thead><tbody></tbody></table></section>
<section><h2>Logs <select id="log-step"><option value="">all steps</option></select></h2><div id="logs"></div></section>
</main>
${data}${layout}<script>window.BEAMLINE=${scriptJson(config)};</script><script>${SCRIPT}</script></body></html>`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{display:flex;align-items:center;gap:12px;padding:10px 18px;background:#1d2330;color:#fff;position:sticky;top:0;z-index:2}
h1{font-size:17px;margin:0}h2{font-size:15px;margin:0 0 8px}h2 small{font-weight:normal;color:#667}
.pill{padding:2px 10px;border-radius:10px;background:#667;font-size:12px;font-weight:600}
.pill.RUNNING{background:#1a7f37}.pill.DONE,.pill.DRAINED{background:#0b57d0}.pill.FAILED{background:#c5221f}.pill.CANCELLED,.pill.DRAINING{background:#b06000}
.spacer{flex:1}button{font:inherit;padding:4px 14px;border-radius:4px;border:0;cursor:pointer;background:#fff;color:#1d2330}button:disabled{opacity:.5;cursor:default}
main{padding:14px 18px;display:grid;gap:14px;grid-template-columns:minmax(0,1fr)}@media (min-width:1100px){main{grid-template-columns:minmax(320px,40%) minmax(0,1fr)}#graph-panel{grid-row:span 3}}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px;overflow:auto}
#graph svg{display:block;max-width:100%}.node rect{stroke:#8a94a6;rx:5}.node.composite rect{stroke-dasharray:4 2}.node.selected rect{stroke:#0b57d0;stroke-width:2.5}
.node text{font-size:12px;fill:#1d2330}.node .title{font-weight:600}.cluster rect{fill:#f0f3f8;stroke:#b8c1cf;rx:6}.cluster text{font-size:12px;fill:#445;font-weight:600}
.edge{fill:none;stroke:#7d8799;stroke-width:1.4}.edge.side{stroke-dasharray:5 3}.node,.cluster text{cursor:pointer}
table{border-collapse:collapse;width:100%}th,td{text-align:right;padding:3px 8px;border-bottom:1px solid #eef0f3;white-space:nowrap}th:first-child,td:first-child{text-align:left}
td.name{font-family:ui-monospace,monospace}#logs{font-family:ui-monospace,monospace;font-size:12px;max-height:320px;overflow:auto;white-space:pre-wrap}
#steps.batch :is(th,td):is(:nth-child(6),:nth-child(7)){display:none}
.log.WARN{color:#b06000}.log.ERROR{color:#c5221f}.log .step{color:#0b57d0}
`;

/* The client script. Written without template literals so it can live in this file as a string. */
const SCRIPT = String.raw`
(function(){
"use strict";
var cfg = window.BEAMLINE, graph = null, snap = null, prev = null, rates = {}, logs = [], expanded = {}, selected = "", canDrain = false, ended = false;
var byName = {}, producerOf = {}, nodeEls = null;
function $(id){ return document.getElementById(id); }
function el(tag, attrs, text){ var e = document.createElement(tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
function svg(tag, attrs, text){ var e = document.createElementNS("http://www.w3.org/2000/svg", tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
function fmt(n){ return Math.round(n).toLocaleString("en-US"); }
function dur(ms){ if (ms === undefined) return "-"; if (ms < 1000) return Math.round(ms) + " ms"; if (ms < 60000) return (ms/1000).toFixed(1) + " s"; return Math.floor(ms/60000) + " min " + Math.round((ms%60000)/1000) + " s"; }
var MIN_TS = -9223372036854775, GLOBAL_MAX = 9223371950454775;
function wm(w){ if (w === undefined) return "-"; if (w <= MIN_TS) return "-inf"; if (w >= GLOBAL_MAX) return "+inf"; return new Date(w).toISOString().replace("T"," ").replace("Z",""); }
function lag(w, now){ if (w === undefined || w <= MIN_TS || w >= GLOBAL_MAX) return "-"; return dur(Math.max(0, now - w)); }
function rate(name){ var r = rates[name]; if (r === undefined) return "-"; return (r >= 10 ? fmt(r) : r.toFixed(1)) + "/s"; }

function setGraph(g){
  graph = g; byName = {}; producerOf = {};
  g.steps.forEach(function(s){ byName[s.name] = s; });
  g.pcollections.forEach(function(p){ producerOf[p.id] = p.producer; });
  // A pipeline that is one composite (a program's PTransform, such as wordcount) opens into its steps.
  for (var top = null;;) {
    var level = g.steps.filter(function(s){ return (s.parent || null) === top; });
    if (level.length !== 1 || !level[0].composite) break;
    top = level[0].name; expanded[top] = true;
  }
  var sel = $("log-step");
  g.steps.forEach(function(s){ sel.appendChild(el("option", {value: s.name}, s.name)); });
}
function visibleOf(name){
  var chain = [], s = byName[name];
  while (s) { chain.unshift(s.name); s = s.parent ? byName[s.parent] : null; }
  for (var i = 0; i < chain.length; i++) if (byName[chain[i]].composite && !expanded[chain[i]]) return chain[i];
  return chain[chain.length - 1];
}
function drawGraph(){
  var g = new dagre.graphlib.Graph({compound: true, multigraph: false});
  g.setGraph({rankdir: "TB", nodesep: 24, ranksep: 36, marginx: 8, marginy: 8});
  g.setDefaultEdgeLabel(function(){ return {}; });
  var shown = {};
  graph.steps.forEach(function(s){
    var v = visibleOf(s.name);
    if (v !== s.name) return;
    if (s.composite && expanded[s.name]) { g.setNode(s.name, {cluster: true, label: s.label}); }
    else { g.setNode(s.name, {width: 200, height: 62}); shown[s.name] = true; }
    if (s.parent && expanded[s.parent]) g.setParent(s.name, s.parent);
  });
  var edges = {};
  graph.steps.forEach(function(s){
    if (s.composite) return;
    var to = visibleOf(s.name);
    function add(id, side){ var p = producerOf[id]; if (!p) return; var from = visibleOf(p); if (from === to || !shown[from] || !shown[to]) return; var k = from + "\u0000" + to; if (!edges[k] || !side) edges[k] = {from: from, to: to, side: side}; }
    s.inputs.forEach(function(id){ add(id, false); });
    s.sideInputs.forEach(function(id){ add(id, true); });
  });
  Object.keys(edges).forEach(function(k){ var e = edges[k]; g.setEdge(e.from, e.to, {side: e.side}); });
  dagre.layout(g);
  var gg = g.graph(), root = svg("svg", {width: Math.ceil(gg.width || 10), height: Math.ceil(gg.height || 10)});
  g.nodes().forEach(function(n){ var d = g.node(n); if (!d.cluster) return;
    var c = svg("g", {"class": "cluster"}); c.appendChild(svg("rect", {x: d.x - d.width/2, y: d.y - d.height/2, width: d.width, height: d.height}));
    var t = svg("text", {x: d.x - d.width/2 + 8, y: d.y - d.height/2 + 14}, d.label + "  \u25be"); t.addEventListener("click", function(){ expanded[n] = false; drawGraph(); }); c.appendChild(t); root.appendChild(c); });
  g.edges().forEach(function(e){ var d = g.edge(e); var pts = d.points.map(function(p){ return p.x + "," + p.y; }).join(" ");
    root.appendChild(svg("polyline", {"class": "edge" + (d.side ? " side" : ""), points: pts, "marker-end": "url(#arrow)"})); });
  var defs = svg("defs", {}), m = svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto"});
  m.appendChild(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#7d8799"})); defs.appendChild(m); root.appendChild(defs);
  nodeEls = {};
  Object.keys(shown).forEach(function(n){
    var d = g.node(n), s = byName[n];
    var grp = svg("g", {"class": "node" + (s.composite ? " composite" : "") + (selected === n ? " selected" : ""), "data-step": n, transform: "translate(" + (d.x - 100) + "," + (d.y - 31) + ")"});
    var rect = svg("rect", {width: 200, height: 62}), counts = svg("text", {x: 8, y: 35}), info = svg("text", {x: 8, y: 52});
    grp.appendChild(rect); grp.appendChild(svg("text", {"class": "title", x: 8, y: 17}, s.label + (s.composite ? "  \u25b8" : ""))); grp.appendChild(counts); grp.appendChild(info);
    grp.addEventListener("click", function(){ if (s.composite) expanded[n] = true; selected = selected === n && !s.composite ? "" : n; $("log-step").value = selected; drawGraph(); drawLogs(); });
    root.appendChild(grp);
    nodeEls[n] = {rect: rect, counts: counts, info: info};
  });
  paintNodes();
  var host = $("graph"); host.textContent = ""; host.appendChild(root);
}
/* Updates the drawn nodes' numbers in place (redrawing the graph on every update would swallow clicks). */
function paintNodes(){
  var total = 0; if (snap) graph.steps.forEach(function(s){ if (!s.parent) total += (snap.steps[s.name] || {}).msSpent || 0; });
  Object.keys(nodeEls).forEach(function(n){
    var e = nodeEls[n], p = (snap && snap.steps[n]) || {elementsIn: 0, elementsOut: 0};
    var share = total > 0 && p.msSpent ? p.msSpent / total : 0;
    e.rect.setAttribute("fill", "rgb(255," + Math.round(255 - 120*share) + "," + Math.round(255 - 200*share) + ")");
    e.counts.textContent = "in " + fmt(p.elementsIn) + " \u00b7 out " + fmt(p.elementsOut);
    e.info.textContent = rate(n) + " \u00b7 " + dur(p.msSpent) + (p.watermark !== undefined ? " \u00b7 lag " + lag(p.watermark, snap.at) : "");
  });
}
function depth(s){ var d = 0; while (s.parent) { d++; s = byName[s.parent]; } return d; }
function drawTables(){
  $("steps").className = snap.streaming ? "" : "batch";
  var tb = $("steps").tBodies[0]; tb.textContent = "";
  graph.steps.forEach(function(s){ var p = snap.steps[s.name] || {elementsIn: 0, elementsOut: 0}; var tr = el("tr");
    var name = el("td", {"class": "name"}, "\u00a0\u00a0".repeat(depth(s)) + s.label); name.title = s.name; tr.appendChild(name);
    [fmt(p.elementsIn), fmt(p.elementsOut), rate(s.name), dur(p.msSpent), wm(p.watermark), snap.streaming ? lag(p.watermark, snap.at) : "-", fmt(p.rejected || 0)].forEach(function(v){ tr.appendChild(el("td", {}, v)); });
    tb.appendChild(tr); });
  var mb = $("metrics").tBodies[0]; mb.textContent = "";
  function row(step, name, value){ var tr = el("tr"); tr.appendChild(el("td", {"class": "name"}, step)); tr.appendChild(el("td", {}, name)); tr.appendChild(el("td", {}, value)); mb.appendChild(tr); }
  snap.metrics.counters.forEach(function(c){ row(c.step, c.namespace + "/" + c.name, fmt(c.value)); });
  snap.metrics.distributions.forEach(function(d){ var v = d.value; row(d.step, d.namespace + "/" + d.name, "count " + fmt(v.count) + ", mean " + (v.count ? (v.sum/v.count).toFixed(3) : 0) + ", min " + v.min + ", max " + v.max); });
  snap.metrics.gauges.forEach(function(g){ row(g.step, g.namespace + "/" + g.name, String(g.value.value)); });
  snap.metrics.stringSets.forEach(function(t){ row(t.step, t.namespace + "/" + t.name, "{" + t.value.join(", ") + "}"); });
  snap.metrics.boundedTries.forEach(function(t){ row(t.step, t.namespace + "/" + t.name, "{" + t.value.map(function(p){ return "[" + p.segments.join(", ") + (p.truncated ? ", ..." : "") + "]"; }).join(", ") + "}"); });
}
function drawLogs(){
  var box = $("logs"), f = $("log-step").value; box.textContent = "";
  logs.forEach(function(l){ if (f && l.step !== f && (!l.step || l.step.indexOf(f + "/") !== 0)) return;
    var line = el("div", {"class": "log " + l.level}); line.appendChild(document.createTextNode(new Date(l.time).toISOString().slice(11, 23) + " " + l.level + " "));
    if (l.step) line.appendChild(el("span", {"class": "step"}, "[" + l.step + "] ")); line.appendChild(document.createTextNode(l.message)); box.appendChild(line); });
  box.scrollTop = box.scrollHeight;
}
function drawHeader(){
  $("job").textContent = snap.jobName + " on " + snap.runner; var st = $("state"); st.textContent = snap.state; st.className = "pill " + snap.state;
  $("elapsed").textContent = dur(snap.at - snap.startedAt) + (snap.error ? " \u2014 " + snap.error : "");
  var live = cfg.mode === "live" && !ended && (snap.state === "RUNNING" || snap.state === "DRAINING");
  $("cancel").hidden = cfg.mode !== "live"; $("drain").hidden = cfg.mode !== "live" || !canDrain;
  $("cancel").disabled = !live; $("drain").disabled = !live || snap.state === "DRAINING";
}
function update(s, newLogs){
  if (snap && s.at > snap.at) Object.keys(s.steps).forEach(function(n){ var a = s.steps[n], b = snap.steps[n] || {elementsIn: 0, elementsOut: 0};
    rates[n] = (Math.max(a.elementsIn, a.elementsOut) - Math.max(b.elementsIn, b.elementsOut)) * 1000 / (s.at - snap.at); });
  snap = s; logs = logs.concat(newLogs || []); if (logs.length > 1000) logs = logs.slice(logs.length - 1000);
  drawHeader(); if (nodeEls === null) drawGraph(); else paintNodes(); drawTables(); drawLogs();
  document.body.setAttribute("data-state", s.state);
}
function control(action){
  if (action === "cancel" && !window.confirm("Cancel the job? Work in progress is lost.")) return;
  fetch("/api/" + action, {method: "POST", headers: {"x-beamline-token": cfg.token}}).then(function(r){ if (!r.ok) r.text().then(function(t){ window.alert(t); }); });
  $("cancel").disabled = true; $("drain").disabled = true;
}
$("cancel").addEventListener("click", function(){ control("cancel"); });
$("drain").addEventListener("click", function(){ control("drain"); });
$("log-step").addEventListener("change", function(){ selected = this.value; drawGraph(); drawLogs(); });
if (cfg.mode === "static") { var d = JSON.parse($("data").textContent); canDrain = false; ended = true; setGraph(d.graph); update(d.snapshot, d.logs); return; }
var es = new EventSource("/events?token=" + encodeURIComponent(cfg.token));
es.addEventListener("state", function(ev){ var d = JSON.parse(ev.data); canDrain = d.canDrain; if (!graph) setGraph(d.graph); logs = []; update(d.snapshot, d.logs); });
es.addEventListener("update", function(ev){ var d = JSON.parse(ev.data); update(d.snapshot, d.logs); });
es.addEventListener("end", function(){ ended = true; es.close(); drawHeader(); document.body.setAttribute("data-ended", "true"); });
})();
`;
