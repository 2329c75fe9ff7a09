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
