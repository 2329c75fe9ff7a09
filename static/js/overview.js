// Overview: revenue and expenses per month as bars, net as a line (Chart.js, vendored).
(function () {
  "use strict";

  function moneyFormat(currency, compact) {
    try {
      return new Intl.NumberFormat(undefined, {
        style: "currency", currency: currency, notation: compact ? "compact" : "standard",
        maximumFractionDigits: compact ? 1 : 2,
      });
    } catch (error) {  // an unknown currency code: plain numbers
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    }
  }

  function draw() {
    const canvas = document.getElementById("cashflow-chart");
    const source = document.getElementById("cashflow-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const money = moneyFormat(data.currency, false);
    const short = moneyFormat(data.currency, true);
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: "Revenue", data: data.revenue, backgroundColor: "#1e7d55", order: 2 },
          { type: "bar", label: "Expenses", data: data.expense, backgroundColor: "#c0392b", order: 2 },
          {
            type: "line", label: "Net", data: data.net, borderColor: "#1f4e79",
            backgroundColor: "#1f4e79", borderWidth: 2, pointRadius: 3, tension: 0.25, order: 1,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false } },
          y: { ticks: { callback: function (value) { return short.format(value); } } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + money.format(ctx.parsed.y); },
            },
          },
        },
      },
    });
    canvas.dataset.chartReady = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
