// Browser end-to-end: two people sign in and edit the partner directory at
// the same time, then one signs out.
//
// usage: node browser-directory.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//        ENLACE_A_EMAIL, ENLACE_A_NAME, ENLACE_A_ROLE   person A (the secretariat)
//        ENLACE_B_EMAIL, ENLACE_B_NAME, ENLACE_B_ROLE   person B (a member)
//        ENLACE_PASSWORD                                both passwords
//
// Two headless Chromium contexts (two separate people) open <base-url> and
// get the login page. A first tries a wrong password and must see the error;
// then both sign in through the form and wait until the header shows their
// name and role and the connection indicator says live. A adds an
// organisation; B sees it (with A's name as its author), edits its country;
// A sees the edit. A full-page screenshot of A goes to <screenshot-path>.
// Then A signs out: the login page comes back, the indicator is no longer
// live, `/api/me` answers 401 in A's browser, and B stays live. Last, B's
// session is ended behind the page's back (a `POST /api/logout` from the
// page's JS, as another tab would): the server closes B's socket with 4001
// and B's page must show the login form.
// Prints one JSON summary line (timings in ms) and exits 0. On failure:
// prints the failed step and the pages' console errors to stderr, saves
// <screenshot-path without .png>-failure-{a,b}.png, exits 1. An uncaught
// page error (`pageerror`) is a failure too.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  CONNECTION,
  CONNECTION_LIVE,
  LOGIN_EMAIL,
  LOGIN_ERROR,
  LOGIN_PASSWORD,
  ROW,
  SIGN_IN,
  SIGN_OUT,
  STEP_TIMEOUT_MS,
  createRun,
  requiredEnv,
  signIn,
} from "./browser-common.mjs";

const USAGE = "usage: node browser-directory.mjs <base-url> <screenshot-path> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const password = requiredEnv("ENLACE_PASSWORD", USAGE);
const people = {
  a: {
    email: requiredEnv("ENLACE_A_EMAIL", USAGE),
    displayName: requiredEnv("ENLACE_A_NAME", USAGE),
    role: requiredEnv("ENLACE_A_ROLE", USAGE),
    password,
  },
  b: {
    email: requiredEnv("ENLACE_B_EMAIL", USAGE),
    displayName: requiredEnv("ENLACE_B_NAME", USAGE),
    role: requiredEnv("ENLACE_B_ROLE", USAGE),
    password,
  },
};

const NEW_COUNTRY = "Irlanda";
const EDITED_COUNTRY = "Irlanda (Dublín)";
const name = `Embajada de prueba ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const run = createRun("browser-directory", screenshotPath);

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

try {
  await run.step("launch", () => run.launch(["a", "b"]));
  const { a, b } = run.pages;

  await run.step("open", async () => {
    await Promise.all([a, b].map((page) => page.goto(baseUrl, { waitUntil: "load" })));
  });

  await run.step("wrong_password_on_a", async () => {
    await a.waitForSelector(LOGIN_EMAIL, { state: "visible" });
    await a.fill(LOGIN_EMAIL, people.a.email);
    await a.fill(LOGIN_PASSWORD, `${password} (mal)`);
    await a.click(SIGN_IN);
    await a.waitForSelector(LOGIN_ERROR, { state: "visible" });
    const message = (await a.textContent(LOGIN_ERROR))?.trim() ?? "";
    if (message.length === 0) throw new Error("the login error is empty");
    if (await a.isVisible(SIGN_OUT)) throw new Error("a wrong password signed in");
  });

  await run.step("sign_in", async () => {
    await Promise.all([signIn(a, people.a), signIn(b, people.b)]);
    if (await a.isVisible(LOGIN_ERROR)) throw new Error("the login error outlived the sign-in");
  });

  await run.step("add_on_a", async () => {
    await a.fill('input[name="new-name"]', name);
    await a.selectOption('select[name="new-kind"]', "embassy");
    await a.fill('input[name="new-country"]', NEW_COUNTRY);
    await a.click('button[data-testid="add-organisation"]');
    await waitForRow(a, null);
  });

  await run.step("seen_on_b", async () => {
    await waitForRow(b, NEW_COUNTRY);
    const index = await rowIndex(b);
    const meta = (await b.locator(ROW).nth(index).locator(".row-meta").textContent()) ?? "";
    if (!meta.includes(people.a.displayName)) {
      throw new Error(`the row's author is ${JSON.stringify(meta)}, not ${people.a.displayName}`);
    }
  });

  await run.step("edit_on_b", async () => {
    const index = await rowIndex(b);
    if (index < 0) throw new Error("the new row vanished from page B");
    const country = b.locator(ROW).nth(index).locator('input[name="country"]');
    await country.fill(EDITED_COUNTRY);
    await country.press("Enter");
    // Blur too, for a client that commits on `change` after focus leaves.
    await country.evaluate((element) => element.blur());
    await waitForRow(b, EDITED_COUNTRY);
  });

  await run.step("edit_seen_on_a", async () => {
    await waitForRow(a, EDITED_COUNTRY);
  });

  await run.step("screenshot", async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("sign_out_on_a", async () => {
    await a.click(SIGN_OUT);
    await a.waitForSelector(LOGIN_EMAIL, { state: "visible" });
    await a.waitForSelector(`${CONNECTION}:not([data-state="live"])`, { state: "attached" });
    // Nothing reconnects behind the login page.
    await a.waitForTimeout(1_500);
    const state = await a.getAttribute(CONNECTION, "data-state");
    if (state === "live") throw new Error("the socket is live again after signing out");
    if ((await a.locator(ROW).count()) > 0) throw new Error("the directory is still shown after signing out");
    const me = await a.evaluate(async () => (await fetch("/api/me")).status);
    if (me !== 401) throw new Error(`/api/me answered ${me} after signing out`);
    if (!(await b.isVisible(CONNECTION_LIVE))) throw new Error("B lost its connection when A signed out");
  });

  await run.step("session_ended_elsewhere_on_b", async () => {
    // B's session ends outside this page (as from another tab): the server
    // closes B's socket with 4001 and the page must go to the login form.
    const status = await b.evaluate(async () => (await fetch("/api/logout", { method: "POST" })).status);
    if (status !== 204) throw new Error(`/api/logout answered ${status}`);
    await b.waitForSelector(LOGIN_EMAIL, { state: "visible" });
    await b.waitForSelector(`${CONNECTION}[data-state="signed-out"]`, { state: "attached" });
    if ((await b.locator(ROW).count()) > 0) throw new Error("B still shows the directory");
  });

  await run.finish({ name });
} catch (error) {
  await run.fail(error);
}
