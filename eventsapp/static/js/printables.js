/* Printables: poll each file still being made until it is ready, then show its download link. */
(() => {
  const INTERVAL_MS = 1500;

  function show(row, data) {
    const cell = row.querySelector(".printable-state");
    row.dataset.state = data.state;
    const label = cell.dataset[`label${data.state.charAt(0).toUpperCase()}${data.state.slice(1)}`] || data.state;
    cell.textContent = data.state === "failed" ? `${label}: ${data.error}` : label.replace("{n}", data.item_count);
    if (data.download_url) {
      const link = document.getElementById("printable-link-template").content.firstElementChild.cloneNode(true);
      link.href = data.download_url;
      row.querySelector(".printable-link").replaceChildren(link);
    }
  }

  function poll(row) {
    fetch(row.dataset.printableUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        show(row, data);
        if (data.state === "queued" || data.state === "running") window.setTimeout(() => poll(row), INTERVAL_MS);
      })
      .catch(() => window.setTimeout(() => poll(row), INTERVAL_MS * 4));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("tr[data-printable-url]").forEach((row) => {
      if (row.dataset.state === "queued" || row.dataset.state === "running") poll(row);
    });
  });
})();
