/* The seating plan: drag a name from the lists onto a table of the drawn plan to seat them at its first
   free seat (the lists' forms do the same on a phone, or without a script). */
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const plan = document.getElementById("seating-plan");
    if (!plan) return;
    document.querySelectorAll(".seat-person[data-person]").forEach((item) => {
      item.addEventListener("dragstart", (event) => {
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.person);
      });
    });
    plan.querySelectorAll(".plan-table").forEach((table) => {
      table.addEventListener("dragover", (event) => {
        event.preventDefault();
        table.classList.add("drop-target");
      });
      table.addEventListener("dragleave", () => table.classList.remove("drop-target"));
      table.addEventListener("drop", (event) => {
        event.preventDefault();
        table.classList.remove("drop-target");
        const person = event.dataTransfer.getData("text/plain");
        if (!/^[ig]-\d+$/.test(person)) return;
        const body = new URLSearchParams({ csrf_token: plan.dataset.csrf, person, table_id: table.dataset.tableId });
        fetch(plan.dataset.placeUrl, { method: "POST", body, credentials: "same-origin",
                                       headers: { Accept: "application/json", "X-CSRFToken": plan.dataset.csrf } })
          .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
          .then(({ ok, data }) => (ok ? window.location.reload() : window.alert(data.message || plan.dataset.error)))
          .catch(() => window.alert(plan.dataset.error));
      });
    });
  });
})();
