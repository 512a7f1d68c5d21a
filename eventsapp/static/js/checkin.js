/* eventsapp check-in at the door: camera scanning (ZXing, vendored), search as you type,
   check-in / undo / walk-in without reloading, live counters. Works without JS too (plain forms). */
(() => {
  const door = document.getElementById("door");
  if (!door) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const results = document.getElementById("door-results");
  const messageBox = document.getElementById("door-message");
  const counters = document.querySelector("[data-counts-url]");
  const POLL_MS = 5000;

  function say(text, ok) {
    messageBox.textContent = text;
    messageBox.className = `alert ${ok ? "alert-success" : "alert-warning"} fs-5`;
  }

  function showCounts(counts) {
    if (!counts) return;
    document.querySelectorAll("[data-count]").forEach((el) => {
      if (el.dataset.count in counts) el.textContent = counts[el.dataset.count];
    });
  }

  async function refreshCounts() {
    if (!counters) return;
    try {
      const response = await fetch(counters.dataset.countsUrl, { headers: { Accept: "application/json" } });
      if (response.ok) showCounts(await response.json());
    } catch (error) { /* offline for a moment: the next poll retries */ }
  }

  function replaceCard(html) {
    if (!html) return;
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const card = holder.firstElementChild;
    const existing = results.querySelector(`[data-contact-id="${card.dataset.contactId}"]`);
    if (existing) existing.replaceWith(card);
    else results.prepend(card);
  }

  async function post(url, body) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        body,
        credentials: "same-origin",
      });
      const data = await response.json();
      say(data.message, data.ok);
      showCounts(data.counts);
      replaceCard(data.html);
      return data;
    } catch (error) {
      say(door.dataset.msgNetworkError, false);
      return null;
    }
  }

  // Check in, undo and walk-in forms (also those that arrive later in search results).
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.classList.contains("js-door")) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const data = await post(form.action, new FormData(form));
    if (button) button.disabled = false;
    if (data && data.ok && form.id === "walkin-form") form.reset();
  });

  // Search as you type.
  const searchForm = document.getElementById("door-search");
  if (searchForm) {
    const input = searchForm.querySelector("input[name=q]");
    let timer = null;
    let lastQuery = null;
    const search = async () => {
      const query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      const url = `${door.dataset.searchUrl}?${new URLSearchParams({ q: query })}`;
      try {
        const response = await fetch(url, { headers: { Accept: "text/html" } });
        if (response.ok && input.value.trim() === query) results.innerHTML = await response.text();
      } catch (error) {
        say(door.dataset.msgNetworkError, false);
      }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
    searchForm.addEventListener("submit", (event) => { event.preventDefault(); lastQuery = null; search(); });
  }

  // Camera scanning with ZXing (served from /static/vendor/zxing-browser).
  const startButton = document.getElementById("scan-start");
  const stopButton = document.getElementById("scan-stop");
  const area = document.getElementById("scan-area");
  const video = document.getElementById("scan-video");
  let controls = null;
  let lastCode = "";
  let lastAt = 0;

  function stopScanning() {
    if (controls) controls.stop();
    controls = null;
    area.classList.add("d-none");
    startButton.classList.remove("d-none");
  }

  async function onCode(text) {
    const now = Date.now();
    if (text === lastCode && now - lastAt < 4000) return; // the same badge held in front of the camera
    lastCode = text;
    lastAt = now;
    if (navigator.vibrate) navigator.vibrate(80);
    await post(door.dataset.scanUrl, new URLSearchParams({ code: text }));
  }

  if (startButton && window.ZXingBrowser) {
    startButton.addEventListener("click", async () => {
      area.classList.remove("d-none");
      startButton.classList.add("d-none");
      try {
        const reader = new window.ZXingBrowser.BrowserQRCodeReader();
        controls = await reader.decodeFromConstraints(
          { video: { facingMode: "environment" } }, video,
          (result) => { if (result) onCode(result.getText()); });
      } catch (error) {
        stopScanning();
        say(door.dataset.msgCameraError, false);
      }
    });
    stopButton.addEventListener("click", stopScanning);
  } else if (startButton) {
    startButton.classList.add("d-none");
  }

  setInterval(refreshCounts, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshCounts(); });
})();
