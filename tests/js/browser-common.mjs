// Shared harness of the browser end-to-end scripts (browser-*.mjs):
// launching headless Chromium, collecting page errors, named steps with
// timings, failure reports with screenshots, signing in through the login
// page, and the selectors and small actions the scripts share.

import { chromium } from "playwright-core";

export const CONNECT_TIMEOUT_MS = 30_000;
export const STEP_TIMEOUT_MS = 20_000;
export const OVERALL_TIMEOUT_MS = 150_000;

export const CONNECTION = '[data-testid="connection"]';
export const CONNECTION_LIVE = '[data-testid="connection"][data-state="live"]';
/** A row of a collection list (`#/organisations`, `#/alliances`, ...). */
export const ROW = '[data-testid="record-row"]';
export const HOME = '[data-testid="home"]';
export const NEW_RECORD = 'button[data-testid="new-record"]';
export const NEW_RECORD_FORM = '[data-testid="new-record-form"]';
export const CREATE_RECORD = 'button[data-testid="create-record"]';
export const LOGIN_EMAIL = 'input[name="email"]';
export const LOGIN_PASSWORD = 'input[name="password"]';
export const SIGN_IN = 'button[data-testid="sign-in"]';
export const SIGN_OUT = 'button[data-testid="sign-out"]';
export const LOGIN_ERROR = '[data-testid="login-error"]';
export const CURRENT_USER = '[data-testid="current-user"]';
export const CURRENT_ROLE = '[data-testid="current-role"]';

/** Reads an environment variable or exits with a usage error. */
export function requiredEnv(name, usage) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`missing ${name}\n${usage}\n`);
    process.exit(2);
  }
  return value;
}

/**
 * What every suite script takes: `<base-url> <screenshot.png>` on the
 * command line, the shared password in `ENLACE_PASSWORD`, and accounts
 * through `person(prefix, role)` (`ENLACE_<prefix>_EMAIL`,
 * `ENLACE_<prefix>_NAME`). Exits with the usage line when one is missing.
 */
export function scriptArguments(scriptName) {
  const usage = `usage: node ${scriptName} <base-url> <screenshot.png> (see the header for the env)`;
  const [baseUrl, screenshotPath] = process.argv.slice(2);
  if (!baseUrl || !screenshotPath) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const password = requiredEnv("ENLACE_PASSWORD", usage);
  const person = (prefix, role) => ({
    email: requiredEnv(`ENLACE_${prefix}_EMAIL`, usage),
    displayName: requiredEnv(`ENLACE_${prefix}_NAME`, usage),
    password,
    role,
  });
  return { usage, baseUrl, screenshotPath, password, person };
}

/**
 * One run: `run.step(label, action)` times each step; `run.fail(error)`
 * reports and exits 1; `run.finish(summary)` prints the JSON summary and exits 0.
 */
