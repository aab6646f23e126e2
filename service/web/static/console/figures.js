/* The figures page's charts: uPlot line charts of a figure per month, this period beside the last and the target.
 *
 * Each .chart element carries its data in data-chart (the Content-Security-Policy
 * allows no inline script); the table on the page holds the same numbers.
 */
(function () {
  "use strict";
  if (typeof uPlot === "undefined") { return; }
  var colours = { this: "#1a3d8f", last: "#8a8a8a", target: "#c2410c" };

  function draw(element) {
    var chart = JSON.parse(element.dataset.chart);
    var share = element.dataset.share === "true";
    var scale = function (v) { return v === null || v === undefined ? null : (share ? v * 100 : v); };
    var xs = chart.months.map(function (_, i) { return i; });
    var data = [xs, chart.this.map(scale), chart.last.map(scale)];
    var series = [
      { label: chart.labels.month, value: function (u, v) { return v === null ? "--" : (chart.months[v] || "--"); } },
      { label: chart.labels.this, stroke: colours.this, width: 2, points: { show: true } },
      { label: chart.labels.last, stroke: colours.last, width: 2, dash: [6, 4], points: { show: true } }
    ];
    if (chart.target !== null) {
      data.push(xs.map(function () { return scale(chart.target); }));
      series.push({ label: chart.labels.target, stroke: colours.target, width: 1.5, dash: [2, 3], points: { show: false } });
    }
    var width = Math.max(280, Math.min(element.clientWidth || 480, 640));
    var options = {
      width: width, height: 220, series: series,
      scales: { x: { time: false } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return chart.months[t] || ""; }); } },
        { values: function (u, ticks) { return ticks.map(function (t) { return share ? t + "%" : String(t); }); } }
      ]
    };
    new uPlot(options, data, element);
    element.dataset.state = "ready";
  }

  var charts = document.querySelectorAll(".chart[data-chart]");
  for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
})();
