/* The event's protocol order: drag a line to another place; the page's arrows do the same without a script. */
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const list = document.getElementById("protocol-order");
    if (!list) return;
    let dragged = null;

    function move(key, to) {
      const body = new URLSearchParams({ csrf_token: list.dataset.csrf, unit: key, to: String(to) });
      fetch(list.dataset.moveUrl, { method: "POST", body, credentials: "same-origin",
                                    headers: { Accept: "application/json", "X-CSRFToken": list.dataset.csrf } })
        .then((response) => (response.ok ? window.location.reload() : Promise.reject(response.status)))
        .catch(() => window.alert(list.dataset.error));
    }

    list.querySelectorAll("li[data-unit]").forEach((item) => {
      item.addEventListener("dragstart", (event) => {
        dragged = item;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.unit);
      });
      item.addEventListener("dragover", (event) => {
        if (!dragged || dragged === item) return;
        event.preventDefault();
        item.classList.add("drop-before");
      });
      item.addEventListener("dragleave", () => item.classList.remove("drop-before"));
      item.addEventListener("drop", (event) => {
        event.preventDefault();
        item.classList.remove("drop-before");
        if (!dragged || dragged === item) return;
        const items = [...list.querySelectorAll("li[data-unit]")];
        const from = items.indexOf(dragged);
        let to = items.indexOf(item) + 1; // the place of the line dropped on, 1 first
        if (from < to - 1) to -= 1; // moving down: the dragged line leaves a gap above
        move(dragged.dataset.unit, to);
      });
    });
  });
})();
