// Browser figures of the local copy (issue 14) for docs/performance.md: a
// measurement, not a test (it asserts nothing about time). Usage:
//   node bench/browser/offline.mjs <base-url> <email> <password> <organisations> <runs> <edits> <record-id>
// Against a server whose workspace holds a long history (built by
// `enlace-offline` with `enlace-history`'s builder), in headless Chromium
// signed in as <email>:
// - the copy: sign in, sync the whole document, wait until the local copy
//   is written (no write pending); its size in IndexedDB;
// - persisting one edit: <edits> edits of an organisation's city; the page's
//   own `data-persist-ms` (in the page: the change's bytes taken and
//   queued) and `data-write-ms` (the IndexedDB transaction, off the main
//   thread);
// - opening offline: with the network off (DevTools emulation), reload
//   `#/organisations`; wall time until the list shows every organisation,
//   and the page's own `data-copy-open-ms` (navigation start → first frame
//   drawn from the copy's document), `data-copy-image-ms` (→ first frame
//   drawn from the workspace's image kept beside the copy, before the
//   document is loaded), `data-copy-read-ms`, `data-copy-load-ms`.
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
  persist.push({ persistMs: await number("data-persist-ms"), writeMs: await number("data-write-ms") });
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
for (let run = 0; run < runs; run++) {
  await context.setOffline(true);
  const started = Date.now();
  await page.reload();
  await listed();
  const wallMs = Date.now() - started;
  await page.waitForSelector(`${CONNECTION}[data-copy-open-ms]`, { state: "attached", ...PATIENCE });
  open.push({
    wallMs,
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
