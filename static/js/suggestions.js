// Transactions: Accept or Correct a suggested category in one click. The forms post with
// fetch() and the row's category cell is replaced by the server's answer (no reload);
// without JavaScript they post normally and the list comes back with a message.
(function () {
  "use strict";

  function showError(cell, message) {
    let note = cell.querySelector(".suggestion-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "suggestion-error small";
      note.setAttribute("role", "alert");
      cell.appendChild(note);
    }
    note.textContent = message;
  }

  function enhance(form) {
    form.addEventListener("submit", async function (event) {
      if (!window.fetch) return;
      event.preventDefault();
      const cell = form.closest("td");
      const body = new FormData(form);  // before disabling: disabled fields are not sent
      const controls = cell.querySelectorAll("button, select");
      controls.forEach(function (c) { c.disabled = true; });
      cell.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(form.action, {
          method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        const type = response.headers.get("Content-Type") || "";
        if (!type.includes("application/json")) throw new Error("the server answered " + response.status);
        const data = await response.json();
        if (!data.ok) {
          showError(cell, data.message);
          controls.forEach(function (c) { c.disabled = false; });
          return;
        }
        const holder = document.createElement("tbody");
        holder.innerHTML = "<tr>" + data.html + "</tr>";
        const fresh = holder.querySelector("td");
        cell.replaceWith(fresh);
      } catch (error) {
        showError(cell, "Not saved: " + error.message + ".");
        controls.forEach(function (c) { c.disabled = false; });
      } finally {
        cell.removeAttribute("aria-busy");
      }
    });
  }

  function ready() {
    document.querySelectorAll("form[data-suggestion-form]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
