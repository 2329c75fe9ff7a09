// Ledgerwise pages: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");

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

  // <form data-async-import>: post the CSV with fetch() and show progress and the result in
  // place. The server answers JSON with an "html" report (the same one the plain page shows).
  function asyncImport() {
    const form = document.querySelector("form[data-async-import]");
    if (!form || !window.fetch || !window.FormData) return;
    const progress = document.getElementById("import-progress");
    const progressText = progress ? progress.querySelector(".progress-text") : null;
    const result = document.getElementById("import-result");
    const button = form.querySelector("[type=submit]");

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const started = Date.now();
      let timer = null;
      button.disabled = true;
      result.innerHTML = "";
      result.setAttribute("aria-busy", "true");
      if (progress) {
        progress.hidden = false;
        timer = window.setInterval(function () {
          const seconds = Math.round((Date.now() - started) / 1000);
          if (progressText) progressText.textContent = "Uploading and checking every row… " + seconds + " s";
        }, 1000);
      }
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const type = response.headers.get("Content-Type") || "";
        if (!type.includes("application/json")) {
          throw new Error("the server answered " + response.status + " " + response.statusText);
        }
        const data = await response.json();
        result.innerHTML = data.html;
        result.dataset.state = data.ok ? "done" : "refused";
        if (data.ok) form.reset();
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
        button.disabled = false;
        result.removeAttribute("aria-busy");
        const focusTarget = result.querySelector(".alert");
        if (focusTarget) {
          focusTarget.setAttribute("tabindex", "-1");
          focusTarget.focus();
        }
      }
    });
  }

  ready(function () {
    navToggle();
    autosubmit();
    asyncImport();
  });
})();
