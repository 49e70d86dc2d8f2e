/**
 * The run pages' browser script, served from `/static/dashboard.js` (no CDN, no build step). It polls the
 * JSON API and updates the page in place: elements with `data-field="a.b"` show that field of the answer,
 * formatted by `data-format`; `data-bar` sets a bar's width in percent. Data only ever goes into the page
 * through `textContent`, never as markup.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  function get(obj, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function format(value, kind) {
    if (value === null || value === undefined) { return kind === 'opt' ? '' : '–'; }
    switch (kind) {
      case 'usd': return '$' + Number(value).toFixed(Number(value) !== 0 && Math.abs(value) < 1 ? 4 : 2);
      case 'pct': return Number(value).toFixed(1) + '%';
      case 'ms': return Math.round(Number(value)) + ' ms';
      case 'int': return Number(value).toLocaleString('en-US');
      case 'time': return new Date(value).toLocaleString();
      default: return String(value);
    }
  }
  function fill(root, data) {
    root.querySelectorAll('[data-field]').forEach(function (el) {
      el.textContent = format(get(data, el.getAttribute('data-field')), el.getAttribute('data-format'));
    });
    root.querySelectorAll('[data-bar]').forEach(function (el) {
      var v = Number(get(data, el.getAttribute('data-bar')) || 0);
      el.style.width = Math.max(0, Math.min(100, v)) + '%';
    });
    root.querySelectorAll('[data-status]').forEach(function (el) {
      el.className = 'status status-' + String(get(data, el.getAttribute('data-status')) || '').replace(/ /g, '-');
    });
  }
  function cell(tr, text, href) {
    var td = document.createElement('td');
    if (href) {
      var a = document.createElement('a');
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
    return td;
  }
  function renderFailures(tbody, failures, queueUrl) {
    tbody.replaceChildren();
    if (failures.length === 0) {
      var tr = document.createElement('tr');
      cell(tr, 'No failures.').colSpan = 3;
      tbody.appendChild(tr);
      return;
    }
    failures.forEach(function (f) {
      var tr = document.createElement('tr');
      cell(tr, f.reason);
      cell(tr, format(f.count, 'int')).className = 'num';
      var td = cell(tr, '');
      f.examples.forEach(function (id, i) {
        if (i > 0) { td.appendChild(document.createTextNode(', ')); }
        var a = document.createElement('a');
        a.href = queueUrl + '/' + encodeURIComponent(id);
        a.textContent = id;
        td.appendChild(a);
      });
      tbody.appendChild(tr);
    });
  }
  function renderRuns(tbody, runs) {
    tbody.replaceChildren();
    if (runs.length === 0) {
      var empty = document.createElement('tr');
      cell(empty, 'No runs yet: start one with loadgen run or POST /api/runs.').colSpan = 6;
      tbody.appendChild(empty);
      return;
    }
    runs.forEach(function (r) {
      var tr = document.createElement('tr');
      cell(tr, r.runId, '/runs/' + encodeURIComponent(r.runId));
      cell(tr, format(r.createdAt, 'time'));
      cell(tr, r.mode);
      var st = cell(tr, '');
      var badge = document.createElement('span');
      badge.className = 'status status-' + r.status.replace(/ /g, '-');
      badge.textContent = r.status;
      st.appendChild(badge);
      cell(tr, format(r.recorded, 'int') + ' / ' + format(r.total, 'int')).className = 'num';
      cell(tr, format(r.spentUsd, 'usd') + (r.budgetUsd ? ' of ' + format(r.budgetUsd, 'usd') : '')).className = 'num';
      tbody.appendChild(tr);
    });
  }
  var chart;
  function renderChart(canvas, throughput) {
    if (typeof Chart === 'undefined') { return; }
    var labels = throughput.buckets.map(function (b) { return new Date(b.start).toLocaleTimeString(); });
    var completed = throughput.buckets.map(function (b) { return b.completed; });
    var failed = throughput.buckets.map(function (b) { return b.failed; });
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = completed;
      chart.data.datasets[1].data = failed;
      chart.options.plugins.title.text = 'per ' + throughput.intervalMs / 1000 + ' s';
      chart.update('none');
      return;
    }
    chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: labels,
        datasets: [
          { label: 'completed', data: completed, backgroundColor: '#2e7d32' },
          { label: 'failed', data: failed, backgroundColor: '#c62828' },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { title: { display: true, text: 'per ' + throughput.intervalMs / 1000 + ' s' } },
      },
    });
  }
  function apply(page, data) {
    fill(document, data);
    var failures = document.getElementById('failures');
    if (failures && data.failures) { renderFailures(failures, data.failures, page.queueUrl); }
    var runs = document.getElementById('runs');
    if (runs && data.runs) { renderRuns(runs, data.runs); }
    var canvas = document.getElementById('throughput');
    if (canvas && data.throughput) { renderChart(canvas, data.throughput); }
    var stamp = document.getElementById('updated');
    if (stamp) { stamp.textContent = new Date().toLocaleTimeString(); }
  }
  function start() {
    var el = document.getElementById('page-data');
    if (!el) { return; }
    var page = JSON.parse(el.textContent);
    apply(page, page.initial);
    function poll() {
      fetch(page.api, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) { if (!res.ok) { throw new Error('HTTP ' + res.status); } return res.json(); })
        .then(function (data) {
          document.body.classList.remove('stale');
          apply(page, data);
        })
        .catch(function () { document.body.classList.add('stale'); })
        .finally(function () { setTimeout(poll, page.refreshMs); });
    }
    setTimeout(poll, page.refreshMs);
  }
  // Stop, pause and resume on the run page: a JSON POST to the button's URL, the answer shown beside it.
  function controls() {
    document.querySelectorAll('[data-control]').forEach(function (button) {
      button.addEventListener('click', function () {
        var out = document.getElementById('control-result');
        fetch(button.getAttribute('data-control'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          credentials: 'same-origin',
        })
          .then(function (res) { return res.json(); })
          .then(function (body) {
            if (out) { out.textContent = body.error ? body.error : body.status + ' (' + body.jobs + ' jobs)'; }
          })
          .catch(function (err) { if (out) { out.textContent = String(err); } });
      });
    });
  }
  function init() { controls(); start(); }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
`;
