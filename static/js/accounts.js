// Accounts: each account's balance at the end of each month (Chart.js, vendored).
//  <canvas data-balance-chart="ID">: one line per account; the current month, still running,
//    is today's balance: its label says "month to date", its segment is dashed and its point hollow.
// ID names the <script type="application/json"> element holding the data.
(function () {
  "use strict";

  const L = window.Ledgerwise;  // static/js/app.js
  const COLOURS = ["#1f4e79", "#1e7d55", "#b35c00", "#6a3d9a", "#c0392b", "#2c7fb8", "#5d6675"];

  function drawBalances(canvas) {
    const data = L.chartData(canvas, "data-balance-chart");
    if (!data) return;
    const money = L.moneyFormat(data.currency, false);
    const short = L.moneyFormat(data.currency, true);
    const narrow = canvas.parentElement.clientWidth < 560;
    const labels = L.monthLabels(data, narrow, true);
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
      options: L.chartOptions({
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: !narrow, maxRotation: 0, font: { size: narrow ? 10 : 12 } } },
          y: L.moneyAxis(short),
        },
        plugins: L.monthPlugins(data, money),
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  L.drawCharts("canvas[data-balance-chart]", drawBalances);
})();
