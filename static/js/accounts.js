// Accounts: each account's balance at the end of each month (Chart.js, vendored).
//  <canvas data-balance-chart="ID">: one line per account; the current month, still running,
//    is today's balance: its label says "month to date", its segment is dashed and its point hollow.
// ID names the <script type="application/json"> element holding the data.
(function () {
  "use strict";

  const COLOURS = ["#1f4e79", "#1e7d55", "#b35c00", "#6a3d9a", "#c0392b", "#2c7fb8", "#5d6675"];

  function moneyFormat(currency, compact) {
    return window.Ledgerwise.moneyFormat(currency, compact);  // static/js/app.js
  }

  function drawBalances(canvas) {
    const source = document.getElementById(canvas.getAttribute("data-balance-chart"));
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const money = moneyFormat(data.currency, false);
    const short = moneyFormat(data.currency, true);
    const narrow = canvas.parentElement.clientWidth < 560;
    const last = data.labels.length - 1;
    const labels = data.labels.map(function (label, i) {
      const name = narrow ? label.split(" ")[0] : label;
      return data.partial[i] ? [name, narrow ? "to date" : data.partialLabel] : name;
    });
    const datasets = data.accounts.map(function (account, n) {
      const colour = COLOURS[n % COLOURS.length];
      return {
        label: account.name, data: account.balances, borderColor: colour, backgroundColor: colour,
        borderWidth: 2, tension: 0,
        pointRadius: data.partial.map(function (p) { return p ? 5 : 3; }),
        pointBackgroundColor: data.partial.map(function (p) { return p ? "#ffffff" : colour; }),
        segment: { borderDash: function (ctx) { return data.partial[ctx.p1DataIndex] ? [6, 4] : undefined; } },
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: !narrow, maxRotation: 0, font: { size: narrow ? 10 : 12 } } },
          y: { ticks: { callback: function (value) { return short.format(value); } } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) {
                const i = items[0].dataIndex;
                return data.labels[i] + (i === last && data.partial[i] ? " (" + data.partialLabel + ")" : "");
              },
              label: function (ctx) { return ctx.dataset.label + ": " + money.format(ctx.parsed.y); },
            },
          },
        },
      },
    });
    canvas.dataset.chartReady = "true";
  }

  function draw() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-balance-chart]").forEach(drawBalances);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
