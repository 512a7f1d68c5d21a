/* Live progress of sends: every element with data-progress-url (templates/mail/_progress.html) shows the
   counts it was rendered with at once, then polls the URL until the send is done.
   The endpoint answers {queued, sending, sent, failed, total, done}. */
(() => {
  const INTERVAL_MS = 1500;

  function render(box, counts) {
    const total = counts.total || 0;
    const percent = (n) => (total ? (100 * n) / total : 0);
    box.querySelectorAll("[data-progress-part]").forEach((bar) => {
      bar.style.width = `${percent(counts[bar.dataset.progressPart] || 0)}%`;
    });
    const outer = box.querySelector("[role=progressbar]");
    if (outer) outer.setAttribute("aria-valuenow", String(Math.round(percent(counts.sent + counts.failed))));
    const label = box.querySelector("[data-progress-label]");
    if (label) {
      label.textContent = label.dataset.labelTemplate
        .replace("{sent}", counts.sent).replace("{failed}", counts.failed)
        .replace("{waiting}", counts.queued + counts.sending).replace("{total}", total);
    }
    box.dataset.progressDone = counts.done ? "true" : "false";
  }

  function poll(box) {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((counts) => {
        render(box, counts);
        if (!counts.done) window.setTimeout(() => poll(box), INTERVAL_MS);
      })
      .catch(() => window.setTimeout(() => poll(box), INTERVAL_MS * 4));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-progress-url]").forEach((box) => {
      if (box.dataset.progressInitial) render(box, JSON.parse(box.dataset.progressInitial));
      poll(box);
    });
  });
})();
