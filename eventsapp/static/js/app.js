/* eventsapp: light progressive enhancement (no inline script: the CSP forbids it). */
document.addEventListener("DOMContentLoaded", () => {
  // Buttons that ask before submitting: <button data-confirm="…">
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
  // Copy-to-clipboard buttons: <button data-copy="#input-id">
  document.querySelectorAll("[data-copy]").forEach((el) => {
    el.addEventListener("click", () => {
      const target = document.querySelector(el.dataset.copy);
      if (target && navigator.clipboard) navigator.clipboard.writeText(target.value || target.textContent);
    });
  });
});
