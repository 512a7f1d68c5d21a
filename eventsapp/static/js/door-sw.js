/* eventsapp door service worker: the check-in page and the app's static files keep working offline.
   The page itself keeps the check-in list and the queue in IndexedDB (static/js/checkin.js); this worker
   only serves the page and its assets from the cache when the network is gone. */
const CACHE = "eventsapp-door-v1";
const DOOR_PAGE = /^\/events\/\d+\/checkin$/;
const DOOR_MANIFEST = /^\/events\/\d+\/checkin\/manifest\.webmanifest$/;

/* The door's JSON and form posts (/events/<id>/checkin/…) go straight to the network, never through this
   worker (static routing, where the browser has it): the page handles their failures itself. */
self.addEventListener("install", (event) => {
  self.skipWaiting();
  if (event.addRoutes && self.URLPattern) {
    event.waitUntil(event.addRoutes([
      { condition: { urlPattern: new URLPattern({ pathname: "/events/*/checkin/*" }) }, source: "network" },
    ]).catch(() => null));
  }
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("eventsapp-door-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(new URL(request.url).pathname, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(new URL(request.url).pathname);
    if (cached) return cached;
    throw error;
  }
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    fresh.catch(() => null);
    return cached;
  }
  return fresh;
}

/* Only the door's own assets come from the cache: other pages under /events/ always load fresh files. */
function fromDoorPage(request) {
  try {
    return DOOR_PAGE.test(new URL(request.referrer).pathname);
  } catch (error) {
    return false;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (DOOR_PAGE.test(url.pathname) || DOOR_MANIFEST.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/") && fromDoorPage(request)) {
    event.respondWith(staleWhileRevalidate(request));
  }
});
