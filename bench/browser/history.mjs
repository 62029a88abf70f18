// Browser figures of the history (issue 11) for docs/performance.md: a
// measurement, not a test (it asserts nothing about time). Usage:
//   node bench/browser/history.mjs <base-url> <email> <password> <first-ms> <last-ms> <organisations> <runs>
// Against a server whose workspace holds a long history (built by
// `enlace-history`, changes received one second apart from <first-ms> to
// <last-ms>), in headless Chromium signed in as <email> (secretariat), with
// the browser's clock zone set to UTC so a `datetime-local` value is a UTC
// moment:
// - load: sign-in until the organisation list shows the <organisations>
//   live ones (the browser has synced the whole document);
// - view as of: a moment near the middle typed in the History page's moment
//   picker; wall time from the click until the banner carries the page's own
//   measurement (`data-as-of-ms`: moment set → snapshot at those heads read
//   and drawn), and that measurement;
// - compare: two moments (a quarter and three quarters in) in the compare
//   form; wall time from the click until the list of differences shows, and
//   the page's own `data-compare-ms` (the comparison alone).
// Each of <runs> runs uses moments a little apart. Prints one line of JSON;
// `enlace-history --browser-runs N` runs it from tests/js (where
// playwright-core is installed) and keeps the figures.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const [base, email, password, firstArg, lastArg, organisationsArg, runsArg] = process.argv.slice(2);
const [firstMs, lastMs, organisations, runs] = [firstArg, lastArg, organisationsArg, runsArg].map(Number);
if (!base || !password || !(lastMs > firstMs) || !(runs > 0)) {
  process.stderr.write("usage: node history.mjs <base-url> <email> <password> <first-ms> <last-ms> <organisations> <runs>\n");
  process.exit(2);
}
const PATIENCE = { timeout: 300_000 };
/** The moment `fraction` of the way through the history, as a UTC `datetime-local` value. */
const moment = (fraction) => new Date(firstMs + Math.round((lastMs - firstMs) * fraction)).toISOString().slice(0, 19);

const browser = await chromium.launch({
  executablePath: process.env.ENLACE_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await (await browser.newContext({ timezoneId: "UTC", viewport: { width: 1280, height: 900 } })).newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error?.stack ?? error)));
await page.goto(base);
await page.fill('input[name="email"]', email);
await page.fill('input[name="password"]', password);
const loadStarted = Date.now();
await page.click('button[data-testid="sign-in"]');
await page.waitForSelector('[data-testid="connection"][data-state="live"]', { state: "attached", ...PATIENCE });
await page.evaluate(() => { location.hash = "#/organisations"; });
await page.waitForFunction((count) => {
  const shown = document.querySelector('[data-testid="result-count"]');
  return shown && parseInt(shown.textContent, 10) >= count;
}, organisations, { polling: 50, ...PATIENCE });
const loadMs = Date.now() - loadStarted;

const asOf = [];
const compare = [];
for (let run = 0; run < runs; run++) {
  const shift = (run - (runs - 1) / 2) * 0.02;
  // View as of the middle, from the History page's moment picker.
  await page.evaluate(() => { location.hash = "#/history"; });
  await page.waitForSelector('[data-testid="moment-picker"]', PATIENCE);
  await page.fill('input[name="as-of-moment"]', moment(0.5 + shift));
  const asOfStarted = Date.now();
  await page.click('button[data-testid="view-moment"]');
  const banner = await page.waitForSelector('[data-testid="as-of-banner"][data-as-of-ms]', { polling: "raf", ...PATIENCE });
  await page.waitForSelector(".workspace-page.past", PATIENCE);
  const asOfWallMs = Date.now() - asOfStarted;
  asOf.push({ wallMs: asOfWallMs, pageMs: Number(await banner.getAttribute("data-as-of-ms")) });
  await page.click('[data-testid="back-to-now"]');
  await page.waitForSelector('[data-testid="as-of-banner"]', { state: "detached", ...PATIENCE });

  // Compare a quarter in with three quarters in.
  await page.evaluate(() => { location.hash = "#/history/compare"; });
  await page.waitForSelector('[data-testid="compare"]:not([data-compare-ms])', PATIENCE);
  await page.fill('input[name="compare-from"]', moment(0.25 + shift));
  await page.fill('input[name="compare-to"]', moment(0.75 + shift));
  const compareStarted = Date.now();
  await page.click('button[data-testid="compare-run"]');
  const shown = await page.waitForSelector(
    '[data-testid="compare"][data-compare-ms] .compare-list, [data-testid="compare"][data-compare-ms] [data-testid="no-differences"], [data-testid="compare"] .form-error',
    { polling: "raf", ...PATIENCE },
  );
  const compareWallMs = Date.now() - compareStarted;
  if (await shown.evaluate((element) => element.classList.contains("form-error"))) {
    throw new Error(`compare failed: ${await shown.textContent()}`);
  }
  compare.push({
    wallMs: compareWallMs,
    pageMs: Number(await page.getAttribute('[data-testid="compare"]', "data-compare-ms")),
    rows: await page.locator('[data-testid="compare-row"]').count(),
  });
}
if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join("; ")}`);
console.log(JSON.stringify({ organisations, loadMs, asOf, compare }));
await browser.close();
process.exit(0);
