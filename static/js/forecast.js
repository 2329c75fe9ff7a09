// Overview: one forecast chart per metric — the history the model learned from, the
// forecast, and its 80 % and 95 % ranges as bands (Chart.js, vendored).
(function () {
  "use strict";

  const L = window.Ledgerwise;  // static/js/app.js
  const BAND = "rgba(31, 78, 121, 0)";
  const HIDDEN_FROM_LEGEND = ["95 % low", "80 % low"];

  function draw(canvas) {
    const source = document.getElementById("forecast-data-" + canvas.dataset.forecastChart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const money = L.moneyFormat(data.currency, false, 0);
    const short = L.moneyFormat(data.currency, true, 0);
    const line = { pointRadius: 0, pointHitRadius: 6, borderWidth: 2, tension: 0.2, spanGaps: false };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { ...line, label: "95 % range", data: data.hi95, borderColor: BAND, backgroundColor: "rgba(47, 125, 225, 0.13)", fill: "+1", borderWidth: 0 },
          { ...line, label: "95 % low", data: data.lo95, borderColor: BAND, fill: false, borderWidth: 0 },
          { ...line, label: "80 % range", data: data.hi80, borderColor: BAND, backgroundColor: "rgba(47, 125, 225, 0.28)", fill: "+1", borderWidth: 0 },
          { ...line, label: "80 % low", data: data.lo80, borderColor: BAND, fill: false, borderWidth: 0 },
          { ...line, label: "Forecast", data: data.forecast, borderColor: "#2f7de1", backgroundColor: "#2f7de1", borderDash: [6, 4], pointRadius: 2 },
          { ...line, label: "History", data: data.history, borderColor: "#1d2430", backgroundColor: "#1d2430", pointRadius: 1.5 },
        ],
      },
      options: L.chartOptions({
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: L.moneyAxis(short),
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: { boxWidth: 14, filter: function (item) { return HIDDEN_FROM_LEGEND.indexOf(item.text) < 0; } },
          },
          tooltip: {
            filter: function (item) { return item.raw !== null && HIDDEN_FROM_LEGEND.indexOf(item.dataset.label) < 0; },
            callbacks: {
              label: function (ctx) {
                const i = ctx.dataIndex;
                if (ctx.dataset.label === "95 % range") return "95 %: " + money.format(data.lo95[i]) + " – " + money.format(data.hi95[i]);
                if (ctx.dataset.label === "80 % range") return "80 %: " + money.format(data.lo80[i]) + " – " + money.format(data.hi80[i]);
                return ctx.dataset.label + ": " + money.format(ctx.parsed.y);
              },
            },
          },
        },
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  L.drawCharts("canvas[data-forecast-chart]", draw);
})();
