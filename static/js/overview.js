// Overview: revenue and expenses per month as bars, net as a line (Chart.js, vendored).
// The current month, still running, is not drawn as a full one: its bars are light with an
// outline, its net point hollow at the end of a dashed segment, and its label says
// "month to date" (data.partial[i], data.partialLabel).
(function () {
  "use strict";

  const L = window.Ledgerwise;  // static/js/app.js

  function bars(colour, partial) {
    return {
      backgroundColor: partial.map(function (p) { return p ? L.withAlpha(colour, 0.3) : colour; }),
      borderColor: colour,
      borderWidth: partial.map(function (p) { return p ? 2 : 0; }),
    };
  }

  function draw(canvas) {
    const data = L.chartData(canvas, "data-cashflow-chart");
    if (!data) return;
    const money = L.moneyFormat(data.currency, false);
    const short = L.moneyFormat(data.currency, true);
    const partial = data.partial || data.labels.map(function () { return false; });
    const narrow = canvas.parentElement.clientWidth < 560;
    const labels = L.monthLabels(data, narrow, false);
    const step = Math.max(1, Math.ceil(labels.length / (narrow ? 4 : 12)));
    new window.Chart(canvas, {
      data: {
        labels: labels,
        datasets: [
          Object.assign({ type: "bar", label: "Revenue", data: data.revenue, order: 2 }, bars("#1e7d55", partial)),
          Object.assign({ type: "bar", label: "Expenses", data: data.expense, order: 2 }, bars("#c0392b", partial)),
          {
            type: "line", label: "Net", data: data.net, borderColor: "#1f4e79",
            backgroundColor: partial.map(function (p) { return p ? "#ffffff" : "#1f4e79"; }),
            pointBorderColor: "#1f4e79", pointBorderWidth: 2,
            pointRadius: partial.map(function (p) { return p ? 5 : 3; }),
            borderWidth: 2, tension: 0.25, order: 1,
            segment: { borderDash: function (ctx) { return partial[ctx.p1DataIndex] ? [6, 4] : undefined; } },
          },
        ],
      },
      options: L.chartOptions({
        scales: {
          x: {
            grid: { display: false },
            // Every step-th month counted back from the last, so the month to date keeps its label
            ticks: {
              autoSkip: false, maxRotation: 0,
              callback: function (value, index) { return (labels.length - 1 - index) % step === 0 ? labels[index] : ""; },
            },
          },
          y: L.moneyAxis(short),
        },
        plugins: L.monthPlugins(data, money),
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  L.drawCharts("canvas[data-cashflow-chart]", draw);
})();
