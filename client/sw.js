// Enlace's service worker: keeps the app shell (the page, the script, the
// wasm, the stylesheet and the sync engine's worker script of one build) so that Enlace opens with no
// network; the workspace itself comes from IndexedDB (client/src/local_copy.rs).
//
// `cargo xtask build-client` writes the build's version below (a hash of
// the shell's files), so a new build is a new worker: it installs beside
// the old one and waits; the page offers to reload into it and, when the
// person accepts, posts "activate" (skipWaiting). Only the shell is cached:
// /api and /sync always go to the network.
const VERSION = "__ENLACE_VERSION__";
const CACHE = `enlace-shell-${VERSION}`;
const SHELL = ["/", "/enlace.js", "/enlace_bg.wasm", "/style.css", "/worker.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("enlace-shell-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "activate") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/sync" || url.pathname === "/sw.js") return;
  // A page (any path: the app routes by hash) is the shell's page.
  const key = request.mode === "navigate" ? "/" : url.pathname;
  if (!SHELL.includes(key)) return;
  // This build's shell, from the cache: the files belong together, and a
  // newer build arrives as a new worker, not file by file.
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(key);
      if (cached) return cached;
      const response = await fetch(request);
      if (response.ok) cache.put(key, response.clone());
      return response;
    }),
  );
});
