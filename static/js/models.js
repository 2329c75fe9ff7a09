// Models page: Retrain queues a training job with fetch() and the card follows the job's
// progress by polling its JSON (GET /api/v1/ml/jobs/<id>/) — no page reload. Jobs that are
// already queued or running when the page opens are followed too.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const FINISHED = ["succeeded", "failed", "skipped"];
  const LABELS = { queued: "queued", running: "running", succeeded: "finished", failed: "failed", skipped: "skipped" };

  function card(element) { return element.closest(".model-card"); }

  function describe(job) {
    const base = "Job " + job.id + ": " + (LABELS[job.status] || job.status);
    if (job.status === "succeeded") {
      return base + (job.deployed ? " — the new model is deployed. " : " — the deployed model stays. ") + (job.decision || "");
    }
    if (job.status === "failed") return base + " — " + String(job.error || "").split("\n")[0];
    if (job.status === "skipped") return base + " — " + (job.decision || "");
    return base + " · " + job.progress + "\u00a0%";
  }

  // The card's "Deployed" line after a job deployed a new version (GET /api/v1/ml/models/<id>/).
  async function showDeployed(element, versionId) {
    const target = element.querySelector("[data-deployed]");
    const labelsSource = document.getElementById("algorithm-labels");
    if (!target) return;
    try {
      const response = await fetch("/api/v1/ml/models/" + versionId + "/", {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const version = await response.json();
      const labels = labelsSource ? JSON.parse(labelsSource.textContent) : {};
      const badge = document.createElement("span");
      badge.className = "badge model";
      badge.textContent = (labels[version.algorithm] || version.algorithm) + " v" + version.version;
      const note = document.createElement("span");
      note.className = "muted small";
      note.textContent = " just deployed";
      target.replaceChildren(badge, note);
    } catch (error) {
      // the job's text already says a new model is deployed
    }
  }

  function follow(box, url) {
    const bar = box.querySelector("progress");
    const text = box.querySelector(".job-status");
    const button = card(box).querySelector("form[data-retrain] [type=submit]");
    const badge = card(box).querySelector("[data-pending]");
    box.hidden = false;
    box.dataset.jobUrl = url;
    if (button) button.disabled = true;

    async function tick() {
      let job;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error("the server answered " + response.status);
        job = await response.json();
      } catch (error) {
        text.textContent = "Could not read the job's progress (" + error.message + "); retrying…";
        window.setTimeout(tick, POLL_MS * 3);
        return;
      }
      bar.value = job.status === "succeeded" ? 100 : job.progress;
      text.textContent = describe(job);
      box.dataset.jobStatus = job.status;
      if (badge) {
        badge.dataset.pending = job.status;
        badge.className = "badge pending-" + job.status;
        badge.textContent = job.status === "running" ? "Training now" : job.status === "queued" ? "Queued"
          : job.status === "succeeded" ? "Just trained" : job.status === "failed" ? "Training failed" : "Skipped";
      }
      if (FINISHED.indexOf(job.status) >= 0) {
        if (button) button.disabled = false;
        if (job.status === "succeeded" && job.deployed && job.winner) showDeployed(card(box), job.winner);
        return;
      }
      window.setTimeout(tick, POLL_MS);
    }
    tick();
  }

  function retrainForms() {
    document.querySelectorAll("form[data-retrain]").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        if (!window.fetch) return;
        event.preventDefault();
        const box = card(form).querySelector("[data-job-progress]");
        const text = box.querySelector(".job-status");
        const button = form.querySelector("[type=submit]");
        button.disabled = true;
        box.hidden = false;
        text.textContent = "Queuing a training…";
        try {
          const response = await fetch(form.action, {
            method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin",
          });
          const type = response.headers.get("Content-Type") || "";
          if (!type.includes("application/json")) throw new Error("the server answered " + response.status);
          const data = await response.json();
          if (!data.job) throw new Error(data.message);
          follow(box, data.job.url);
        } catch (error) {
          text.textContent = "The retrain was not queued: " + error.message;
          button.disabled = false;
        }
      });
    });
  }

  function ready() {
    retrainForms();
    document.querySelectorAll("[data-job-progress][data-job-url]").forEach(function (box) {
      follow(box, box.dataset.jobUrl);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
