// Browser figures of the local copy (issue 14) for docs/performance.md: a
// measurement, not a test (it asserts nothing about time). Usage:
//   node bench/browser/offline.mjs <base-url> <email> <password> <organisations> <runs> <edits> <record-id>
// Against a server whose workspace holds a long history (built by
// `enlace-offline` with `enlace-history`'s builder), in headless Chromium
// signed in as <email>:
// - the copy: sign in, sync the whole document, wait until the local copy
//   is written (no write pending); its size in IndexedDB;
// - persisting one edit: <edits> edits of an organisation's city; the
//   page's own `data-edit-post-ms` (in the page: the edit encoded and
//   posted to the sync worker), `data-persist-ms` (in the worker: the
//   change's bytes taken and queued) and `data-write-ms` (the IndexedDB
//   transaction);
// - opening offline: with the network off (DevTools emulation), reload
//   `#/organisations`; wall time until the list shows every organisation,
//   and the page's own `data-copy-open-ms` (navigation start → first frame
//   drawn from the copy's document), `data-copy-image-ms` (→ first frame
//   drawn from the workspace's image kept beside the copy, before the
//   document is loaded), `data-copy-read-ms`, `data-copy-load-ms`; and
//   whether the list answers: in the first frame that lists every
//   organisation a search is typed (the city the edits wrote), and the
//   first frame after it that shows the list filtered is when the page is
//   interactive (navigation start → that frame, the page's clock).
// Prints one line of JSON; `enlace-offline` runs it from tests/js (where
// playwright-core is installed) and keeps the figures.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const [base, email, password, organisationsArg, runsArg, editsArg, record] = process.argv.slice(2);
const [organisations, runs, edits] = [organisationsArg, runsArg, editsArg].map(Number);
if (!base || !password || !(organisations > 0) || !(runs > 0) || !(edits > 0) || !record) {
  process.stderr.write("usage: node offline.mjs <base-url> <email> <password> <organisations> <runs> <edits> <record-id>\n");
  process.exit(2);
}
const PATIENCE = { timeout: 180_000 };
const say = (what) => process.stderr.write(`offline.mjs: ${what}\n`);
const CONNECTION = '[data-testid="connection"]';

const browser = await chromium.launch({
  executablePath: process.env.ENLACE_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error?.stack ?? error)));
page.on("dialog", (dialog) => dialog.accept());
const number = async (attribute) => Number(await page.getAttribute(CONNECTION, attribute));
const listed = () =>
  page.waitForFunction((count) => {
    const shown = document.querySelector('[data-testid="result-count"]');
    return shown && parseInt(shown.textContent, 10) >= count;
  }, organisations, { polling: "raf", ...PATIENCE });
const settled = () =>
  page.waitForSelector(`${CONNECTION}[data-writes-pending="0"][data-write-ms]`, { state: "attached", ...PATIENCE });

// During the openings: types a search in the first frame that lists every
// organisation, and notes the frame that shows the list filtered.
await context.addInitScript(([count, term]) => {
  if (sessionStorage.getItem("enlace-bench-answer") !== "1") return;
  const shown = () => parseInt(document.querySelector('[data-testid="result-count"]')?.textContent ?? "", 10);
  const watch = () => {
    const now = performance.now();
    if (window.enlaceListedAt === undefined) {
      const search = document.querySelector('input[name="search"]');
      if (search && shown() >= count) {
        window.enlaceListedAt = now;
        search.value = term;
        window.enlaceAskedAt = performance.now();
        search.dispatchEvent(new Event("input", { bubbles: true }));
      }
    } else if (shown() < count) {
      window.enlaceAnsweredAt = now;
      return;
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}, [organisations, `Ciudad ${edits - 1}`]);

await page.goto(base);
await page.fill('input[name="email"]', email);
await page.fill('input[name="password"]', password);
await page.click('button[data-testid="sign-in"]');
await page.waitForSelector(`${CONNECTION}[data-state="live"]`, { state: "attached", ...PATIENCE });
say("signed in");
await page.evaluate(() => { location.hash = "#/organisations"; });
await listed();
say("synced");
await page.waitForSelector(`${CONNECTION}[data-state="live"][data-waiting="0"]`, { state: "attached", ...PATIENCE });
await settled();
say("copy written");
await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, PATIENCE);
// Bytes in IndexedDB: the copy (snapshot, chunks, meta) and the
// workspace's image beside it, counted apart.
const storedSizes = () =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open("enlace");
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const sizes = { copy: 0, image: 0 };
          const cursor = request.result.transaction("copy").objectStore("copy").openCursor();
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at) return resolve(sizes);
            sizes[String(at.key).endsWith("/image") ? "image" : "copy"] += at.value?.byteLength ?? 0;
            at.continue();
          };
          cursor.onerror = () => reject(cursor.error);
        };
        setTimeout(() => reject(new Error("IndexedDB did not answer in 60 s")), 60_000);
      }),
  );
