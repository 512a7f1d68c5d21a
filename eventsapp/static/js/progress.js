/* Live progress of sends: every element with data-progress-url (templates/mail/_progress.html) shows the
   counts it was rendered with at once, then polls the URL until the send is done.
   The endpoint answers {queued, sending, sent, failed, total, done, scheduled_for, channels}.
   A scheduled send (data-scheduled-url) is asked again at its time; once it has started, its line
   gives way to its bar (rendered hidden right after it), which then polls as any other. */
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
    renderChannels(box, counts.channels || {});
    box.dataset.progressDone = counts.done ? "true" : "false";
  }

  // The send by channel: a row per channel it uses, the table shown once a channel other than e-mail is used
  // (a fallback may add one during the send). "Queued" leaves out those waiting for their time.
  function renderChannels(box, channels) {
    const table = box.querySelector("[data-progress-channels]");
    if (!table) return;
    const names = Object.keys(channels);
    table.hidden = !(names.length > 1 || (names.length === 1 && names[0] !== "email"));
    table.querySelectorAll("tr[data-channel]").forEach((row) => {
      const entry = channels[row.dataset.channel];
      row.hidden = !entry || !entry.total;
      if (!entry) return;
      const values = {
        sent: entry.sent, failed: entry.failed, waiting_for_time: entry.waiting_for_time,
        queued: entry.queued + entry.sending - entry.waiting_for_time, delivered: entry.delivered,
      };
      row.querySelectorAll("[data-channel-count]").forEach((cell) => {
        const value = values[cell.dataset.channelCount];
        if (value !== null && value !== undefined) cell.textContent = String(value);
      });
    });
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

  function start(box) {
    if (box.dataset.progressInitial) render(box, JSON.parse(box.dataset.progressInitial));
    poll(box);
  }

  function waitForStart(line) {
    const box = line.nextElementSibling;
    const due = Date.parse(line.dataset.scheduledFor);
    // Ask at the send's time (the clocks may differ a little: then every few seconds), at most a minute apart.
    const delay = Math.min(Math.max(due - Date.now(), INTERVAL_MS), 60_000);
    window.setTimeout(() => {
      fetch(line.dataset.scheduledUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((counts) => {
          if (counts.scheduled_for) { waitForStart(line); return; }
          if (!counts.total) { line.remove(); box.remove(); return; } // cancelled meanwhile
          line.remove();
          box.hidden = false;
          render(box, counts);
          if (!counts.done) poll(box);
        })
        .catch(() => waitForStart(line));
    }, delay);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-progress-url]:not([hidden])").forEach(start);
    document.querySelectorAll("[data-scheduled-url]").forEach(waitForStart);
  });
})();
