// The sync engine's worker (client/src/engine_worker.rs): the same wasm
// module as the page, started with `worker_start` instead of the app. It
// owns the workspace document, the socket, the local copy and the other
// tabs, so loading a large workspace never holds the page.
//
// The page posts as soon as the worker exists; what arrives while the
// module loads is kept and handed over in order.
const queued = [];
self.onmessage = (event) => queued.push(event);

import("/enlace.js")
  .then(async ({ default: init, worker_start }) => {
    await init();
    worker_start(queued);
  })
  .catch((error) => console.error("Enlace's sync worker could not start", error));
