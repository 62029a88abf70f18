// Browser end-to-end: two people edit the partner directory at the same time.
//
// usage: node browser-directory.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//
// Two headless Chromium contexts (two separate people) open <base-url> and
// wait until the connection indicator says live. A adds an organisation; B
// sees it, edits its country; A sees the edit. A full-page screenshot of A
// goes to <screenshot-path>. Prints one JSON summary line (timings in ms) and
// exits 0. On failure: prints the failed step and the pages' console errors
// to stderr, saves <screenshot-path without .png>-failure-{a,b}.png, exits 1.
// An uncaught page error (`pageerror`) is a failure too.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium } from "playwright-core";

const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write("usage: node browser-directory.mjs <base-url> <screenshot-path>\n");
  process.exit(2);
}
const executablePath = process.env.ENLACE_CHROMIUM || "/usr/bin/chromium";

const CONNECT_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 20_000;
const OVERALL_TIMEOUT_MS = 150_000;

const CONNECTION_LIVE = '[data-testid="connection"][data-state="live"]';
const ROW = '[data-testid="organisation-row"]';
const NEW_COUNTRY = "Irlanda";
const EDITED_COUNTRY = "Irlanda (Dublín)";
const name = `Embajada de prueba ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const timings = {};
const pageErrors = [];
const consoleErrors = [];
const failedRequests = [];
let currentStep = "launch";
let browser;
const pages = {};

async function step(label, action) {
  currentStep = label;
  const started = Date.now();
  await action();
  timings[label] = Date.now() - started;
  if (pageErrors.length > 0) throw new Error(`uncaught page error during ${label}`);
}

function watch(page, who) {
  page.on("pageerror", (error) => pageErrors.push(`[${who}] ${error?.stack ?? error}`));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`[${who}] ${message.text()}`);
  });
  page.on("crash", () => pageErrors.push(`[${who}] page crashed`));
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`[${who}] ${response.status()} ${response.url()}`);
  });
  page.on("requestfailed", (request) => failedRequests.push(`[${who}] ${request.failure()?.errorText} ${request.url()}`));
}

/** In the page: the index of the organisation row whose name input holds `name`, or -1. */
function rowIndexFn({ row, name }) {
  return Array.from(document.querySelectorAll(row)).findIndex(
    (element) => element.querySelector('input[name="name"]')?.value === name,
  );
}

async function rowIndex(page) {
  return page.evaluate(rowIndexFn, { row: ROW, name });
}

async function waitForRow(page, predicateCountry) {
  await page.waitForFunction(
    ({ row, name, country }) => {
      const found = Array.from(document.querySelectorAll(row)).find(
        (element) => element.querySelector('input[name="name"]')?.value === name,
      );
      if (!found) return false;
      if (country === null) return true;
      return found.querySelector('input[name="country"]')?.value === country;
    },
    { row: ROW, name, country: predicateCountry },
    { timeout: STEP_TIMEOUT_MS, polling: 100 },
  );
}

async function failureScreenshots() {
  const base = screenshotPath.replace(/\.png$/i, "");
  const saved = [];
  for (const [who, page] of Object.entries(pages)) {
    const path = `${base}-failure-${who}.png`;
    try {
      await page.screenshot({ path, fullPage: true, timeout: 5_000 });
      saved.push(path);
    } catch {
      // the page may be gone
    }
  }
  return saved;
}

async function fail(error) {
  clearTimeout(overall);
  const screenshots = await failureScreenshots().catch(() => []);
  process.stderr.write(
    `browser-directory: step "${currentStep}" failed: ${error?.stack ?? error}\n` +
      `page errors:\n${pageErrors.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
      `console errors:\n${consoleErrors.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
      `failed requests:\n${failedRequests.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
      `failure screenshots: ${screenshots.join(", ") || "(none)"}\n` +
      `timings so far: ${JSON.stringify(timings)}\n`,
  );
  await browser?.close().catch(() => {});
  process.exit(1);
}

const overall = setTimeout(() => {
  fail(new Error(`the whole run exceeded ${OVERALL_TIMEOUT_MS} ms`));
}, OVERALL_TIMEOUT_MS);

try {
  const started = Date.now();
  await step("launch", async () => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    for (const who of ["a", "b"]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "es-MX" });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      watch(page, who);
      pages[who] = page;
    }
  });

  await step("open", async () => {
    await Promise.all(Object.values(pages).map((page) => page.goto(baseUrl, { waitUntil: "load" })));
  });

  await step("live", async () => {
    await Promise.all(
      Object.values(pages).map((page) =>
        page.waitForSelector(CONNECTION_LIVE, { state: "attached", timeout: CONNECT_TIMEOUT_MS }),
      ),
    );
  });

  const a = pages.a;
  const b = pages.b;

  await step("add_on_a", async () => {
    await a.fill('input[name="new-name"]', name);
    await a.selectOption('select[name="new-kind"]', "embassy");
    await a.fill('input[name="new-country"]', NEW_COUNTRY);
    await a.click('button[data-testid="add-organisation"]');
    await waitForRow(a, null);
  });

  await step("seen_on_b", async () => {
    await waitForRow(b, NEW_COUNTRY);
  });

  await step("edit_on_b", async () => {
    const index = await rowIndex(b);
    if (index < 0) throw new Error("the new row vanished from page B");
    const country = b.locator(ROW).nth(index).locator('input[name="country"]');
    await country.fill(EDITED_COUNTRY);
    await country.press("Enter");
    // Blur too, for a client that commits on `change` after focus leaves.
    await country.evaluate((element) => element.blur());
    await waitForRow(b, EDITED_COUNTRY);
  });

  await step("edit_seen_on_a", async () => {
    await waitForRow(a, EDITED_COUNTRY);
  });

  await step("screenshot", async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  clearTimeout(overall);
  console.log(
    JSON.stringify({
      ok: true,
      name,
      timings_ms: { ...timings, total: Date.now() - started },
      screenshot: screenshotPath,
      console_errors: consoleErrors,
      failed_requests: failedRequests,
    }),
  );
  await browser.close();
  process.exit(0);
} catch (error) {
  await fail(error);
}
