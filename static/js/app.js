// Ledgerwise pages: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");

  // What the chart scripts share (loaded before them): money in the page's currency, in
  // full or compact ("€12K"); ``digits`` decimals at most (2 by default). An unknown currency
  // code gives plain numbers.
  window.Ledgerwise = window.Ledgerwise || {};
  window.Ledgerwise.moneyFormat = function (currency, compact, digits) {
    const most = digits === undefined ? 2 : digits;
    try {
      return new Intl.NumberFormat(undefined, {
        style: "currency", currency: currency, notation: compact ? "compact" : "standard",
        maximumFractionDigits: compact ? 1 : most,
      });
    } catch (error) {
      return new Intl.NumberFormat(undefined, { maximumFractionDigits: most });
    }
  };

  const L = window.Ledgerwise;
  // A colour "#rrggbb" with transparency.
  L.withAlpha = function (hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  };
  // The data a canvas names in ``attribute``: the id of a <script type="application/json">.
  L.chartData = function (canvas, attribute) {
    const source = document.getElementById(canvas.getAttribute(attribute));
    return source ? JSON.parse(source.textContent) : null;
  };
  // Month labels of a chart whose last month may still be running (data.partial[i]): the
  // running month gets a second line ("to date" on a narrow chart, else data.partialLabel);
  // ``shorten`` names the months short on a narrow chart ("Jan 2026" → "Jan").
  L.monthLabels = function (data, narrow, shorten) {
    return data.labels.map(function (label, i) {
      const name = narrow && shorten ? label.split(" ")[0] : label;
      return data.partial && data.partial[i] ? [name, narrow ? "to date" : data.partialLabel] : name;
    });
  };
  // The tooltip title of such a chart: the month, with "(month to date)" while it runs.
  L.monthTitle = function (data) {
    return function (items) {
      const i = items[0].dataIndex;
      return data.labels[i] + (data.partial && data.partial[i] ? " (" + data.partialLabel + ")" : "");
    };
  };
  // The legend and tooltip of a chart by month: the legend below, each value in ``money``
  // (a moneyFormat), the running month's title saying so.
  L.monthPlugins = function (data, money) {
    return {
      legend: { position: "bottom" },
      tooltip: {
        callbacks: {
          title: L.monthTitle(data),
          label: function (ctx) { return ctx.dataset.label + ": " + money.format(ctx.parsed.y); },
        },
      },
    };
  };
  // What every chart's options share — drawn at once, filling its box, one tooltip for all
  // series at the pointed x — with the chart's own (which win).
  L.chartOptions = function (own) {
    return Object.assign({
      animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
    }, own);
  };
  // A y axis in money (``format``: a compact moneyFormat), with the axis's other settings.
  L.moneyAxis = function (format, own) {
    return Object.assign({ ticks: { callback: function (value) { return format.format(value); } } }, own);
  };
  // Draws every canvas matching ``selector`` with ``draw`` once the page and Chart.js are there.
  L.drawCharts = function (selector, draw) {
    ready(function () {
      if (typeof window.Chart === "undefined") return;
      document.querySelectorAll(selector).forEach(draw);
    });
  };

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  // Phone-sized screens: the Menu button shows and hides the navigation.
  function navToggle() {
    const button = document.querySelector(".nav-toggle");
    const nav = document.getElementById("site-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      const open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // <select data-autosubmit>: submit the form when the choice changes (the form keeps a
  // submit button for browsers without JavaScript).
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      });
    });
  }

  // <form data-async-import>: post the CSV in the background and show progress and the
  // result in place. XMLHttpRequest (rather than fetch) reports the upload's progress, so
  // the bar fills while the file is sent, then shows the server checking every row. The
  // server answers JSON with an "html" report (the same one the plain page shows).
  function postWithProgress(form, onUpload, submitter) {
    return new Promise(function (resolve, reject) {
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.responseType = "text";
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) onUpload(event.loaded / event.total);
      });
      request.upload.addEventListener("load", function () { onUpload(1); });
      request.addEventListener("load", function () {
        const type = request.getResponseHeader("Content-Type") || "";
        if (!type.includes("application/json")) {
          reject(new Error("the server answered " + request.status + " " + request.statusText));
          return;
        }
        try { resolve(JSON.parse(request.responseText)); } catch (error) { reject(error); }
      });
      request.addEventListener("error", function () { reject(new Error("the connection failed")); });
      request.addEventListener("abort", function () { reject(new Error("the upload was cancelled")); });
      // The button that sent the form is part of it ("Preview" asks for a dry run).
      const data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      request.send(data);
    });
  }

  function asyncImport() {
    const form = document.querySelector("form[data-async-import]");
    if (!form || !window.XMLHttpRequest || !window.FormData) return;
    const progress = document.getElementById("import-progress");
    const bar = progress ? progress.querySelector("progress") : null;
    const progressText = progress ? progress.querySelector(".progress-text") : null;
    const result = document.getElementById("import-result");
    const buttons = form.querySelectorAll("[type=submit]");

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const started = Date.now();
      let phase = "Uploading";
      let timer = null;
      function show(percent) {
        const seconds = Math.round((Date.now() - started) / 1000);
        if (progressText) {
          progressText.textContent = phase === "Uploading"
            ? "Uploading… " + percent + "\u00a0%"
            : "Checking every row and saving… " + seconds + "\u00a0s";
        }
      }
      buttons.forEach(function (b) { b.disabled = true; });
      result.innerHTML = "";
      result.dataset.state = "working";
      result.setAttribute("aria-busy", "true");
      if (progress) {
        progress.hidden = false;
        if (bar) { bar.max = 100; bar.value = 0; }
        show(0);
        timer = window.setInterval(function () { if (phase !== "Uploading") show(100); }, 1000);
      }
      try {
        const data = await postWithProgress(form, function (fraction) {
          const percent = Math.round(fraction * 100);
          if (fraction >= 1) {
            phase = "Checking";
            if (bar) bar.removeAttribute("value");  // indeterminate while the server works
          } else if (bar) {
            bar.value = percent;
          }
          show(percent);
        }, event.submitter);
        result.innerHTML = data.html;
        result.dataset.state = data.ok ? "done" : "refused";
        if (data.ok && !data.preview) form.reset();
      } catch (error) {
        result.dataset.state = "failed";
        const alert = document.createElement("div");
        alert.className = "alert error";
        alert.setAttribute("role", "alert");
        alert.textContent = "The import did not finish: " + error.message + ". Check the transactions list before trying again.";
        result.appendChild(alert);
      } finally {
        if (timer) window.clearInterval(timer);
        if (progress) progress.hidden = true;
        if (progressText) progressText.textContent = "Uploading and checking every row…";
        buttons.forEach(function (b) { b.disabled = false; });
        result.removeAttribute("aria-busy");
        const focusTarget = result.querySelector(".alert");
        if (focusTarget) {
          focusTarget.setAttribute("tabindex", "-1");
          focusTarget.focus();
        }
      }
    });
  }

  // A table (or sample) wider than its box scrolls inside it: the box then takes the keyboard
  // focus, so arrow keys scroll it, and is named after its section for screen readers. Boxes
  // are checked again when the window is resized or a "Show as a table" opens.
  function scrollRegions() {
    document.querySelectorAll(".table-scroll, pre").forEach(function (box) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        const section = box.closest("details, section, article, form");
        const heading = section && section.querySelector("summary, h2, h3, legend");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (heading ? heading.textContent.trim().replace(/\s+/g, " ") : "Table") + ", scrolls sideways");
        box.dataset.scrollRegion = "true";
      } else if (!scrolls && box.dataset.scrollRegion) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }

  ready(function () {
    navToggle();
    autosubmit();
    asyncImport();
    scrollRegions();
    window.addEventListener("resize", scrollRegions);
    document.addEventListener("toggle", scrollRegions, true);  // <details> opening (does not bubble)
  });
})();
