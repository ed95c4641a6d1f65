/* DOM checks of a Kairos run report, injected after the report's own script
 * by report_test.sh. Results go to the pre#kairos-test-result element and the
 * title ("KAIROS-TEST PASS"/"KAIROS-TEST FAIL") for chromium --dump-dom. */
(function () {
  'use strict';
  var out = [], ok = true;
  function check(cond, msg) { out.push((cond ? 'ok   ' : 'FAIL ') + msg); if (!cond) ok = false; }
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function visible(el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); }
  try {
    var R = window.kairosReport;
    check(!!R, 'window.kairosReport exists');
    var mode = document.documentElement.getAttribute('data-test-mode') || 'full';
    out.push('events ' + R.events + ', arrows ' + R.arrows + ', lanes ' + R.lanes +
      ', parse ' + R.parseMs.toFixed(1) + ' ms, init+first render ' + R.initMs.toFixed(1) +
      ' ms, page ready at ' + R.loadMs.toFixed(1) + ' ms after navigation start');
    var lanes = all('.lane[data-process]');
    check(lanes.length === R.lanes && lanes.length >= 10, 'a lane per process: ' + lanes.length);
    check(all('.node-group[data-node]').filter(function (g) { return g.getAttribute('data-node'); }).length === 3,
      'lanes grouped under 3 nodes');
    var arrows = all('#view .arrow');
    check(arrows.length > 0 && arrows.length === R.renderedArrows, 'arrows rendered: ' + arrows.length);
    check(R.arrows > arrows.length || R.events < 500, 'virtualised: ' + arrows.length + ' of ' + R.arrows + ' arrows in the DOM');
    check(R.renderedEvents < 120, 'only the visible window is drawn: ' + R.renderedEvents + ' event marks');
    var f = document.getElementById('failure');
    check(!!f, '#failure is drawn');
    if (f) {
      var fr = f.getBoundingClientRect(), sr = document.getElementById('scroll').getBoundingClientRect();
      check(fr.top >= sr.top && fr.bottom <= sr.bottom, '#failure is scrolled into view');
      check(/money-conserved/.test(f.textContent), '#failure names the check: ' + f.textContent.slice(0, 60));
    }
    check(/check/.test(document.getElementById('details').textContent), 'details show the failing check');
    check(all('script').length === 3, 'no script injected by trace strings (' + all('script').length + ' scripts)');
    if (mode === 'full') {
      var D = JSON.parse(document.getElementById('kairos-data').textContent);
      check(D.str.indexOf('/search?q=<\/script><script>alert(1)<\/script>&caf\u00e9') >= 0,
        'hostile HTTP path round-trips as data (with unicode)');
      var kinds = {};
      R.faultEvents.forEach(function (ev) {
        R.scrollToEvent(ev);
        all('#view .band[data-kind]').forEach(function (b) { kinds[b.getAttribute('data-kind')] = 1; });
      });
      check(['partition', 'heal', 'crash', 'restart', 'clog'].every(function (k) { return kinds[k]; }),
        'fault bands drawn: ' + Object.keys(kinds).join(','));
      R.scrollToEvent(R.faultEvents[0]);
      var seenDrop = false;
      for (var s = 0; s < 8 && !seenDrop; s++) {
        seenDrop = all('#view .arrow.k-drop').length > 0;
        document.getElementById('scroll').scrollTop += 300;
        R.scrollToEvent(-1);
      }
      check(seenDrop, 'dropped messages drawn during the partition');
      /* Process filter. */
      R.setFilter({ process: 'teller1' });
      var vis = lanes.filter(visible).length + all('.lane[data-process]').filter(visible).length;
      var shown = all('.lane[data-process]').map(function (l) { return l.getAttribute('data-process'); });
      check(shown.length === 1 && shown[0] === 'teller1', 'process filter leaves only teller1: ' + shown.join(','));
      check(R.visibleLanes === 1 && R.visibleEvents < R.events, 'process filter hides events: ' + R.visibleEvents + ' of ' + R.events);
      void vis;
      /* Node filter. */
      R.setFilter({ process: '', node: '2' });
      var nodesShown = all('.lane[data-process]').map(function (l) { return l.getAttribute('data-node'); });
      check(nodesShown.length === 4 && nodesShown.every(function (n) { return n === 'teller-b'; }),
        'node filter leaves teller-b lanes: ' + nodesShown.length);
      /* Message-name filter: jump to the top so plenty of arrows are in view. */
      R.setFilter({ node: '', name: 'withdraw' });
      document.getElementById('scroll').scrollTop = 0;
      R.scrollToEvent(0);
      var labels = all('#view .arrow .arrow-label').map(function (t) { return t.textContent; });
      check(labels.length > 0 && labels.every(function (t) { return t.indexOf('withdraw') >= 0; }),
        'name filter keeps only withdraw arrows: ' + labels.length + ' labels');
      R.setFilter({ name: 'no-such-message-xyz' });
      check(all('#view .arrow').length === 0, 'a name matching nothing hides every arrow');
      R.setFilter({ name: '' });
      check(R.visibleEvents === R.events, 'clearing filters shows every event again');
      /* Clicking an event opens its details. */
      var ev = document.querySelector('#view .ev.k-message, #view .ev.k-deliver');
      if (ev) ev.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      var kind = document.querySelector('#details-table [data-field="kind"] td');
      check(!!ev && !!kind && /message|deliver/.test(kind.textContent), 'click shows event details');
      check(!!document.querySelector('#details-table [data-field="decision"]'), 'details show the decision');
      R.select(R.failureEvent);
    } else {
      /* Scroll through a big trace: the DOM stays small. */
      var t0 = performance.now(), sc = document.getElementById('scroll'), worst = 0;
      for (var k = 0; k < 20; k++) {
        sc.scrollTop = sc.scrollHeight * k / 20;
        var t1 = performance.now();
        R.scrollToEvent(Math.floor(R.events * k / 20));
        worst = Math.max(worst, performance.now() - t1);
      }
      out.push('20 jumps across the trace: ' + (performance.now() - t0).toFixed(1) + ' ms, worst frame ' + worst.toFixed(1) + ' ms');
      var t2 = performance.now();
      R.setFilter({ process: 'teller1' });
      out.push('process filter over ' + R.events + ' events: ' + (performance.now() - t2).toFixed(1) + ' ms');
      check(R.renderedEvents < 120, 'still virtualised after scrolling: ' + R.renderedEvents);
    }
  } catch (e) {
    check(false, 'exception: ' + e + ' ' + (e.stack || ''));
  }
  document.title = 'KAIROS-TEST ' + (ok ? 'PASS' : 'FAIL');
  var pre = document.createElement('pre');
  pre.id = 'kairos-test-result';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
})();
