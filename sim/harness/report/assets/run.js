/* Kairos run report: a virtualised sequence diagram drawn from the JSON in
 * #kairos-data (written by sim/harness/report/run_html.c). Only the rows in view
 * are in the DOM; window.kairosReport exposes counts and actions for tests. */
(function () {
  'use strict';
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById('kairos-data').textContent);
  var T_PARSE = performance.now() - T0;

  var ROW = 24, GUTTER = 112, MIN_LANE = 86, MAX_LANE = 280, BLOCK = 32;
  var MAX_SPACER = 15000000; /* stay far below browsers' element height limits */
  var S = D.str, E = D.ev, A = D.ar, N = E.s.length, NA = A.a.length;
  var H = D.header || {}, R = D.result || {};
  var ARROW_KINDS = ['net', 'dup', 'drop', 'local', 'exited', 'stimulus'];
  var CATS = {
    message: 'handled', dispatch: 'handled', http: 'handled', exited: 'handled',
    stimulus: 'handled', init: 'lifecycle', terminate: 'lifecycle', timer: 'timers',
    send: 'network', deliver: 'network', drop: 'network', duplicate: 'network',
    partition: 'faults', heal: 'faults', crash: 'faults', restart: 'faults',
    clog: 'faults', check: 'failure', probe: 'probes',
    'power-off': 'faults', cut: 'faults', pause: 'faults', resume: 'faults', clock: 'faults',
    write: 'disk', sync: 'disk', 'write-kept': 'disk', 'write-lost': 'disk',
    'write-torn': 'disk', 'disk-error': 'disk'
  };
  var CAT_LIST = ['handled', 'network', 'lifecycle', 'timers', 'faults', 'disk', 'probes'];
  var FAULT_KINDS = { partition: 1, heal: 1, crash: 1, restart: 1, clog: 1, 'power-off': 1,
                      cut: 1, pause: 1, resume: 1, clock: 1 };

  function str(i) { return i >= 0 ? S[i] : ''; }
  function kindOf(i) { return S[E.k[i]]; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function $(id) { return document.getElementById(id); }
  function fmtTime(ns) {
    var a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(3) + 's';
    if (a >= 1e6) return (ns / 1e6).toFixed(3) + 'ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(1) + '\u00b5s';
    return ns + 'ns';
  }
  /* Previews hold one code point per byte (sim/TRACE.md). */
  function previewText(s) {
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      out += c >= 0x20 && c < 0x7f ? s[i] : '\\x' + (c < 16 ? '0' : '') + c.toString(16);
    }
    return out;
  }
  function previewHex(s) {
    var out = [];
    for (var i = 0; i < s.length; i++) out.push(('0' + (s.charCodeAt(i) & 255).toString(16)).slice(-2));
    return out.join(' ');
  }

  /* ---- lanes ---------------------------------------------------------------- */
  var nodes = D.nodes.map(function (n, i) { return { i: i, name: str(n[0]), addr: str(n[1]) }; });
  var lanes = D.lanes.map(function (l, i) {
    return { i: i, node: l[0], id: i === 0 ? 'sim' : str(l[1]), type: str(l[2]), x: -1 };
  });
  var laneOrder = lanes.slice().sort(function (a, b) {
    return a.node - b.node || a.i - b.i;
  }).map(function (l) { return l.i; });

  /* Per-event category and fault/drop marks. */
  var cat = new Uint8Array(N), catIndex = {};
  CAT_LIST.concat(['failure']).forEach(function (c, i) { catIndex[c] = i; });
  var kindCat = S.map(function (s) { return CATS[s] ? catIndex[CATS[s]] : 0; });
  for (var i = 0; i < N; i++) cat[i] = kindCat[E.k[i]];
  var FAIL = D.fail;

  /* Arrows per event, for the details panel. */
  var arrowsOf = null;
  function arrowsOfEvent(ev) {
    if (!arrowsOf) {
      arrowsOf = new Map();
      for (var j = 0; j < NA; j++) {
        [A.a[j], A.b[j]].forEach(function (e) {
          if (e < 0) return;
          var l = arrowsOf.get(e);
          if (!l) arrowsOf.set(e, l = []);
          l.push(j);
        });
      }
    }
    return arrowsOf.get(ev) || [];
  }

  /* ---- state ------------------------------------------------------------------ */
  var st = {
    node: '', process: '', name: '', cats: {}, selected: -1,
    rows: null, rowOf: new Int32Array(N), laneW: 140, width: 0,
    arrowVisible: null, arrowRA: null, arrowRB: null, blockStart: null, blockItems: null,
    visibleArrows: 0, visibleLanes: 0, rendered: { arrows: 0, events: 0 }, scale: 1
  };
  CAT_LIST.forEach(function (c) { st.cats[c] = true; });

  var scroll = $('scroll'), view = $('view'), filler = $('filler');

  function laneMatches(l) {
    if (l.i === 0) return true;
    if (st.node !== '' && String(l.node) !== st.node) return false;
    if (!st.process) return true;
    var terms = st.process.toLowerCase().split(',');
    for (var t = 0; t < terms.length; t++) {
      var q = terms[t].trim();
      if (!q || l.id.toLowerCase().indexOf(q) >= 0 || l.type.toLowerCase().indexOf(q) >= 0)
        return true;
    }
    return false;
  }

  function layoutLanes() {
    var vis = laneOrder.filter(function (i) { return laneMatches(lanes[i]); });
    var avail = Math.max(200, scroll.clientWidth - GUTTER - 4);
    st.laneW = Math.max(MIN_LANE, Math.min(MAX_LANE, Math.floor(avail / Math.max(1, vis.length))));
    lanes.forEach(function (l) { l.x = -1; });
    vis.forEach(function (li, k) { lanes[li].x = GUTTER + k * st.laneW + st.laneW / 2; });
    st.visibleLanes = vis.length - 1; /* without the simulator lane */
    st.width = GUTTER + vis.length * st.laneW;
    st.laneSeq = vis;
  }

  function eventVisible(i, nameQ) {
    if (i === FAIL) return true;
    if (lanes[E.l[i]].x < 0) return false;
    var c = CAT_LIST[cat[i]];
    if (c && !st.cats[c]) return false;
    if (!nameQ || FAULT_KINDS[kindOf(i)]) return true;
    return str(E.n[i]).toLowerCase().indexOf(nameQ) >= 0;
  }

  function computeRows() {
    var nameQ = st.name.trim().toLowerCase();
    var rows = new Int32Array(N), n = 0, rowOf = st.rowOf;
    for (var i = 0; i < N; i++) {
      if (eventVisible(i, nameQ)) { rowOf[i] = n; rows[n++] = i; } else rowOf[i] = -1;
    }
    st.rows = rows.subarray(0, n);
  }

  /* The first visible row at or after event ev (binary search on rows). */
  function rowAtOrAfter(ev) {
    var rows = st.rows, lo = 0, hi = rows.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (rows[mid] < ev) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /* Visible arrows, bucketed by blocks of rows they cross (CSR). */
  function computeArrows() {
    var nRows = st.rows.length, nb = Math.ceil(nRows / BLOCK) + 1;
    var ra = new Int32Array(NA), rb = new Int32Array(NA), vis = new Uint8Array(NA);
    var counts = new Int32Array(nb + 1), total = 0, n = 0;
    for (var j = 0; j < NA; j++) {
      var b = st.rowOf[A.b[j]], la = lanes[A.la[j]], lb = lanes[A.lb[j]];
      if (b < 0 || la.x < 0 || lb.x < 0) continue;
      var a = A.a[j] >= 0 ? st.rowOf[A.a[j]] : b;
      if (a < 0) a = b;
      ra[j] = a; rb[j] = b; vis[j] = 1; n++;
      var lo = Math.min(a, b) / BLOCK | 0, hi = Math.max(a, b) / BLOCK | 0;
      for (var k = lo; k <= hi; k++) { counts[k + 1]++; total++; }
    }
    for (var k2 = 0; k2 < nb; k2++) counts[k2 + 1] += counts[k2];
    var items = new Int32Array(total), fill = counts.slice(0, nb);
    for (j = 0; j < NA; j++) {
      if (!vis[j]) continue;
      var lo2 = Math.min(ra[j], rb[j]) / BLOCK | 0, hi2 = Math.max(ra[j], rb[j]) / BLOCK | 0;
      for (var k3 = lo2; k3 <= hi2; k3++) items[fill[k3]++] = j;
    }
    st.arrowVisible = vis; st.arrowRA = ra; st.arrowRB = rb;
    st.blockStart = counts; st.blockItems = items; st.visibleArrows = n;
  }

  /* ---- header ------------------------------------------------------------------ */
  function renderHeader() {
    var html = '<div class="gutter-head" style="width:' + GUTTER + 'px">virtual time<br><span>step</span></div>';
    var groups = [];
    st.laneSeq.forEach(function (li) {
      var l = lanes[li], g = groups[groups.length - 1];
      if (!g || g.node !== l.node) groups.push(g = { node: l.node, lanes: [] });
      g.lanes.push(l);
    });
    groups.forEach(function (g, gi) {
      var n = g.node >= 0 ? nodes[g.node] : null;
      html += '<div class="node-group' + (n ? ' g' + (gi % 2) : ' sim') + '" data-node="' +
        (n ? esc(n.name) : '') + '" style="width:' + g.lanes.length * st.laneW + 'px">' +
        '<div class="node-title" title="' + (n ? esc(n.addr) : 'the simulator: timers, partitions, scenario stimuli') + '">' +
        (n ? esc(n.name) + ' <span>' + esc(n.addr) + '</span>' : 'sim') + '</div><div class="node-lanes">';
      g.lanes.forEach(function (l) {
        html += l.i === 0
          ? '<div class="lane lane-sim" data-lane="0" style="width:' + st.laneW + 'px">\u2699 scenario</div>'
          : '<div class="lane" data-lane="' + l.i + '" data-process="' + esc(l.id) + '" data-node="' +
            esc(nodes[l.node].name) + '" style="width:' + st.laneW + 'px" title="' +
            esc(l.id + '@' + nodes[l.node].addr + (l.type ? ' (' + l.type + ')' : '')) + '">' +
            '<b>' + esc(l.id) + '</b><span>' + esc(l.type) + '</span></div>';
      });
      html += '</div></div>';
    });
    $('lanes').innerHTML = html;
    $('lanes').style.width = st.width + 'px';
  }

  /* ---- the diagram ------------------------------------------------------------- */
  var DEFS = '<defs>' + ['net', 'dup', 'drop', 'local', 'exited', 'stimulus'].map(function (k) {
    return '<marker id="head-' + k + '" class="head k-' + k + '" viewBox="0 0 10 10" refX="9" refY="5" ' +
      'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>';
  }).join('') + '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" ' +
    'patternTransform="rotate(45)"><rect width="8" height="8" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="8" class="hatch-line"/></pattern></defs>';

  function yOf(row, top) { return row * ROW - top + ROW / 2; }

  function laneSpanRects(nodesList, y1, y2, cls, extra) {
    var out = '';
    st.laneSeq.forEach(function (li) {
      var l = lanes[li];
      if (li === 0 && nodesList) return;
      if (nodesList && nodesList.indexOf(l.node) < 0) return;
      out += '<rect class="' + cls + '" x="' + (l.x - st.laneW / 2 + 1) + '" y="' + y1 +
        '" width="' + (st.laneW - 2) + '" height="' + Math.max(2, y2 - y1) + '"' + (extra || '') + '/>';
    });
    return out;
  }

  function renderFaults(first, last, top) {
    var out = '';
    D.faults.forEach(function (f) {
      var kind = kindOf(f[0]), r0 = rowAtOrAfter(f[0]);
      var r1 = f[1] >= 0 ? rowAtOrAfter(f[1]) : st.rows.length;
      var spans = kind === 'partition' || kind === 'crash' || kind === 'power-off' || kind === 'pause';
      if (f[1] >= 0 && spans && r1 >= first && r0 <= last) {
        out += laneSpanRects(f[2], yOf(r0, top), yOf(r1, top), 'span k-' + kind);
      } else if (f[1] < 0 && spans && r0 <= last) {
        out += laneSpanRects(f[2], yOf(r0, top), yOf(st.rows.length, top), 'span k-' + kind);
      }
      if (r0 < first || r0 > last || st.rowOf[f[0]] < 0) return;
      var y = yOf(r0, top) - ROW / 2 + 2;
      var lx = GUTTER + 6;
      if (f[2]) {
        for (var q = 0; q < st.laneSeq.length; q++) {
          var ql = lanes[st.laneSeq[q]];
          if (ql.i && f[2].indexOf(ql.node) >= 0) { lx = ql.x - st.laneW / 2 + 6; break; }
        }
      }
      out += '<g class="band k-' + kind + '" data-i="' + f[0] + '" data-kind="' + kind + '">' +
        laneSpanRects(f[2], y, y + ROW - 4, 'band-rect') +
        '<text class="band-label" x="' + lx + '" y="' + (y + ROW / 2 + 2) + '">' + esc(labelFor(f[0])) + '</text></g>';
    });
    return out;
  }

  function labelFor(i) {
    var k = kindOf(i), n = str(E.n[i]);
    switch (k) {
      case 'init': return 'init';
      case 'terminate': return 'terminate';
      case 'timer': return 'timer';
      case 'dispatch': return '';
      case 'http': return 'HTTP ' + n;
      case 'exited': return 'exited ' + n;
      case 'probe': return '\u2605 ' + n;
      case 'partition': return 'partition ' + n;
      case 'heal': return 'heal';
      case 'crash': return 'crash ' + nodeLabel(i);
      case 'restart': return 'restart ' + nodeLabel(i);
      case 'clog': return 'clog ' + nodeLabel(i).split(', ')[0] + ' \u2192 ' + nodeNameOfAddr(n);
      case 'cut': return 'cut ' + nodeLabel(i).split(', ')[0] + ' \u2192 ' + nodeNameOfAddr(n);
      case 'power-off': return 'power off ' + nodeLabel(i);
      case 'pause': return 'pause ' + nodeLabel(i) + ' ' + n;
      case 'resume': return 'resume ' + nodeLabel(i);
      case 'clock': return 'clock ' + nodeLabel(i) + ': ' + n;
      case 'write': return 'write ' + n;
      case 'sync': return 'sync ' + n;
      case 'write-lost': return '\u2717 unsynced write lost: ' + n;
      case 'write-torn': return '\u2702 unsynced write torn: ' + n;
      case 'write-kept': return 'unsynced write kept: ' + n;
      case 'disk-error': return '\u26a0 ' + n;
      case 'check': return '\u2716 ' + n;
      case 'stimulus': return '';
      default: return n;
    }
  }
  function nodeNameOfAddr(a) {
    for (var i = 0; i < nodes.length; i++) if (nodes[i].addr === a) return nodes[i].name;
    return a;
  }
  function nodeLabel(i) {
    var f = D.faults.find(function (x) { return x[0] === i; });
    return f && f[2] ? f[2].map(function (n) { return nodes[n].name; }).join(', ') : '';
  }

  function renderEvents(first, last, top) {
    var out = '', n = 0;
    for (var r = first; r <= last; r++) {
      var i = st.rows[r], k = kindOf(i), l = lanes[E.l[i]], y = yOf(r, top);
      if (FAULT_KINDS[k]) continue; /* drawn as bands */
      var x = l.x, cls = 'ev k-' + k + (i === st.selected ? ' selected' : '');
      var shape;
      if (k === 'init') shape = '<rect x="' + (x - 6) + '" y="' + (y - 6) + '" width="12" height="12" rx="3"/>';
      else if (k === 'terminate') shape = '<path d="M' + (x - 5) + ',' + (y - 5) + 'l10,10m0,-10l-10,10"/>';
      else if (k === 'timer' || k === 'probe') shape = '<circle cx="' + x + '" cy="' + y + '" r="5"/>';
      else if (k === 'dispatch') shape = '<path d="M' + x + ',' + (y - 6) + 'l6,6l-6,6l-6,-6z"/>';
      else if (k === 'check') shape = '<circle cx="' + x + '" cy="' + y + '" r="6"/>';
      else shape = '<circle cx="' + x + '" cy="' + y + '" r="' + (k === 'send' || k === 'deliver' ? 3 : 4) + '"/>';
      var label = labelFor(i), showLabel = label && i !== FAIL && !/^(message|send|deliver|drop|duplicate)$/.test(k);
      if (k === 'message' && !arrowsOfEvent(i).length) showLabel = true; /* e.g. posted by the scenario */
      out += '<g class="' + cls + '" data-i="' + i + '">' + '<rect class="hit" x="' + (x - st.laneW / 2) +
        '" y="' + (y - ROW / 2) + '" width="' + st.laneW + '" height="' + ROW + '"/>' + shape +
        (showLabel ? '<text class="ev-label" x="' + (x + 9) + '" y="' + (y + 4) + '">' + esc(label) + '</text>' : '') +
        '</g>';
      n++;
    }
    st.rendered.events = n;
    return out;
  }

  /* Arrows with an end in view are SVG (labels, clicks); arrows only
   * passing through (many messages in flight) are faint canvas lines, so
   * the DOM stays small whatever the trace. */
  var through = $('through');
  function renderArrows(first, last, top, h) {
    var seen = new Set(), out = '', n = 0, b0 = first / BLOCK | 0, b1 = last / BLOCK | 0;
    var c = prepareThrough(h), passing = 0;
    for (var b = b0; b <= b1; b++) {
      for (var p = st.blockStart[b]; p < st.blockStart[b + 1]; p++) {
        var j = st.blockItems[p];
        if (seen.has(j)) continue;
        seen.add(j);
        var ra = st.arrowRA[j], rb = st.arrowRB[j];
        if ((ra < first || ra > last) && (rb < first || rb > last)) {
          c.strokeStyle = THROUGH_COLORS[A.k[j]];
          c.beginPath();
          c.moveTo(lanes[A.la[j]].x, yOf(ra, top));
          c.lineTo(lanes[A.lb[j]].x, yOf(rb, top));
          c.stroke();
          passing++;
          continue;
        }
        out += arrowSvg(j, top, first, last);
        n++;
      }
    }
    st.rendered.arrows = n;
    st.rendered.through = passing;
    return out;
  }
  var THROUGH_COLORS = ['rgba(37,99,235,.28)', 'rgba(217,119,6,.3)', 'rgba(212,32,32,.3)',
    'rgba(15,138,126,.3)', 'rgba(124,133,151,.3)', 'rgba(139,63,209,.3)'];
  function prepareThrough(h) {
    var dpr = window.devicePixelRatio || 1, w = st.width;
    if (through.width !== Math.round(w * dpr) || through.height !== Math.round(h * dpr)) {
      through.width = Math.round(w * dpr);
      through.height = Math.round(h * dpr);
      through.style.width = w + 'px';
      through.style.height = h + 'px';
    }
    var c = through.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, h);
    c.lineWidth = 1.2;
    return c;
  }

  function arrowSvg(j, top, first, last) {
    var kind = ARROW_KINDS[A.k[j]], la = lanes[A.la[j]], lb = lanes[A.lb[j]];
    var ra = st.arrowRA[j], rb = st.arrowRB[j], x1 = la.x, x2 = lb.x, y1 = yOf(ra, top), y2 = yOf(rb, top);
    var dir = x2 >= x1 ? 1 : -1, lost = kind === 'drop';
    var stub = A.a[j] < 0 && kind === 'drop'; /* dropped when sent: ends half way */
    if (stub) { x2 = x1 + (x2 - x1) * 0.55; }
    if (x1 === x2) { x2 = x1 + 0.01; }
    x1 += dir * 4; x2 -= dir * (stub ? 0 : 5);
    var sel = A.b[j] === st.selected || A.a[j] === st.selected ? ' selected' : '';
    var name = str(E.n[A.b[j]]), label = kind === 'exited' ? 'exited' : name;
    /* Label where the arrow is in view: its start, else where it enters. */
    var t = ra >= first && ra <= last ? 0.18 : rb >= first && rb <= last ? 0.8 : 0.5;
    if (Math.abs(rb - ra) <= 3) t = 0.5;
    var lx = x1 + (x2 - x1) * t, ly = y1 + (y2 - y1) * t - 4;
    var g = '<g class="arrow k-' + kind + sel + '" data-arrow="' + j + '" data-i="' + A.b[j] + '" data-kind="' + kind + '">' +
      '<line class="hit" x1="' + x1 + '" y1="' + y1 + '" x2="' + x2 + '" y2="' + y2 + '"/>' +
      '<line class="shaft" x1="' + x1 + '" y1="' + y1 + '" x2="' + x2 + '" y2="' + y2 + '"' +
      (lost ? '' : ' marker-end="url(#head-' + kind + ')"') + '/>';
    if (lost) g += '<path class="lost" d="M' + (x2 - 5) + ',' + (y2 - 5) + 'l10,10m0,-10l-10,10"/>';
    if (label) g += '<text class="arrow-label" x="' + lx + '" y="' + ly + '" text-anchor="middle">' + esc(label) + '</text>';
    return g + '</g>';
  }

  function renderFailure(first, last, top) {
    if (FAIL < 0) return '';
    var r = st.rowOf[FAIL];
    if (r < first || r > last) return '';
    var y = yOf(r, top) - ROW / 2 + 1, msg = R.failure || str(E.n[FAIL]);
    return '<g id="failure" class="failure" data-i="' + FAIL + '"><rect x="' + GUTTER + '" y="' + y +
      '" width="' + (st.width - GUTTER) + '" height="' + (ROW - 2) + '"/>' +
      '<text x="' + (GUTTER + 8) + '" y="' + (y + ROW / 2 + 3) + '">\u2716 ' + esc(msg) + '</text></g>';
  }

  function renderGutter(first, last, top, h) {
    var out = '<rect class="gutter" x="0" y="0" width="' + GUTTER + '" height="' + h + '"/>';
    var prevT = first > 0 ? E.t[st.rows[first - 1]] : -1;
    for (var r = first; r <= last; r++) {
      var i = st.rows[r], y = yOf(r, top), t = E.t[i];
      if (r % 2) out += '<rect class="stripe" x="' + GUTTER + '" y="' + (y - ROW / 2) + '" width="' + (st.width - GUTTER) + '" height="' + ROW + '"/>';
      out += '<text class="step" x="' + (GUTTER - 8) + '" y="' + (y + 4) + '" text-anchor="end">' + E.s[i] + '</text>';
      if (t !== prevT) out += '<text class="time" x="6" y="' + (y + 4) + '">' + fmtTime(t) + '</text>';
      prevT = t;
    }
    return out;
  }

  function renderLaneLines(h) {
    var out = '';
    st.laneSeq.forEach(function (li, k) {
      var l = lanes[li], prev = k ? lanes[st.laneSeq[k - 1]] : null;
      if (prev && prev.node !== l.node)
        out += '<line class="node-sep" x1="' + (l.x - st.laneW / 2) + '" y1="0" x2="' + (l.x - st.laneW / 2) + '" y2="' + h + '"/>';
      out += '<line class="lifeline' + (li === 0 ? ' sim' : '') + '" x1="' + l.x + '" y1="0" x2="' + l.x + '" y2="' + h + '"/>';
    });
    return out;
  }

  var selRowBand = '';
  function render() {
    var h = scroll.clientHeight, nRows = st.rows.length;
    var top = scroll.scrollTop * st.scale;
    var first = Math.max(0, Math.floor(top / ROW) - 2);
    var last = Math.min(nRows - 1, Math.ceil((top + h) / ROW) + 2);
    view.setAttribute('width', st.width);
    view.setAttribute('height', h);
    view.style.width = st.width + 'px';
    view.style.height = h + 'px';
    selRowBand = '';
    if (st.selected >= 0 && st.rowOf[st.selected] >= first && st.rowOf[st.selected] <= last) {
      var ys = yOf(st.rowOf[st.selected], top) - ROW / 2;
      selRowBand = '<rect class="sel-row" x="0" y="' + ys + '" width="' + st.width + '" height="' + ROW + '"/>';
    }
    var html = DEFS + renderGutter(first, last, top, h) + selRowBand + renderLaneLines(h);
    if (nRows) {
      html += renderFaults(first, last, top) + renderArrows(first, last, top, h) +
        renderEvents(first, last, top) + renderFailure(first, last, top);
    } else {
      st.rendered.arrows = st.rendered.events = st.rendered.through = 0;
      prepareThrough(h);
      html += '<text class="empty" x="' + (GUTTER + 12) + '" y="40">No event matches the filters.</text>';
    }
    view.innerHTML = html;
    drawOverview(first, last);
    updateApi();
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; render(); });
  }

  function sizeSpacer() {
    var h = scroll.clientHeight, full = st.rows.length * ROW + Math.floor(h / 2); /* room to centre the last row */
    var spacer = Math.min(full, MAX_SPACER);
    st.scale = spacer > h ? Math.max(1, (full - h) / (spacer - h)) : 1;
    filler.style.height = Math.max(0, spacer - h) + 'px';
    filler.style.width = st.width + 'px';
  }

  /* ---- overview strip ------------------------------------------------------------ */
  var ov = $('overview');
  var ovMarks = null;
  function computeOverview() {
    ovMarks = [];
    D.faults.forEach(function (f) { if (st.rowOf[f[0]] >= 0) ovMarks.push([st.rowOf[f[0]], 'fault']); });
    for (var j = 0; j < NA; j++)
      if (A.k[j] === 2 && st.arrowVisible[j]) ovMarks.push([st.arrowRB[j], 'drop']);
    if (FAIL >= 0 && st.rowOf[FAIL] >= 0) ovMarks.push([st.rowOf[FAIL], 'fail']);
  }
  function drawOverview(first, last) {
    var h = scroll.clientHeight, n = Math.max(1, st.rows.length);
    ov.style.height = h + 'px';
    if (ov.height !== h) ov.height = h;
    var c = ov.getContext('2d');
    c.clearRect(0, 0, ov.width, h);
    c.fillStyle = 'rgba(37,99,235,0.18)';
    c.fillRect(0, first / n * h, ov.width, Math.max(3, (last - first + 1) / n * h));
    var colors = { fault: '#ea8a00', drop: '#e5a0a0', fail: '#d42020' };
    ['drop', 'fault', 'fail'].forEach(function (kind) {
      c.fillStyle = colors[kind];
      ovMarks.forEach(function (m) {
        if (m[1] === kind) c.fillRect(kind === 'drop' ? 8 : 0, Math.floor(m[0] / n * h), kind === 'drop' ? 8 : 16, kind === 'fail' ? 4 : 2);
      });
    });
  }
  ov.addEventListener('click', function (e) {
    var rect = ov.getBoundingClientRect();
    scrollToRow(Math.floor((e.clientY - rect.top) / rect.height * st.rows.length), true);
  });

  /* ---- details panel ----------------------------------------------------------------- */
  function pidLabel(p) { return p || '\u2014'; }
  function select(i, scrollTo) {
    st.selected = i;
    var d = $('details');
    if (i < 0) { d.innerHTML = '<h2>Details</h2><p class="hint">Click an event or an arrow.</p>'; render(); return; }
    var k = kindOf(i), l = lanes[E.l[i]], node = l.node >= 0 ? nodes[l.node] : null;
    var rows = [
      ['kind', k], ['step', E.s[i]], ['virtual time', fmtTime(E.t[i]) + ' (' + E.t[i] + ' ns)'],
      ['node', node ? node.name + ' (' + node.addr + ')' : '\u2014'],
      ['process', l.i === 0 ? '\u2014' : l.id + (l.type ? ' (' + l.type + ')' : '')],
      ['name', str(E.n[i]) || '\u2014'], ['from', pidLabel(str(E.f[i]))], ['to', pidLabel(str(E.o[i]))],
      ['body length', E.z[i] + ' bytes'],
      ['decision', E.d[i] ? 'option ' + E.c[i] + ' of ' + E.d[i] : 'none (0/0)']
    ];
    var html = '<h2>' + esc(k) + (i === FAIL ? ' <span class="pill fail">failure</span>' : '') +
      '</h2><table class="kv" id="details-table">';
    rows.forEach(function (r) {
      html += '<tr data-field="' + esc(r[0]) + '"><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>';
    });
    html += '</table>';
    var pv = str(E.p[i]);
    if (E.z[i] || pv) {
      html += '<h3>Body preview' + (E.z[i] > pv.length ? ' (first ' + pv.length + ' of ' + E.z[i] + ' bytes)' : '') +
        '</h3><pre class="preview" id="details-preview">' + esc(previewText(pv)) + '</pre>' +
        '<pre class="hex">' + esc(previewHex(pv)) + '</pre>';
    }
    if (i === FAIL && R.failure) html += '<h3>Failure</h3><p class="failmsg">' + esc(R.failure) + '</p>';
    var links = arrowsOfEvent(i);
    if (links.length) {
      html += '<h3>Linked</h3><ul class="links">';
      links.forEach(function (j) {
        var other = A.a[j] === i ? A.b[j] : A.a[j], kind = ARROW_KINDS[A.k[j]];
        if (other < 0) { html += '<li>' + esc(kind === 'drop' ? 'dropped when sent (' + str(E.n[i]) + ')' : kind) + '</li>'; return; }
        var verb = A.a[j] === i ? (kind === 'drop' ? 'dropped at' : 'then ' + kindOf(other) + ' at') : 'from ' + kindOf(other) + ' at';
        html += '<li><a href="#" data-goto="' + other + '">' + esc(verb + ' step ' + E.s[other] + ' \u00b7 ' + fmtTime(E.t[other]) + ' on ' + lanes[E.l[other]].id) + '</a></li>';
      });
      html += '</ul>';
    }
    d.innerHTML = html;
    if (scrollTo) scrollToEvent(i);
    else render();
  }
  $('details').addEventListener('click', function (e) {
    var a = e.target.closest('[data-goto]');
    if (!a) return;
    e.preventDefault();
    select(+a.getAttribute('data-goto'), true);
  });
  view.addEventListener('click', function (e) {
    var g = e.target.closest('[data-i]');
    if (g) select(+g.getAttribute('data-i'), false);
  });
  scroll.addEventListener('keydown', function (e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    var r = st.selected >= 0 ? st.rowOf[st.selected] : -1;
    r = Math.max(0, Math.min(st.rows.length - 1, r + (e.key === 'ArrowDown' ? 1 : -1)));
    if (st.rows.length) { e.preventDefault(); select(st.rows[r], true); }
  });

  function scrollToRow(r, center) {
    var h = scroll.clientHeight, y = r * ROW - (center ? h / 2 - ROW : 0);
    scroll.scrollTop = Math.max(0, y / st.scale);
    render();
  }
  function scrollToEvent(i) {
    if (i < 0 || i >= N) { render(); return; }
    var r = st.rowOf[i];
    if (r < 0) r = rowAtOrAfter(i);
    var h = scroll.clientHeight, top = scroll.scrollTop * st.scale;
    if (r * ROW < top + ROW || r * ROW > top + h - 2 * ROW) scrollToRow(r, true);
    else render();
  }

  /* ---- title, filters ------------------------------------------------------------- */
  /* The replay commands the program that made the report recorded: they name
   * that program (a user's runner too), its --load options, and a trace only
   * when it still exists. None recorded, none shown. */
  function replayHint() {
    var rp = D.replay || {}, parts = [];
    if (rp.seed) parts.push('<code id="replay-seed">' + esc(rp.seed) + '</code>');
    if (rp.trace) parts.push((rp.seed ? 'or, following this trace exactly: ' : 'following this trace exactly: ') +
      '<code id="replay-trace">' + esc(rp.trace) + '</code>');
    return parts.length ? '<span class="replay">replay: ' + parts.join(' ') + '</span>' : '';
  }

  function renderTitle() {
    var status = R.status || 'incomplete';
    var probes = R.probes ? Object.keys(R.probes).map(function (p) { return p + ' \u00d7' + R.probes[p]; }).join(', ') : '';
    $('title').innerHTML = '<h1><span class="brand">Kairos</span> ' + esc(H.name || 'run') +
      ' <span class="seed">seed ' + esc(H.seed) + '</span> <span class="pill ' + esc(status) + '" id="status">' + esc(status) + '</span></h1>' +
      '<div class="meta">' + esc(H.scenario || '') + ' \u00b7 strategy ' + esc(H.strategy || '?') +
      (H.strategy === 'pct' ? ' (depth ' + esc(H.pct_depth) + ')' : '') +
      ' \u00b7 ' + esc(R.steps != null ? R.steps : '?') + ' steps \u00b7 ' + (R.time != null ? fmtTime(R.time) : '?') +
      ' virtual \u00b7 ' + N + ' events \u00b7 hash ' + esc(R.hash || '?') +
      (probes ? ' \u00b7 probes: ' + esc(probes) : '') + '</div>';
    if (FAIL >= 0 || status === 'fail' || status === 'error') {
      var b = $('failure-banner');
      b.hidden = false;
      b.innerHTML = '<b>\u2716 ' + esc(R.signature || 'failure') + '</b> ' + esc(R.failure || (FAIL >= 0 ? str(E.n[FAIL]) : '')) +
        (FAIL >= 0 ? ' <span class="where">at step ' + E.s[FAIL] + ', ' + fmtTime(E.t[FAIL]) + '</span> <button type="button" id="goto-failure">Show</button>' : '') +
        replayHint();
      var g = $('goto-failure');
      if (g) g.addEventListener('click', function () { select(FAIL, true); });
    }
  }

  function setupFilters() {
    var sel = $('filter-node');
    nodes.forEach(function (n) {
      var o = document.createElement('option');
      o.value = String(n.i);
      o.textContent = n.name + ' (' + n.addr + ')';
      sel.appendChild(o);
    });
    var dl = $('process-list');
    lanes.forEach(function (l) {
      if (!l.i) return;
      var o = document.createElement('option');
      o.value = l.id;
      dl.appendChild(o);
    });
    var kf = $('kind-filters');
    CAT_LIST.forEach(function (c) {
      var lab = document.createElement('label');
      lab.className = 'kind-toggle c-' + c;
      lab.innerHTML = '<input type="checkbox" checked id="filter-kind-' + c + '" data-cat="' + c + '"> ' + c;
      kf.appendChild(lab);
    });
    function onChange() {
      st.node = sel.value;
      st.process = $('filter-process').value;
      st.name = $('filter-name').value;
      kf.querySelectorAll('input').forEach(function (inp) { st.cats[inp.getAttribute('data-cat')] = inp.checked; });
      apply();
    }
    ['filter-node', 'filter-process', 'filter-name'].forEach(function (id) {
      $(id).addEventListener('input', onChange);
      $(id).addEventListener('change', onChange);
    });
    kf.addEventListener('change', onChange);
    $('filter-clear').addEventListener('click', function () {
      sel.value = ''; $('filter-process').value = ''; $('filter-name').value = '';
      kf.querySelectorAll('input').forEach(function (inp) { inp.checked = true; });
      onChange();
    });
  }

  /* Recomputes everything that depends on the filters, keeping the
   * selected (or the top) event in view. Synchronous: tests see the result. */
  function apply() {
    var anchor = st.selected >= 0 ? st.selected : st.rows && st.rows.length ? st.rows[Math.min(st.rows.length - 1, Math.floor(scroll.scrollTop * st.scale / ROW))] : -1;
    layoutLanes();
    computeRows();
    computeArrows();
    computeOverview();
    renderHeader();
    sizeSpacer();
    $('stats').textContent = st.rows.length + ' of ' + N + ' events \u00b7 ' + st.visibleArrows + ' arrows \u00b7 ' + st.visibleLanes + ' of ' + (lanes.length - 1) + ' processes';
    if (anchor >= 0) scrollToEvent(anchor);
    else render();
  }

  function updateApi() {
    var api = window.kairosReport;
    api.visibleEvents = st.rows.length;
    api.visibleLanes = st.visibleLanes;
    api.visibleArrows = st.visibleArrows;
    api.renderedArrows = st.rendered.arrows;
    api.renderedEvents = st.rendered.events;
    api.passingArrows = st.rendered.through;
    api.selected = st.selected;
  }

  window.kairosReport = {
    events: N, lanes: lanes.length - 1, arrows: NA, nodes: nodes.length, failureEvent: FAIL,
    parseMs: T_PARSE, select: function (i) { select(i, true); }, scrollToEvent: scrollToEvent,
    setFilter: function (f) {
      if ('node' in f) $('filter-node').value = f.node;
      if ('process' in f) $('filter-process').value = f.process;
      if ('name' in f) $('filter-name').value = f.name;
      $('filter-name').dispatchEvent(new Event('input'));
    },
    arrowKinds: ARROW_KINDS, faultEvents: D.faults.map(function (f) { return f[0]; })
  };

  scroll.addEventListener('scroll', function () {
    $('lanes-wrap').scrollLeft = scroll.scrollLeft;
    schedule();
  }, { passive: true });
  window.addEventListener('resize', function () { apply(); });

  renderTitle();
  setupFilters();
  apply();
  if (FAIL >= 0) select(FAIL, true);
  window.kairosReport.initMs = performance.now() - T0;
  window.kairosReport.loadMs = performance.now(); /* since navigation start */
  document.body.setAttribute('data-ready', '1');
})();
