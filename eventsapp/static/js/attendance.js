/* eventsapp attendance reports: size the bars from their data-bar-percent (no inline style: CSP). */
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-bar-percent]").forEach((bar) => {
    const percent = Math.max(0, Math.min(100, parseFloat(bar.dataset.barPercent) || 0));
    bar.style.width = `${percent}%`;
  });
});
