/* The arrivals board on a projector: refreshed from board.json every few seconds (no reload, no inline script). */
(() => {
  const board = document.getElementById("board");
  if (!board) return;
  const INTERVAL_MS = 3000;

  function item(tag, parts) {
    const element = document.createElement(tag);
    parts.forEach(([text, css]) => {
      const span = document.createElement(css === "strong" ? "strong" : "span");
      if (css && css !== "strong") span.className = css;
      span.textContent = text;
      element.append(span);
    });
    return element;
  }

  function tally(list, items) {
    list.replaceChildren(...items.map((entry) => {
      const li = item("li", [[entry.name, ""], [String(entry.count), "strong"]]);
      li.className = "d-flex justify-content-between";
      return li;
    }));
  }

  function render(data) {
    board.querySelectorAll("[data-board-count]").forEach((el) => {
      if (el.dataset.boardCount in data.counts) el.textContent = data.counts[el.dataset.boardCount];
    });
    document.getElementById("board-latest").replaceChildren(...data.latest.map((arrival) => item("li", [
      [arrival.time, "text-muted me-2"], [arrival.name, "board-name"],
      ...(arrival.guests ? [[` ${board.dataset.labelGuests.replace("{n}", arrival.guests)}`, "text-muted"]] : []),
    ])));
    tally(document.getElementById("board-associations"), data.by_association);
    tally(document.getElementById("board-countries"), data.by_country);
  }

  async function refresh() {
    try {
      const response = await fetch(board.dataset.boardUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) render(await response.json());
    } catch (error) { /* the projector's network blinked: the next round catches up */ }
  }

  setInterval(refresh, INTERVAL_MS);
})();
