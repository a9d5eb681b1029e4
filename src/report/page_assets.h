// Internal to report/: the page's fixed CSS and scripts, kept apart from the C++ that fills it.
#pragma once

namespace gpuplan::report::detail {

inline constexpr char kPageCss[] = R"css(
:root { --ink: #1d2330; --muted: #5b6475; --line: #dde2ea; --bg: #f5f7fa; --card: #fff;
        --accent: #0072B2; --bad: #C0392B; --good: #1E8449; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
header { background: #17324d; color: #fff; padding: 24px 32px 16px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; }
header .sub { margin: 0; color: #c9d6e3; }
nav { margin-top: 12px; display: flex; gap: 8px; flex-wrap: wrap; }
nav a { color: #fff; text-decoration: none; padding: 4px 12px; border: 1px solid #4d6f8f;
        border-radius: 999px; font-size: 14px; }
nav a:hover { background: #24486b; }
#report-health { margin-top: 6px; font-size: 11px; color: var(--muted); }
#report-health[data-state="error"] { color: var(--bad); font-weight: 600; }
main { max-width: 1320px; margin: 0 auto; padding: 8px 32px 40px; }
section.reader { margin-top: 28px; }
section.reader > h2 { font-size: 21px; margin: 0 0 4px; padding-bottom: 6px;
                      border-bottom: 2px solid var(--accent); }
.who { color: var(--muted); margin: 4px 0 16px; font-size: 14px; }
h3 { font-size: 16px; margin: 24px 0 8px; }
.summary { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--accent);
           border-radius: 6px; padding: 14px 20px 14px 36px; margin: 0; }
.summary li { margin: 4px 0; }
.summary li.problem { color: var(--bad); font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px;
        margin: 16px 0; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.kpi .v { font-size: 24px; font-weight: 650; }
.kpi .k { color: var(--muted); font-size: 13px; }
.kpi.bad { border-left: 4px solid var(--bad); }
.kpi.bad .v { color: var(--bad); }
.kpi.good { border-left: 4px solid var(--good); }
.warnings-box { background: #fff6e0; border: 1px solid #e0b252; border-left: 4px solid #d08c00;
                border-radius: 6px; padding: 8px 20px 8px 16px; margin: 12px 0; }
.warnings-box h3 { margin: 4px 0; color: #7a4b00; }
.warnings-box ul { margin: 4px 0; padding-left: 20px; }
td.met { color: var(--good); font-weight: 600; }
td.missed { color: var(--bad); font-weight: 700; }
tr.missed-row td { background: #fdecea; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 16px; }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px;
               padding: 12px 16px; break-inside: avoid; }
figure.chart h4 { margin: 0; font-size: 15px; }
figure.chart figcaption { color: var(--muted); font-size: 13px; margin-bottom: 8px; }
.canvas-box { position: relative; height: 300px; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line);
              border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left;
         white-space: nowrap; }
th { background: #eef2f7; font-weight: 600; white-space: normal; vertical-align: bottom; }
td.wrap { white-space: normal; min-width: 150px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { background: #eaf4fb; font-weight: 600; }
td.error { color: var(--bad); white-space: normal; }
.na { color: var(--muted); font-style: italic; background: var(--card); border: 1px dashed var(--line);
      border-radius: 6px; padding: 10px 14px; }
.na .err { color: var(--bad); font-style: normal; }
pre#raw-json { max-height: 480px; overflow: auto; background: #0f1722; color: #d6e2ef;
               padding: 12px; border-radius: 6px; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 16px; }
@media print {
  body { background: #fff; font-size: 11pt; }
  header { background: #fff; color: var(--ink); padding: 0 0 8px; border-bottom: 2px solid var(--ink); }
  header .sub { color: var(--muted); }
  nav, #report-health, details.raw { display: none; }
  .warnings-box { border-color: #bbb; }
  main { max-width: none; padding: 0; }
  .charts { grid-template-columns: 1fr 1fr; }
  figure.chart, .kpi, .summary, .table-wrap { border-color: #bbb; }
  section.reader { break-before: page; }
  section.reader:first-of-type { break-before: auto; }
  .canvas-box { height: 240px; }
}
)css";

// Runs first: records uncaught errors and console.error into #report-health, which tests read.
inline constexpr char kHealthScript[] = R"js(
(function () {
  var health = { errors: [], expected: 0, rendered: 0, drawn: [], done: false };
  health.update = function () {
    var el = document.getElementById('report-health');
    if (!el) return;
    var ok = health.done && health.errors.length === 0 && health.rendered === health.expected;
    el.setAttribute('data-state', ok ? 'ok' : (health.done ? 'error' : 'pending'));
    el.setAttribute('data-errors', String(health.errors.length));
    el.setAttribute('data-charts-expected', String(health.expected));
    el.setAttribute('data-charts-rendered', String(health.rendered));
    el.setAttribute('data-charts-drawn', health.drawn.join(' '));
    el.textContent = 'charts rendered: ' + health.rendered + ' of ' + health.expected +
        '; errors: ' + (health.errors.length ? health.errors.join(' | ') : 'none');
  };
  window.gpuplanHealth = health;
  window.onerror = function (message, source, line) {
    health.errors.push(String(message) + (line ? ' (line ' + line + ')' : ''));
    health.update();
  };
  window.addEventListener('unhandledrejection', function (e) {
    health.errors.push('unhandled rejection: ' + String(e.reason));
    health.update();
  });
  // A resource that fails to load (an image, a script, a stylesheet) fires a non-bubbling
  // error event on its element: catch it on the way down.
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) {
      health.errors.push('failed to load ' + (t.src || t.href));
      health.update();
    }
  }, true);
  // Any request beyond the page itself (the page must make none).
  health.networkRequests = function () {
    if (!window.performance || !performance.getEntriesByType) return [];
    return performance.getEntriesByType('resource').map(function (r) { return r.name; })
        .filter(function (n) { return !/^(file|data|blob|about):/.test(n); });
  };
  var consoleError = console.error;
  console.error = function () {
    health.errors.push(Array.prototype.map.call(arguments, String).join(' '));
    health.update();
    return consoleError.apply(console, arguments);
  };
})();
)js";

// Runs last: hands each chart spec to Chart.js and reports how many drew.
inline constexpr char kRenderScript[] = R"js(
(function () {
  var health = window.gpuplanHealth;
  function done() {
    health.networkRequests().forEach(function (url) { health.errors.push('network request ' + url); });
    health.done = true;
    health.update();
  }
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  health.expected = specs.length;
  var raw = document.getElementById('raw-json');
  if (raw) {
    raw.textContent = JSON.stringify(
        JSON.parse(document.getElementById('report-data').textContent), null, 2);
  }
  if (typeof Chart === 'undefined') { console.error('Chart.js did not load'); done(); return; }
  var compact = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });
  function duration(s) {
    if (s === null || s === undefined) return '';
    var a = Math.abs(s);
    if (a < 60) return +s.toPrecision(2) + ' s';
    if (a < 3600) return +(s / 60).toPrecision(2) + ' min';
    if (a < 86400) return +(s / 3600).toPrecision(2) + ' h';
    return +(s / 86400).toPrecision(3) + ' d';
  }
  // Duration axes get ticks at round steps (10 min, 1 h, 6 h, ...) instead of 1.4 h, 2.8 h,
  // from 0 or, on an axis that does not begin at zero (the sweep's tornado), from below its min.
  var kStepsS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                 43200, 86400, 172800, 604800, 2592000];
  function roundDurationTicks(axis) {
    var top = axis.max;
    if (!(top > 0)) return;
    var low = axis.min > 0 ? axis.min : 0;
    var step = kStepsS[kStepsS.length - 1];
    for (var i = 0; i < kStepsS.length; i++) {
      if ((top - low) / kStepsS[i] <= 8) { step = kStepsS[i]; break; }
    }
    var ticks = [];
    var start = Math.floor(low / step) * step;
    for (var v = start; v < top + step; v += step) ticks.push({ value: v });
    axis.ticks = ticks;
    axis.min = start;
    axis.max = ticks[ticks.length - 1].value;
    // Steps under a day on an axis of days (38.7 d, 38.7 d) read as days and hours instead.
    axis.gpuplanHourTicks = low > 0 && step < 86400 && start >= 86400;
  }
  function durationTick(v, axis) {
    if (!axis.gpuplanHourTicks) return duration(v);
    var d = Math.floor(v / 86400), h = Math.round((v - d * 86400) / 3600);
    return d + ' d' + (h > 0 ? ' ' + h + ' h' : '');
  }
  var formats = {
    compact: function (v) { return compact.format(v); },
    usd: function (v) { return '$' + compact.format(v); },
    percent: function (v) { return +(v * 100).toPrecision(3) + '%'; },
    duration: duration
  };
  // An axis's formatter; money axes carry their currency ("KRW ", "$") in gpuplanPrefix.
  function formatterOf(axis) {
    if (axis.gpuplanFormat === 'money') {
      var prefix = axis.gpuplanPrefix || '$';
      return function (v) { return prefix + compact.format(v); };
    }
    return formats[axis.gpuplanFormat];
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#1d2330';
  specs.forEach(function (spec) {
    try {
      var config = spec.config;
      var scales = (config.options && config.options.scales) || {};
      Object.keys(scales).forEach(function (axis) {
        var f = formatterOf(scales[axis]);
        if (!f) return;
        if (scales[axis].gpuplanFormat === 'duration') scales[axis].afterBuildTicks = roundDurationTicks;
        var duration_axis = scales[axis].gpuplanFormat === 'duration';
        scales[axis].ticks = Object.assign({}, scales[axis].ticks, { callback: function (v) {
          return duration_axis ? durationTick(v, this) : f(v);
        } });
      });
      config.options.plugins = config.options.plugins || {};
      // A dataset with gpuplanHideInLegend (a band's lower edge) stays out of the legend.
      config.options.plugins.legend = Object.assign({}, config.options.plugins.legend, {
        labels: { filter: function (item, data) {
          return !data.datasets[item.datasetIndex].gpuplanHideInLegend;
        } } });
      // Horizontal charts (the sweep's tornado) carry their values on x; a floating bar's
      // value is its [from, to] pair.
      var horizontal = config.options.indexAxis === 'y';
      config.options.plugins.tooltip = { callbacks: { label: function (ctx) {
        var axis = scales[horizontal ? (ctx.dataset.xAxisID || 'x') : (ctx.dataset.yAxisID || 'y')] || {};
        var f = formatterOf(axis) || formats.compact;
        if (Array.isArray(ctx.raw)) return ctx.dataset.label + ': ' + f(ctx.raw[0]) + ' \u2192 ' + f(ctx.raw[1]);
        var y = horizontal ? ctx.parsed.x : ctx.parsed.y;
        return ctx.dataset.label + ': ' + (y === null || y === undefined ? 'n/a' : f(y));
      } } };
      var chart = new Chart(document.getElementById(spec.id), config);
      var drawn = chart.canvas.width > 0 && chart.data.datasets.some(function (d, i) {
        return chart.getDatasetMeta(i).data.length > 0;
      });
      if (drawn) { health.rendered++; health.drawn.push(spec.id); } else { console.error('chart ' + spec.id + ' drew nothing'); }
    } catch (e) {
      console.error('chart ' + spec.id + ': ' + e.message);
    }
  });
  done();
})();
)js";

}  // namespace gpuplan::report::detail
