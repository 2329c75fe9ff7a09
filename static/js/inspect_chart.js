// Admin inspect page: training history, backtest forecasts and the forecast with 80/95 % bands.
(function () {
  const canvas = document.getElementById("inspect-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const history = data.history || { dates: [], values: [] };
  const forecast = data.forecast;
  const labels = [...(history.dates || []), ...(forecast ? forecast.dates : [])];
  const pad = (values, offset) => labels.map((_, i) => (i >= offset && i - offset < values.length ? values[i - offset] : null));
  const datasets = [{ label: "History", data: pad(history.values || [], 0), borderColor: "#1f77b4", pointRadius: 0 }];
  const windows = (data.backtest && data.backtest.windows) || [];
  windows.forEach((w, n) => {
    const offset = labels.indexOf(w.dates[0]);
    if (offset >= 0) datasets.push({ label: `Backtest ${n + 1}`, data: pad(w.forecast, offset), borderColor: "#ff7f0e", borderDash: [4, 3], pointRadius: 0 });
  });
  if (forecast) {
    const offset = (history.dates || []).length;
    datasets.push({ label: "95 % high", data: pad(forecast.hi95, offset), borderColor: "rgba(44,160,44,0)", backgroundColor: "rgba(44,160,44,0.12)", fill: "+1", pointRadius: 0 });
    datasets.push({ label: "95 % low", data: pad(forecast.lo95, offset), borderColor: "rgba(44,160,44,0)", pointRadius: 0 });
    datasets.push({ label: "80 % high", data: pad(forecast.hi80, offset), borderColor: "rgba(44,160,44,0)", backgroundColor: "rgba(44,160,44,0.25)", fill: "+1", pointRadius: 0 });
    datasets.push({ label: "80 % low", data: pad(forecast.lo80, offset), borderColor: "rgba(44,160,44,0)", pointRadius: 0 });
    datasets.push({ label: "Forecast", data: pad(forecast.mean, offset), borderColor: "#2ca02c", pointRadius: 2 });
  }
  new Chart(canvas, { type: "line", data: { labels, datasets }, options: { animation: false, spanGaps: false, interaction: { mode: "index", intersect: false } } });
})();