const bytes = (await storedSizes()).copy;
say(`copy of ${bytes} bytes`);
// Persisting one edit, <edits> times.
const persist = [];
await page.evaluate((id) => { location.hash = `#/organisations/${id}`; }, record);
const city = page.locator('[data-field="city"] input');
await city.waitFor(PATIENCE);
for (let edit = 0; edit < edits; edit++) {
  // Counted, not compared by cost: two edits may cost the same 0.10 ms.
  const before = await number("data-persisted");
  await city.fill(`Ciudad ${edit}`);
  await city.press("Enter");
  await page.waitForFunction(
    ([selector, before]) => Number(document.querySelector(selector)?.getAttribute("data-persisted")) > before,
    [CONNECTION, before],
    PATIENCE,
  );
  await settled();
  persist.push({ postMs: await number("data-edit-post-ms"), persistMs: await number("data-persist-ms"), writeMs: await number("data-write-ms") });
}

say("edits persisted");
// The workspace's image is kept once edits have settled (2 s).
await page.waitForFunction(
  ([selector, before]) => Number(document.querySelector(selector)?.getAttribute("data-images-kept")) > before,
  [CONNECTION, await number("data-images-kept")],
  PATIENCE,
);
await page.waitForSelector(`${CONNECTION}[data-writes-pending="0"]`, { state: "attached", ...PATIENCE });
const imageEncodeMs = await number("data-image-encode-ms");
const imageBytes = (await storedSizes()).image;
say(`image of ${imageBytes} bytes, encoded in ${imageEncodeMs} ms`);
// Opening offline, <runs> times.
const open = [];
await page.evaluate(() => { location.hash = "#/organisations"; });
await listed();
await page.evaluate(() => sessionStorage.setItem("enlace-bench-answer", "1"));
for (let run = 0; run < runs; run++) {
  await context.setOffline(true);
  const started = Date.now();
  await page.reload();
  await page.waitForFunction(() => window.enlaceListedAt !== undefined, null, { polling: "raf", ...PATIENCE });
  const wallMs = Date.now() - started;
  await page.waitForFunction(() => window.enlaceAnsweredAt !== undefined, null, { polling: "raf", ...PATIENCE });
  await page.waitForSelector(`${CONNECTION}[data-copy-open-ms]`, { state: "attached", ...PATIENCE });
  const [listedMs, askedMs, answeredMs] = await page.evaluate(() => [window.enlaceListedAt, window.enlaceAskedAt, window.enlaceAnsweredAt]);
  open.push({
    wallMs,
    listedMs,
    askedMs,
    answeredMs,
    openMs: await number("data-copy-open-ms"),
    readMs: await number("data-copy-read-ms"),
    startedAtMs: await number("data-started-at-ms"),
    readAtMs: await number("data-copy-read-at-ms"),
    loadMs: await number("data-copy-load-ms"),
    imageMs: await number("data-copy-image-ms"),
    imageReadMs: await number("data-copy-image-read-ms"),
  });
  say(`opened offline in ${open.at(-1).openMs} ms (${run + 1} of ${runs})`);
  await context.setOffline(false);
  await page.waitForSelector(`${CONNECTION}[data-state="live"]`, { state: "attached", ...PATIENCE });
}

if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join("; ")}`);
console.log(JSON.stringify({ bytes, imageBytes, imageEncodeMs, open, persist }));
await browser.close();
process.exit(0);
