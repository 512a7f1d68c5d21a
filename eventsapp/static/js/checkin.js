/* eventsapp check-in at the door: camera scanning (ZXing, vendored), search as you type,
   check-in / undo / walk-in without reloading, live counters. Works without JS too (plain forms).

   Offline: the event's check-in list (names, association, answer, guests, a SHA-256 of each check-in
   code, never the code) is kept in IndexedDB and refreshed while online: the page sends the version it
   holds (If-None-Match) and gets 304 when nothing changed, or only the changed lines. Without network,
   scans and name search use that list; check-ins and undos are queued in IndexedDB under a unique id
   made here and sent to /checkin/sync when the network returns (the server applies each id once).
   While the page believes it is offline it sends nothing that changes anything: it only reads the
   counters every few seconds to learn that the network is back. The service worker (/door-sw.js)
   serves the page and its assets when the network is gone. */
(() => {
  const door = document.getElementById("door");
  if (!door) return;
  let csrf = document.querySelector('meta[name="csrf-token"]').content;
  const results = document.getElementById("door-results");
  const messageBox = document.getElementById("door-message");
  const counters = document.querySelector("[data-counts-url]");
  const eventId = Number(door.dataset.eventId);
  const zone = door.dataset.timezone || "Asia/Ho_Chi_Minh";
  const POLL_MS = 5000;
  const REFRESH_MS = 30000;
  const CACHE = "eventsapp-door-v1";
  const TOKEN_IN_URL = /\/c\/([A-Za-z0-9_-]{16,64})\/?(?:[?#].*)?$/;
  const BARE_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

  let list = null;            // {event_id, version, checked_at, people: [...], counts}
  let queue = [];             // this event's queued operations, oldest first
  let serverCounts = null;    // the last counters the server gave
  let flushing = null;        // the promise of the send under way, if any

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all));
  const timeFormat = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const hhmm = (iso) => timeFormat.format(new Date(iso));

  function say(text, ok) {
    messageBox.textContent = text;
    messageBox.className = `alert ${ok ? "alert-success" : "alert-warning"} fs-5`;
  }

  // ------------------------------------------------------------ IndexedDB: the list and the queue

  const dbReady = new Promise((resolve) => {
    if (!window.indexedDB) { resolve(null); return; }
    const request = indexedDB.open("eventsapp-door", 1);
    request.onupgradeneeded = () => {
      const database = request.result;
      database.createObjectStore("lists", { keyPath: "event_id" });
      database.createObjectStore("queue", { keyPath: "id" }).createIndex("event", "event_id");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
  });

  async function store(name, mode, work) {
    const database = await dbReady;
    if (!database) return null;
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(name, mode);
      const request = work(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(request ? request.result : null);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  const saveList = () => (list ? store("lists", "readwrite", (s) => s.put(list)) : null);
  const loadList = () => store("lists", "readonly", (s) => s.get(eventId));
  const saveOp = (op) => store("queue", "readwrite", (s) => s.put(op));
  const deleteOp = (id) => store("queue", "readwrite", (s) => s.delete(id));
  async function loadQueue() {
    const ops = (await store("queue", "readonly", (s) => s.index("event").getAll(eventId))) || [];
    return ops.sort((a, b) => a.seq - b.seq);
  }

  // ------------------------------------------------------------ the phone's view of each person

  const personById = (contactId) => (list ? list.people.find((p) => p.contact_id === contactId) : null);
  const foldedName = (person) => person.folded || (person.folded = fold(person.name));

  /* A person's check-in as this phone sees it: the server's, changed by the queued operations. */
  function checkInOf(person) {
    let state = person.check_in;
    for (const op of queue) {
      if (op.contact_id !== person.contact_id) continue;
      if (op.type === "checkin") {
        state = { client_id: op.id, at: op.at, time: hhmm(op.at), by: door.dataset.staffName, guests: op.guests,
                  walk_in: !person.status, pending: true };
      } else if (op.type === "undo") state = null;
    }
    return state;
  }

  function pendingDelta() {
    const delta = { checked_in: 0, checked_in_guests: 0, walk_ins: 0 };
    for (const op of queue) {
      const person = personById(op.contact_id);
      const sign = op.type === "checkin" ? 1 : -1;
      const guests = op.type === "checkin" ? op.guests : op.guests_undone || 0;
      delta.checked_in += sign;
      delta.checked_in_guests += sign * guests;
      if (person && !person.status) delta.walk_ins += sign;
    }
    return delta;
  }

  function showCounts(counts) {
    if (counts) serverCounts = counts;
    if (!serverCounts) return;
    const delta = pendingDelta();
    const shown = { ...serverCounts };
    for (const key of Object.keys(delta)) shown[key] = (shown[key] || 0) + delta[key];
    shown.checked_in_total = shown.checked_in + shown.checked_in_guests;
    document.querySelectorAll("[data-count]").forEach((el) => {
      if (el.dataset.count in shown) el.textContent = shown[el.dataset.count];
    });
  }

  // ------------------------------------------------------------ status: online, waiting, last refresh

  const onlineBadge = document.getElementById("door-online");
  const pendingBadge = document.getElementById("door-pending");
  const refreshedNote = document.getElementById("door-refreshed");
  let online = navigator.onLine;

  function showStatus() {
    onlineBadge.textContent = online ? onlineBadge.dataset.labelOnline : onlineBadge.dataset.labelOffline;
    onlineBadge.className = `badge ${online ? "text-bg-success" : "text-bg-danger"}`;
    door.dataset.online = online ? "true" : "false";
    pendingBadge.textContent = fill(pendingBadge.dataset.label, { n: queue.length });
    pendingBadge.className = `badge ${queue.length ? "text-bg-warning" : "text-bg-light border"}`;
    pendingBadge.dataset.pending = String(queue.length);
    if (list) refreshedNote.textContent = fill(refreshedNote.dataset.label, { time: hhmm(list.checked_at || list.generated_at) });
    door.dataset.listReady = list ? "true" : "false";
    showWalkIn();
  }

  // Walk-ins not on the list need the server (a new contact): offline the form says so instead of failing.
  const walkInForm = document.getElementById("walkin-form");
  const walkInOffline = document.getElementById("walkin-offline");
  function showWalkIn() {
    if (!walkInForm) return;
    walkInForm.querySelector("fieldset").disabled = !online;
    walkInOffline.classList.toggle("d-none", online);
    if (online && messageBox.textContent === door.dataset.msgNetworkError) {
      messageBox.textContent = "";
      messageBox.className = "alert d-none";
    }
  }

  let rerunSearch = null; // set by the search box: results found offline are looked up again online

  function setOnline(value) {
    if (online === value) return;
    online = value;
    showStatus();
    if (online) {
      flush();
      refreshList();
      if (rerunSearch && results.querySelector(".offline-search-note")) rerunSearch();
    }
  }

  // ------------------------------------------------------------ cards drawn from the kept list

  const statusLabels = document.getElementById("door-status-labels").dataset;
  const statusClasses = { accepted: "text-bg-success", declined: "text-bg-danger", tentative: "text-bg-warning",
                          waitlisted: "text-bg-info" };

  function offlineCard(person) {
    const card = document.getElementById("door-card-template").content.firstElementChild.cloneNode(true);
    const state = checkInOf(person);
    card.dataset.contactId = String(person.contact_id);
    card.querySelector(".person-name").textContent = person.name;
    card.querySelector(".person-details").textContent = [person.association]
      .filter(Boolean).join(" · ");
    const status = card.querySelector(".person-status");
    status.textContent = person.status ? statusLabels[person.status] : statusLabels.none;
    status.classList.add(...(person.status ? (statusClasses[person.status] || "text-bg-secondary") : "text-bg-light border").split(" "));
    if (!person.honoree) card.querySelector(".person-honoree").remove();
    if (!(state && state.walk_in)) card.querySelector(".person-walk-in").remove();
    const guestsLine = card.querySelector(".person-guests");
    if (person.status) guestsLine.textContent = fill(guestsLine.dataset.label, { n: person.guests });
    else guestsLine.remove();
    const note = card.querySelector(".checked-in-note");
    if (state) {
      card.classList.add("border-success");
      note.textContent = fill(note.dataset.label, { time: state.time || hhmm(state.at), by: state.by })
        + (state.guests ? ` · ${fill(note.dataset.labelGuests, { n: state.guests })}` : "");
      if (!state.pending) card.querySelector(".pending-note").remove();
      const seat = card.querySelector(".person-seat");
      if (person.seat) {
        seat.textContent = fill(person.seat.row ? seat.dataset.labelRow : seat.dataset.labelTable,
                                { table: person.seat.table, seat: person.seat.seat });
      } else seat.remove();
      card.querySelector(".checkin-row").remove();
      card.querySelector(".undo-button").addEventListener("click", () => undoOffline(person));
    } else {
      note.remove();
      card.querySelector(".person-seat").remove();
      card.querySelector(".pending-note").remove();
      card.querySelector(".undo-button").remove();
      const input = card.querySelector(".guests-input");
      input.id = `offline-guests-${person.contact_id}`;
      input.value = String(person.guests);
      card.querySelector("label").htmlFor = input.id;
      card.querySelector(".checkin-button").addEventListener("click", () => {
        const guests = Number.parseInt(input.value, 10);
        checkInOffline(person, Number.isInteger(guests) && guests >= 0 && guests <= 50 ? guests : person.guests);
      });
    }
    return card;
  }

  function showCard(person) {
    const card = offlineCard(person);
    const existing = results.querySelector(`[data-contact-id="${person.contact_id}"]`);
    if (existing) existing.replaceWith(card);
    else results.prepend(card);
  }

  function fold(text) {
    return (text || "").toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .split(/\s+/).filter(Boolean).join(" ");
  }

  function searchOffline(query) {
    const terms = fold(query).split(" ").filter(Boolean);
    results.replaceChildren();
    if (!list || terms.join("").length < 2) return;
    const found = list.people.filter((p) => terms.every((t) => foldedName(p).includes(t))).slice(0, 20);
    const note = document.createElement("p");
    note.className = "small text-muted offline-search-note";
    note.textContent = door.dataset.msgOfflineSearch;
    if (!found.length) {
      note.textContent = fill(door.dataset.msgNotFound, { q: query });
      note.classList.add("results-empty");
    }
    results.append(note);
    found.forEach((person) => results.append(offlineCard(person)));
  }

  // ------------------------------------------------------------ a door opened on another day than the event's

  /* The event's days and today, as dates in the event's zone (YYYY-MM-DD); this page may have been
     kept by the phone since another day, so the server's warning is decided again here. */
  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
  const dayWarning = document.getElementById("door-day-warning");
  let dayConfirmed = false;
  function offDay() {
    const today = dayFormat.format(new Date());
    return today < door.dataset.firstDay || today > door.dataset.lastDay;
  }
  function showDayWarning() {
    if (dayWarning) dayWarning.classList.toggle("d-none", !offDay());
  }
  /* Asked once per page before the first check-in on another day than the event's. */
  function confirmDay() {
    if (dayConfirmed || !offDay()) return true;
    dayConfirmed = window.confirm(door.dataset.msgConfirmDay);
    return dayConfirmed;
  }

  // ------------------------------------------------------------ queueing check-ins and undos

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let seq = Date.now();
  async function enqueue(op) {
    op.id = newId();
    op.event_id = eventId;
    op.seq = seq += 1;
    queue.push(op);
    await saveOp(op);
    showStatus();
    showCounts();
    flush();
  }

  async function checkInOffline(person, guests) {
    const state = checkInOf(person);
    if (!state && !confirmDay()) return;
    if (state) {
      say(fill(door.dataset.msgAlready, { time: state.time || hhmm(state.at), by: state.by }), false);
      showCard(person);
      return;
    }
    await enqueue({ type: "checkin", contact_id: person.contact_id, guests, at: new Date().toISOString() });
    const text = guests ? fill(door.dataset.msgCheckedInGuests, { name: person.name, guests })
      : fill(door.dataset.msgCheckedIn, { name: person.name });
    say(online ? text : `${text} ${door.dataset.msgQueued}`, true);
    showCard(person);
  }

  async function undoOffline(person) {
    if (flushing) await flushing; // a check-in being sent right now: undo what the server answers
    const state = checkInOf(person);
    if (!state) {
      showCard(person);
      return;
    }
    if (state.pending) {
      // Never sent: forget it here, the server never hears of it.
      queue = queue.filter((op) => op.id !== state.client_id);
      await deleteOp(state.client_id);
      showStatus();
      showCounts();
    } else {
      await enqueue({ type: "undo", contact_id: person.contact_id, check_in_id: state.id, guests_undone: state.guests });
    }
    say(fill(door.dataset.msgUndone, { name: person.name }), true);
    showCard(person);
  }

  // ------------------------------------------------------------ talking to the server

  /* The list as the server has it: the whole list, or the lines changed since the version kept here. */
  function applyDoorList(data) {
    let people = data.people;
    if (!data.full) {
      const byId = new Map(list.people.map((p) => [p.contact_id, p]));
      for (const gone of data.removed) byId.delete(gone);
      for (const line of data.changed) byId.set(line.contact_id, line);
      const order = data.order || [...byId.keys()];
      people = order.filter((id) => byId.has(id)).map((id) => byId.get(id));
    }
    list = { event_id: eventId, version: data.version, generated_at: data.generated_at,
             checked_at: new Date().toISOString(), people, counts: data.counts };
  }

  async function refreshList() {
    try {
      const headers = { Accept: "application/json" };
      if (list && list.version) headers["If-None-Match"] = `"${list.version}"`;
      const response = await fetch(door.dataset.doorUrl, { headers, cache: "no-store", credentials: "same-origin" });
      csrf = response.headers.get("X-CSRF-Token") || csrf;
      if (response.status === 304) {
        list.checked_at = new Date().toISOString();
      } else if (response.ok) {
        applyDoorList(await response.json());
        showCounts(list.counts);
      } else {
        return;
      }
      setOnline(true);
      await saveList();
      showStatus();
    } catch (error) {
      setOnline(false);
    }
  }

  function flush() {
    // Never while this page believes it is offline: a door does not send what it says it keeps.
    if (!online || flushing || !queue.length) return flushing;
    flushing = send(queue.slice()).finally(() => { flushing = null; });
    return flushing;
  }

  async function send(ops) {
    try {
      const response = await fetch(door.dataset.syncUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ ops: ops.map(({ id, type, contact_id, guests, at, check_in_id }) => (
          { id, type, contact_id, guests, at, check_in_id })) }),
        credentials: "same-origin",
      });
      setOnline(true);
      const data = await response.json();
      if (!response.ok) { say(data.message, false); return; }
      const notes = [];
      for (const result of data.results) {
        const person = personById(result.contact_id);
        if (person && result.status !== "error") person.check_in = result.check_in;
        if (result.status === "conflict" || result.status === "error") notes.push(result.message);
        queue = queue.filter((op) => op.id !== result.id);
        if (result.id) await deleteOp(result.id);
        if (person && results.querySelector(`[data-contact-id="${person.contact_id}"]`)) showCard(person);
      }
      if (notes.length) say(notes.join(" "), false);
      await saveList();
      showCounts(data.counts);
      showStatus();
    } catch (error) {
      setOnline(false);
    }
  }

  async function refreshCounts() {
    if (!counters) return;
    try {
      const response = await fetch(counters.dataset.countsUrl, { headers: { Accept: "application/json" } });
      setOnline(true);
      if (response.ok) showCounts(await response.json());
    } catch (error) { setOnline(false); }
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
  }

  /* A form of a card drawn by the server, when the network is gone: the same action, queued. */
  async function formOffline(form) {
    const card = form.closest("[data-contact-id]");
    const person = card && personById(Number(card.dataset.contactId));
    if (!person) { say(door.dataset.msgNetworkError, false); return; }
    const undoMatch = form.action.match(/\/checkin\/(\d+)\/undo$/);
    const state = checkInOf(person);
    if (undoMatch) {
      await undoOffline(person);
    } else {
      const guests = Number.parseInt(new FormData(form).get("guests"), 10);
      await checkInOffline(person, Number.isInteger(guests) ? guests : person.guests);
    }
  }

  // Check in, undo and walk-in forms (also those that arrive later in search results).
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.classList.contains("js-door")) return;
    event.preventDefault();
    const undoing = /\/undo$/.test(form.action);
    if (!undoing && !confirmDay()) return;
    if (!online) {
      if (form.id !== "walkin-form") await formOffline(form);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    let data = null;
    try {
      data = await post(form.action, new FormData(form));
      setOnline(true);
    } catch (error) {
      setOnline(false);
      if (form.id === "walkin-form") say(door.dataset.msgNetworkError, false);
      else await formOffline(form);
    }
    if (button) button.disabled = false;
    if (data && data.ok && form.id === "walkin-form") form.reset();
    if (data && data.ok) scheduleRefresh();
  });

  let refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshList, 2000);
  }

  // ------------------------------------------------------------ scanning: camera, or a code typed/pasted

  function tokenFrom(text) {
    const value = (text || "").trim();
    const match = value.match(TOKEN_IN_URL);
    if (match) return match[1];
    return BARE_TOKEN.test(value) ? value : null;
  }

  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function scanOffline(text) {
    const token = tokenFrom(text);
    if (token && !(window.crypto && crypto.subtle)) { say(door.dataset.msgNetworkError, false); return; } // not HTTPS
    const hash = token && list ? await sha256(`${eventId}:${token}`) : null;
    const person = hash ? list.people.find((p) => p.code_hash === hash) : null;
    if (!person) { say(door.dataset.msgUnknownCode, false); return; }
    results.replaceChildren();
    await checkInOffline(person, person.guests);
  }

  async function scanned(text) {
    if (!confirmDay()) return;
    if (online) {
      try {
        await post(door.dataset.scanUrl, new URLSearchParams({ code: text }));
        scheduleRefresh();
        return;
      } catch (error) {
        setOnline(false);
      }
    }
    await scanOffline(text);
  }

  // Search as you type; a check-in link or code typed or pasted (hand-held scanners type) is a scan.
  const searchForm = document.getElementById("door-search");
  if (searchForm) {
    const input = searchForm.querySelector("input[name=q]");
    let timer = null;
    let lastQuery = null;
    const search = async () => {
      const query = input.value.trim();
      if (query === lastQuery) return;
      lastQuery = query;
      if (tokenFrom(query)) return; // waits for Enter
      if (!online) { searchOffline(query); return; }
      const url = `${door.dataset.searchUrl}?${new URLSearchParams({ q: query })}`;
      try {
        const response = await fetch(url, { headers: { Accept: "text/html" } });
        if (response.ok && input.value.trim() === query) results.innerHTML = await response.text();
      } catch (error) {
        setOnline(false);
        searchOffline(query);
      }
    };
    rerunSearch = () => { lastQuery = null; search(); };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
    searchForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = input.value.trim();
      if (tokenFrom(query)) {
        input.value = "";
        lastQuery = "";
        await scanned(query);
        return;
      }
      lastQuery = null;
      search();
    });
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
    await scanned(text);
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

  // ------------------------------------------------------------ start: kept list first, then the network

  async function keepPageOffline() {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    try {
      await navigator.serviceWorker.register(door.dataset.swUrl, { scope: "/events/" });
      await navigator.serviceWorker.ready; // active: a reload without network is answered by it
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
      }
      const assets = Array.from(document.querySelectorAll(
        "script[src], link[rel=stylesheet], link[rel=manifest], link[rel=icon], link[rel=apple-touch-icon]"),
      (el) => new URL(el.src || el.href, location.href).pathname);
      const cache = await caches.open(CACHE);
      await cache.addAll([location.pathname, ...new Set(assets)]);
      door.dataset.offlineReady = "true";
    } catch (error) { /* no service worker (private mode, old browser): the page still works online */ }
  }

  (async () => {
    serverCounts = null;
    showDayWarning();
    const kept = await loadList();
    if (kept) list = kept;
    queue = await loadQueue();
    showStatus();
    if (list) showCounts(list.counts);
    window.addEventListener("online", () => setOnline(true));
    window.addEventListener("offline", () => setOnline(false));
    await refreshList();
    await flush();
    keepPageOffline();
    setInterval(() => { refreshCounts(); flush(); }, POLL_MS); // offline, reading the counters tells when it is back
    setInterval(() => { if (online) refreshList(); }, REFRESH_MS);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { refreshCounts(); flush(); } });
  })();
})();