export function createRun(scriptName, screenshotPath) {
  const run = {
    timings: {},
    pageErrors: [],
    consoleErrors: [],
    failedRequests: [],
    currentStep: "launch",
    browser: undefined,
    pages: {},
    started: Date.now(),
  };

  run.step = async (label, action) => {
    run.currentStep = label;
    const started = Date.now();
    await action();
    run.timings[label] = Date.now() - started;
    if (run.pageErrors.length > 0) throw new Error(`uncaught page error during ${label}`);
  };

  run.watch = (page, who) => {
    page.on("pageerror", (error) => run.pageErrors.push(`[${who}] ${error?.stack ?? error}`));
    page.on("console", (message) => {
      if (message.type() === "error") run.consoleErrors.push(`[${who}] ${message.text()}`);
    });
    page.on("crash", () => run.pageErrors.push(`[${who}] page crashed`));
    page.on("response", (response) => {
      if (response.status() >= 400) run.failedRequests.push(`[${who}] ${response.status()} ${response.url()}`);
    });
    page.on("requestfailed", (request) =>
      run.failedRequests.push(`[${who}] ${request.failure()?.errorText} ${request.url()}`),
    );
  };

  run.launch = async (who) => {
    const executablePath = process.env.ENLACE_CHROMIUM || "/usr/bin/chromium";
    run.browser = await chromium.launch({
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
    for (const name of who) {
      // One context per person: separate cookies, separate sessions.
      const context = await run.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "es-MX" });
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      run.watch(page, name);
      run.pages[name] = page;
    }
  };

  run.failureScreenshots = async () => {
    const base = screenshotPath.replace(/\.png$/i, "");
    const saved = [];
    for (const [who, page] of Object.entries(run.pages)) {
      const path = `${base}-failure-${who}.png`;
      try {
        await page.screenshot({ path, fullPage: true, timeout: 5_000 });
        saved.push(path);
      } catch {
        // the page may be gone
      }
    }
    return saved;
  };

  run.fail = async (error) => {
    clearTimeout(run.overall);
    const screenshots = await run.failureScreenshots().catch(() => []);
    process.stderr.write(
      `${scriptName}: step "${run.currentStep}" failed: ${error?.stack ?? error}\n` +
        `page errors:\n${run.pageErrors.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
        `console errors:\n${run.consoleErrors.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
        `failed requests:\n${run.failedRequests.map((line) => `  ${line}`).join("\n") || "  (none)"}\n` +
        `failure screenshots: ${screenshots.join(", ") || "(none)"}\n` +
        `timings so far: ${JSON.stringify(run.timings)}\n`,
    );
    await run.browser?.close().catch(() => {});
    process.exit(1);
  };

  run.finish = async (summary) => {
    clearTimeout(run.overall);
    console.log(
      JSON.stringify({
        ok: true,
        ...summary,
        timings_ms: { ...run.timings, total: Date.now() - run.started },
        screenshot: screenshotPath,
        console_errors: run.consoleErrors,
        failed_requests: run.failedRequests,
      }),
    );
    await run.browser.close();
    process.exit(0);
  };

  run.overall = setTimeout(() => {
    run.fail(new Error(`the whole run exceeded ${OVERALL_TIMEOUT_MS} ms`));
  }, OVERALL_TIMEOUT_MS);

  return run;
}

/** Waits for the login form, signs in, and waits until the person is shown and the socket is live. */
export async function signIn(page, { email, password, displayName, role }) {
  await page.waitForSelector(LOGIN_EMAIL, { state: "visible", timeout: CONNECT_TIMEOUT_MS });
  await page.fill(LOGIN_EMAIL, email);
  await page.fill(LOGIN_PASSWORD, password);
  await page.click(SIGN_IN);
  await page.waitForSelector(CONNECTION_LIVE, { state: "attached", timeout: CONNECT_TIMEOUT_MS });
  const shown = (await page.textContent(CURRENT_USER, { timeout: STEP_TIMEOUT_MS }))?.trim();
  if (shown !== displayName) throw new Error(`the header shows ${JSON.stringify(shown)}, not ${displayName}`);
  await page.waitForSelector(`${CURRENT_ROLE}[data-role="${role}"]`, { state: "attached" });
}

/** Waits until a record page's field control (`[data-field=<field>] input|select`) holds `expected`. */
export async function waitForFieldValue(page, field, expected) {
  await page
    .waitForFunction(
      ({ field, expected }) => {
        const control = document.querySelector(`[data-field="${field}"] input, [data-field="${field}"] select`);
        return control?.value === expected;
      },
      { field, expected },
      { timeout: STEP_TIMEOUT_MS, polling: 100 },
    )
    .catch((error) => {
      throw new Error(`field ${field} never showed ${JSON.stringify(expected)}: ${error.message}`);
    });
}

/** Shows the organisation `id`'s page (by the URL fragment; nothing is awaited). */
export async function showOrganisation(page, id) {
  await page.evaluate((id) => { location.hash = `#/organisations/${id}`; }, id);
}

/** Shows the organisation `id`'s page and waits until its acronym can be edited. */
export async function openOrganisation(page, id) {
  await showOrganisation(page, id);
  await page.waitForSelector(`.record-detail[data-id="${id}"] [data-field="acronym"] input`);
}

/** Types `value` into a record page's line field and commits it (the field commits on `change`). */
export async function setLineField(page, field, value) {
  const input = page.locator(`[data-field="${field}"] input`);
  await input.fill(value);
  await input.press("Enter");
  await input.evaluate((element) => element.blur());
}

/** Creates a record through a list's "new record" form; returns its id once its page is open. */
export async function createRecord(page, collection, fill) {
  await page.click(`a[data-nav="${collection}"]`);
  await page.click(NEW_RECORD);
  await page.waitForSelector(NEW_RECORD_FORM, { state: "visible" });
  await fill(page.locator(NEW_RECORD_FORM));
  await page.click(CREATE_RECORD);
  await page.waitForFunction(
    (collection) => new RegExp(`^#/${collection}/[0-9a-f]{32}$`).test(location.hash),
    collection,
  );
  const id = (await page.evaluate(() => location.hash)).split("/").pop();
  await page.waitForSelector(`.record-detail[data-id="${id}"] [data-field]`);
  return id;
}

/** The `data-count` of one line of a home page card, or null if the line is missing. */
export async function homeCount(page, card, slug) {
  const line = page.locator(`[data-testid="${card}"] [data-slug="${slug}"]`);
  if ((await line.count()) === 0) return null;
  return Number(await line.getAttribute("data-count"));
}

/** Waits until the home page card line `slug` counts `count`. */
export async function waitForHomeCount(page, card, slug, count) {
  await page.waitForSelector(`[data-testid="${card}"] [data-slug="${slug}"][data-count="${count}"]`, {
    state: "attached",
  });
}
