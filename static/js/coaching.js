// The Coaching page stores nothing while it renders: once the browser shows it, the
// recommendations drawn for it (a signed slate) are posted back and stored as impressions.
(function () {
  "use strict";
  const list = document.querySelector("[data-slate]");
  if (!list || !list.dataset.slate) return;
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  const body = new FormData();
  body.append("slate", list.dataset.slate);
  if (token) body.append("csrfmiddlewaretoken", token.value);
  fetch(list.dataset.shownUrl, { method: "POST", body: body, credentials: "same-origin", keepalive: true })
    .catch(function () { /* an answer posts the slate again */ });
})();

// Goal trajectories (Chart.js, vendored): <canvas data-trajectory-chart="ID"> draws the
// simulated amount saved month by month — the median and its 80 % band — against the
// target up to the deadline. ID names the <script type="application/json"> holding
// {currency, target, deadline, today, points: [[date, median, lo80, hi80], ...]}.
(function () {
  "use strict";
  const BRAND = "#1f4e79";
  const OK = "#1e7d55";
  const MUTED = "#5d6675";
  const L = window.Ledgerwise;  // static/js/app.js

  function drawTrajectory(canvas) {
    const data = L.chartData(canvas, "data-trajectory-chart");
    if (!data) return;
    const money = L.moneyFormat(data.currency, false, 0);
    const short = L.moneyFormat(data.currency, true, 0);
    const month = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
    const labels = data.points.map(function (p) { return month.format(Date.parse(p[0] + "T00:00:00Z")); });
    const column = function (i) { return data.points.map(function (p) { return p[i]; }); };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: "80 % band, low", data: column(2), borderWidth: 0, pointRadius: 0, fill: false },
          {
            label: "80 % band", data: column(3), borderWidth: 0, pointRadius: 0, fill: "-1",
            backgroundColor: "rgba(31,78,121,0.15)",
          },
          { label: "Median", data: column(1), borderColor: BRAND, backgroundColor: BRAND, borderWidth: 2, pointRadius: 2 },
          {
            label: "Target", data: data.points.map(function () { return data.target; }), borderColor: OK,
            backgroundColor: OK, borderDash: [4, 4], borderWidth: 1.5, pointRadius: 0,
          },
        ],
      },
      options: L.chartOptions({
        scales: {
          x: { grid: { display: false }, ticks: { maxTicksLimit: 6, maxRotation: 0, color: MUTED } },
          y: L.moneyAxis(short, { beginAtZero: true }),
        },
        plugins: {
          legend: { position: "bottom", labels: { filter: function (item) { return item.text !== "80 % band, low"; } } },
          tooltip: {
            filter: function (item) { return item.dataset.label !== "80 % band, low"; },
            callbacks: {
              label: function (ctx) {
                if (ctx.dataset.label === "80 % band") {
                  return "80 % band: " + money.format(data.points[ctx.dataIndex][2]) + " – " + money.format(ctx.parsed.y);
                }
                return ctx.dataset.label + ": " + money.format(ctx.parsed.y);
              },
            },
          },
        },
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  L.drawCharts("canvas[data-trajectory-chart]", drawTrajectory);
})();
