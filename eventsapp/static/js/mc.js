/* The master of ceremonies' list: asks for the list every 2 s (304 while unchanged) and redraws it in
   protocol order; names that came in since the MC last pressed "I have read the new names" are marked. */
(() => {
  const INTERVAL_MS = 2000;

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("mc");
    if (!root) return;
    const list = document.getElementById("mc-entries");
    const empty = document.getElementById("mc-empty");
    const seenButton = document.getElementById("mc-seen");
    const storeKey = `mc-seen-${root.dataset.event}`;
    let etag = null;
    let entries = null;
    let seen = null;
    try { seen = new Set(JSON.parse(window.localStorage.getItem(storeKey) || "null")); } catch (error) { seen = null; }

    function remember(keys) {
      seen = new Set(keys);
      try { window.localStorage.setItem(storeKey, JSON.stringify([...seen])); } catch (error) { /* private mode */ }
    }

    function draw() {
      if (seen === null || seen.size === 0 && window.localStorage.getItem(storeKey) === null) {
        remember(entries.map((entry) => entry.key)); // the first look: nothing is new yet
      }
      const items = entries.map((entry) => {
        const item = document.createElement("li");
        item.className = "list-group-item mc-entry";
        item.dataset.key = entry.key;
        const text = document.createElement("span");
        text.className = "mc-text";
        text.textContent = entry.text;
        item.append(text);
        if (!seen.has(entry.key)) {
          item.classList.add("mc-new");
          const badge = document.createElement("span");
          badge.className = "badge text-bg-warning mc-new-badge";
          badge.textContent = root.dataset.newLabel;
          item.append(badge);
        }
        if (entry.members.length) {
          const members = document.createElement("ul");
          members.className = "mc-members small";
          entry.members.forEach((member) => {
            const line = document.createElement("li");
            line.textContent = member;
            members.append(line);
          });
          item.append(members);
        }
        return item;
      });
      list.replaceChildren(...items);
      empty.hidden = entries.length > 0;
      if (seenButton) seenButton.hidden = !entries.some((entry) => !seen.has(entry.key));
    }

    function poll() {
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      fetch(root.dataset.url, { headers, credentials: "same-origin", cache: "no-store" })
        .then((response) => {
          if (response.status === 304) return null;
          if (!response.ok) return Promise.reject(response.status);
          etag = response.headers.get("ETag");
          return response.json();
        })
        .then((data) => {
          if (data) {
            entries = data.entries;
            draw();
          }
        })
        .catch(() => {})
        .finally(() => window.setTimeout(poll, INTERVAL_MS));
    }

    if (seenButton) {
      seenButton.addEventListener("click", () => {
        if (entries) remember(entries.map((entry) => entry.key));
        if (entries) draw();
      });
    }
    poll();
  });
})();
