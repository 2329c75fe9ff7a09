// Admin inspect page: the training history, each backtest window's forecast and the
// forecast with its 80 % and 95 % bands (Chart.js, vendored; drawn like forecast.js).
// The data comes from json_script as one object whose series share `labels`.
(function () {
  "use strict";

  const BAND = "rgba(31, 78, 121, 0)";
  const BACKTEST = "#e8590c";
  const HIDDEN_FROM_LEGEND = ["95 % low", "80 % low"];

  // Tooltips show values to the unit's decimals (cents, tenths of a unit); the axis compactly.
  function valueFormat(data, compact) {
    const number = new Intl.NumberFormat(undefined, compact
      ? { notation: "compact", maximumFractionDigits: 1 }
      : { minimumFractionDigits: data.decimals, maximumFractionDigits: data.decimals });
    return function (value) { return number.format(value) + (data.unit ? "\u00a0" + data.unit : ""); };
  }

  function draw(canvas, source) {
    const data = JSON.parse(source.textContent);
    const format = valueFormat(data, false);
    const tick = valueFormat(data, true);
    const line = { pointRadius: 0, pointHitRadius: 6, borderWidth: 2, tension: 0.2, spanGaps: false };
    const datasets = [];
    if (data.mean) {
      datasets.push(
        { ...line, label: "95 % range", data: data.hi95, borderColor: BAND, backgroundColor: "rgba(47, 125, 225, 0.13)", fill: "+1", borderWidth: 0 },
        { ...line, label: "95 % low", data: data.lo95, borderColor: BAND, fill: false, borderWidth: 0 },
        { ...line, label: "80 % range", data: data.hi80, borderColor: BAND, backgroundColor: "rgba(47, 125, 225, 0.28)", fill: "+1", borderWidth: 0 },
        { ...line, label: "80 % low", data: data.lo80, borderColor: BAND, fill: false, borderWidth: 0 },
        { ...line, label: "Forecast", data: data.mean, borderColor: "#2f7de1", backgroundColor: "#2f7de1", borderDash: [6, 4], pointRadius: 2 },
      );
    }
    // One dataset per backtest window (each restarts from its own origin); the legend
    // shows them as one "Backtest" entry that hides and shows them together.
    data.backtest.forEach(function (backtest, n) {
      datasets.push({
        ...line, label: n === 0 ? "Backtest" : "Backtest from " + backtest.origin, group: "backtest",
        data: backtest.mean, borderColor: BACKTEST, backgroundColor: BACKTEST, borderDash: [3, 3], pointRadius: 2,
      });
    });
    datasets.push({ ...line, label: "History", data: data.history, borderColor: "#1d2430", backgroundColor: "#1d2430", pointRadius: 1.5 });

    const chart = new window.Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { ticks: { callback: function (value) { return tick(value); } } },
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: {
              boxWidth: 14,
              filter: function (item, legend) {
                const dataset = legend.datasets[item.datasetIndex];
                if (dataset.group === "backtest") return dataset.label === "Backtest";
                return HIDDEN_FROM_LEGEND.indexOf(item.text) < 0;
              },
            },
            onClick: function (event, item, legend) {
              const clicked = legend.chart.data.datasets[item.datasetIndex];
              if (clicked.group !== "backtest") {
                window.Chart.defaults.plugins.legend.onClick.call(this, event, item, legend);
                return;
              }
              const visible = legend.chart.isDatasetVisible(item.datasetIndex);
              legend.chart.data.datasets.forEach(function (dataset, i) {
                if (dataset.group === "backtest") legend.chart.setDatasetVisibility(i, !visible);
              });
              legend.chart.update();
            },
          },
          tooltip: {
            filter: function (item) { return item.raw !== null && HIDDEN_FROM_LEGEND.indexOf(item.dataset.label) < 0; },
            callbacks: {
              label: function (ctx) {
                const i = ctx.dataIndex;
                if (ctx.dataset.label === "95 % range") return "95 %: " + format(data.lo95[i]) + " – " + format(data.hi95[i]);
                if (ctx.dataset.label === "80 % range") return "80 %: " + format(data.lo80[i]) + " – " + format(data.hi80[i]);
                return ctx.dataset.label + ": " + format(ctx.parsed.y);
              },
            },
          },
        },
      },
    });
    canvas.dataset.chartReady = "true";
    return chart;
  }

  function drawChart() {
    const canvas = document.getElementById("inspect-chart");
    const source = document.getElementById("chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    draw(canvas, source);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawChart);
  else drawChart();
})();
