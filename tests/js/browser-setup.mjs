// Browser end-to-end: first-start setup creates the first secretariat
// account in the browser and signs it in.
//
// usage: node browser-setup.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//        ENLACE_SETUP_TOKEN   the secret the server printed in its setup link
//        ENLACE_EMAIL, ENLACE_NAME, ENLACE_PASSWORD   the account to create
//
// Opens <base-url>/setup#token=…, first submits a too-short password (the
// form must refuse it without asking the server), then the real account; the
// page must end signed in and live as the secretariat, with the secret gone
// from the address bar. A screenshot of the setup form with its error goes
// to <screenshot-path>. Output and failures as in browser-directory.mjs.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  CONNECTION_LIVE,
  CONNECT_TIMEOUT_MS,
  CURRENT_ROLE,
  CURRENT_USER,
  createRun,
  requiredEnv,
} from "./browser-common.mjs";

const USAGE = "usage: node browser-setup.mjs <base-url> <screenshot-path> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const token = requiredEnv("ENLACE_SETUP_TOKEN", USAGE);
const email = requiredEnv("ENLACE_EMAIL", USAGE);
const displayName = requiredEnv("ENLACE_NAME", USAGE);
const password = requiredEnv("ENLACE_PASSWORD", USAGE);

const SETUP_ERROR = '[data-testid="setup-error"]';

const run = createRun("browser-setup", screenshotPath);

try {
  await run.step("launch", () => run.launch(["admin"]));
  const page = run.pages.admin;

  await run.step("open", () => page.goto(`${baseUrl.replace(/\/$/, "")}/setup#token=${token}`, { waitUntil: "load" }));

  await run.step("short_password_refused", async () => {
    await page.waitForSelector('input[name="display-name"]', { state: "visible" });
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="display-name"]', displayName);
    await page.fill('input[name="password"]', "corta");
    await page.fill('input[name="password-confirmation"]', "corta");
    await page.click('button[data-testid="create-account"]');
    await page.waitForSelector(SETUP_ERROR, { state: "visible" });
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("create_account", async () => {
    await page.fill('input[name="password"]', password);
    await page.fill('input[name="password-confirmation"]', password);
    await page.click('button[data-testid="create-account"]');
    await page.waitForSelector(CONNECTION_LIVE, { state: "attached", timeout: CONNECT_TIMEOUT_MS });
    const shown = (await page.textContent(CURRENT_USER))?.trim();
    if (shown !== displayName) throw new Error(`the header shows ${JSON.stringify(shown)}, not ${displayName}`);
    await page.waitForSelector(`${CURRENT_ROLE}[data-role="secretariat"]`, { state: "attached" });
    const url = new URL(page.url());
    if (url.hash.includes("token") || url.pathname !== "/") throw new Error(`the address bar still shows ${page.url()}`);
  });

  await run.finish({ email });
} catch (error) {
  await run.fail(error);
}
