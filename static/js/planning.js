// Budgets and goals: progress over time (Chart.js, vendored).
//  <canvas data-budget-chart="ID">: spending per month as bars against the limit as a line;
//    the current month, still running, is drawn lighter and labelled "month to date".
//  <canvas data-goal-chart="ID">: the saved amount over time as steps, the target up to the
//    deadline, the deadline, and the pace still needed from today (dashed).
// ID names the <script type="application/json"> element holding the data.
(function () {
  "use strict";

  const BRAND = "#1f4e79";
  const OVER = "#c0392b";
  const OK = "#1e7d55";
  const MUTED = "#5d6675";
  const DAY_MS = 86400000;
  const L = window.Ledgerwise;  // static/js/app.js

  function drawBudget(canvas) {
    const data = L.chartData(canvas, "data-budget-chart");
    if (!data) return;
    const money = L.moneyFormat(data.currency, false);
    const short = L.moneyFormat(data.currency, true);
    const colour = data.spent.map(function (spent, i) {
      const limit = data.limit[i];
      return limit !== null && spent > limit ? OVER : BRAND;
    });
    // On a phone the months are named short ("Jan"), so all twelve fit under the bars; a
    // label of two lines marks the month still running.
    const narrow = canvas.parentElement.clientWidth < 560;
    const labels = L.monthLabels(data, narrow, true);
    new window.Chart(canvas, {
      data: {
        labels: labels,
        datasets: [
          {
            type: "bar", label: "Spent", data: data.spent, order: 2,
            backgroundColor: colour.map(function (c, i) { return data.partial[i] ? L.withAlpha(c, 0.35) : c; }),
            borderColor: colour, borderWidth: data.partial.map(function (p) { return p ? 2 : 0; }),
          },
          {
            type: "line", label: "Limit", data: data.limit, order: 1, stepped: "middle", spanGaps: false,
            borderColor: OK, backgroundColor: OK, borderWidth: 2, pointRadius: 3,
          },
        ],
      },
      options: L.chartOptions({
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: !narrow, maxRotation: 0, font: { size: narrow ? 10 : 12 } } },
          y: L.moneyAxis(short, { beginAtZero: true }),
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: L.monthTitle(data),
              label: function (ctx) {
                if (ctx.parsed.y === null) return ctx.dataset.label + ": no budget";
                return ctx.dataset.label + ": " + money.format(ctx.parsed.y);
              },
            },
          },
        },
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  function dayOf(iso) { return Date.parse(iso + "T00:00:00Z") / DAY_MS; }

  // The first days of months between two days (in days since 1970), every 1, 2, 3, 6 or 12
  // months so that at most ``count`` remain, on calendar multiples (Jan, Apr, Jul, Oct…).
  function monthTicks(first, last, count) {
    const start = new Date(first * DAY_MS);
    const months = [];
    for (let index = start.getUTCFullYear() * 12 + start.getUTCMonth() + 1; ; index += 1) {
      const day = Date.UTC(Math.floor(index / 12), index % 12, 1) / DAY_MS;
      if (day > last) break;
      months.push({ index: index, day: day });
    }
    const step = [1, 2, 3, 6, 12, 24, 60].find(function (s) { return months.length / s <= count; }) || 120;
    return months.filter(function (m) { return m.index % step === 0; }).map(function (m) { return { value: m.day }; });
  }

  function drawGoal(canvas) {
    const data = L.chartData(canvas, "data-goal-chart");
    if (!data) return;
    const money = L.moneyFormat(data.currency, false);
    const short = L.moneyFormat(data.currency, true);
    const saved = data.saved.map(function (p) { return { x: dayOf(p[0]), y: p[1] }; });
    const today = dayOf(data.today);
    const deadline = dayOf(data.deadline);
    const current = saved[saved.length - 1];
    const first = Math.min(saved[0].x, deadline);
    const last = Math.max(deadline, today);
    const span = Math.max(last - first, 30);
    const xMin = first - span * 0.02;
    const xMax = last + span * 0.04;
    const months = monthTicks(xMin, xMax, canvas.parentElement.clientWidth < 560 ? 4 : 8);
    const byMonth = months.length >= 2;  // else (a few weeks) the days themselves
    const dateFormat = new Intl.DateTimeFormat(undefined, byMonth
      ? { month: "short", year: "numeric", timeZone: "UTC" }
      : { day: "numeric", month: "short", timeZone: "UTC" });
    const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
    const datasets = [
      {
        label: "Saved", data: saved, stepped: "after", borderColor: BRAND, backgroundColor: L.withAlpha(BRAND, 0.12),
        fill: "origin", borderWidth: 2, pointRadius: 3, order: 1,
      },
      {
        label: "Target", data: [{ x: first, y: data.target }, { x: deadline, y: data.target }],
        borderColor: OK, backgroundColor: OK, borderWidth: 2, borderDash: [2, 3], pointRadius: 0, order: 3,
      },
      {
        label: "Deadline", data: [{ x: deadline, y: 0 }, { x: deadline, y: data.target }],
        borderColor: MUTED, backgroundColor: MUTED, borderWidth: 1.5, pointRadius: [0, 5], pointStyle: "triangle",
        order: 4,
      },
    ];
    if (current.y < data.target && deadline > today) {
      datasets.push({
        label: "Pace needed", data: [{ x: today, y: current.y }, { x: deadline, y: data.target }],
        borderColor: OVER, backgroundColor: OVER, borderWidth: 1.5, borderDash: [6, 4], pointRadius: 0, order: 2,
      });
    }
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: L.chartOptions({
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: {
            type: "linear", min: xMin, max: xMax,
            grid: { display: false },
            afterBuildTicks: function (axis) { if (byMonth) axis.ticks = months; },
            ticks: { maxTicksLimit: 6, maxRotation: 0, callback: function (value) { return dateFormat.format(value * DAY_MS); } },
          },
          y: L.moneyAxis(short, { beginAtZero: true, suggestedMax: data.target * 1.1 }),
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return fullDate.format(items[0].parsed.x * DAY_MS); },
              label: function (ctx) { return ctx.dataset.label + ": " + money.format(ctx.parsed.y); },
            },
          },
        },
      }),
    });
    canvas.dataset.chartReady = "true";
  }

  L.drawCharts("canvas[data-budget-chart]", drawBudget);
  L.drawCharts("canvas[data-goal-chart]", drawGoal);
})();
