// Browser end-to-end over the demo roundtable: the home page, two people
// co-editing an organisation live through the schema-driven list and record
// page, then signing out.
//
// usage: node browser-directory.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//        ENLACE_A_EMAIL, ENLACE_A_NAME, ENLACE_A_ROLE   person A (the secretariat)
//        ENLACE_B_EMAIL, ENLACE_B_NAME, ENLACE_B_ROLE   person B (a member)
//        ENLACE_PASSWORD                                both passwords
//        ENLACE_HOME_SCREENSHOT                         where the home page's screenshot goes
//
// The server must hold the demo roundtable (`--demo`): no presidency term
// covers today, UN Women holds the secretariat, ten organisations are
// members (three embassies, three agencies, three international
// organisations, one UN entity) and one alliance is in dialogue.
//
// Two headless Chromium contexts (two separate people) open <base-url> and
// get the login page. A first tries a wrong password and must see the error;
// then both sign in through the form and wait until the header shows their
// name and role and the connection indicator says live. Both land on the
// home page, which must show the demo's secretariat, latest presidency,
// member counts by kind and alliances by stage (each stage linking to the
// filtered alliance list); A's latest changes come from the audit trail, B's
// (a member may not read it) from the records.
// A creates an organisation from `#/organisations`, sets its country and
// makes it a member: B's home page counts four embassies. B opens it from
// the list (its row shows the country) and edits the country; A sees the
// edit. A makes it the presidency for this year: B's home page shows it as
// the current presidency, and A's latest changes show B's edit under B's
// name. Screenshots: A's organisation list to <screenshot-path>, A's home
// page to ENLACE_HOME_SCREENSHOT.
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
  HOME,
  LOGIN_EMAIL,
  LOGIN_ERROR,
  LOGIN_PASSWORD,
  ROW,
  SIGN_IN,
  SIGN_OUT,
  createRecord,
  createRun,
  homeCount,
  requiredEnv,
  setLineField,
  signIn,
  STEP_TIMEOUT_MS,
  waitForFieldValue,
  waitForHomeCount,
} from "./browser-common.mjs";

const USAGE = "usage: node browser-directory.mjs <base-url> <screenshot-path> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const password = requiredEnv("ENLACE_PASSWORD", USAGE);
const homeScreenshotPath = requiredEnv("ENLACE_HOME_SCREENSHOT", USAGE);
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
// The demo's published facts, as the home page must show them.
const SECRETARIAT = "ONU Mujeres";
const LATEST_PRESIDENCY = "Embajada de España";
const MEMBERS_BY_KIND = { embassy: 3, cooperation_agency: 3, international_organisation: 3, un_entity: 1 };
const CHANGES = '[data-testid="latest-changes"]';

const run = createRun("browser-directory", screenshotPath);

/** Checks the home page's figures against `members` (kind slug → count). */
async function checkHome(page, members) {
  await page.waitForSelector(HOME, { state: "visible" });
  // "Live" is the connection; the workspace's records follow it from the
  // sync worker a moment later.
  await page
    .waitForFunction((name) => document.querySelector('[data-testid="secretariat"]')?.textContent.trim() === name, SECRETARIAT, { timeout: STEP_TIMEOUT_MS })
    .catch(async () => {
      const secretariat = (await page.textContent('[data-testid="secretariat"]'))?.trim();
      throw new Error(`the secretariat shows ${JSON.stringify(secretariat)}`);
    });
  await page.waitForSelector('[data-testid="presidency"][data-current="false"]', { state: "attached" });
  const latest = (await page.textContent('[data-testid="latest-presidency"]')) ?? "";
  if (!latest.includes(LATEST_PRESIDENCY)) throw new Error(`the latest presidency reads ${JSON.stringify(latest)}`);
  for (const [kind, count] of Object.entries(members)) {
    await waitForHomeCount(page, "members-by-kind", kind, count);
  }
  const total = Object.values(members).reduce((sum, count) => sum + count, 0);
  const shownTotal = (await page.textContent('[data-testid="members-by-kind-total"]')) ?? "";
  if (!shownTotal.trim().startsWith(`${total} `)) throw new Error(`the member total reads ${JSON.stringify(shownTotal)}`);
  const stages = await page.$$eval('[data-testid="alliances-by-stage"] [data-slug]', (lines) =>
    lines.map((line) => [line.dataset.slug, Number(line.dataset.count), line.querySelector("a")?.getAttribute("href")]),
  );
  const order = stages.map(([slug]) => slug).join(",");
  if (order !== "identified,in_dialogue,agreement_drafted,signed,active,concluded,paused") {
    throw new Error(`the alliance stages are ${order}`);
  }
  for (const [slug, count, href] of stages) {
    if (count !== (slug === "in_dialogue" ? 1 : 0)) throw new Error(`stage ${slug} counts ${count}`);
    if (href !== `#/alliances?status=${slug}`) throw new Error(`stage ${slug} links to ${href}`);
  }
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

  await run.step("home_page", async () => {
    await Promise.all([checkHome(a, MEMBERS_BY_KIND), checkHome(b, MEMBERS_BY_KIND)]);
    await a.waitForSelector(`${CHANGES}[data-source="receipts"]`, { state: "attached" });
    await b.waitForSelector(`${CHANGES}[data-source="records"]`, { state: "attached" });
    await b.waitForSelector(`${CHANGES} [data-testid="change"]`, { state: "visible" });
  });

  await run.step("stage_links_to_the_filtered_list", async () => {
    await b.click('[data-testid="alliances-by-stage"] [data-slug="in_dialogue"] a');
    await b.waitForSelector(`${ROW}`, { state: "visible" });
    const filter = await b.inputValue('select[name="filter-status"]');
    if (filter !== "in_dialogue") throw new Error(`the status filter shows ${JSON.stringify(filter)}`);
    const rows = await b.locator(ROW).count();
    if (rows !== 1) throw new Error(`the filtered list shows ${rows} alliances, not 1`);
    await b.click('a[data-nav="home"]');
    await b.waitForSelector(HOME, { state: "visible" });
  });

  let id;
  await run.step("add_on_a", async () => {
    id = await createRecord(a, "organisations", async (form) => {
      await form.locator('input[name="name"]').fill(name);
      await form.locator('select[name="kind"]').selectOption("embassy");
    });
    await setLineField(a, "country", NEW_COUNTRY);
    await a.selectOption('[data-field="membership"] select', "member");
    await waitForFieldValue(a, "country", NEW_COUNTRY);
  });

  await run.step("member_counted_on_b", async () => {
    await waitForHomeCount(b, "members-by-kind", "embassy", MEMBERS_BY_KIND.embassy + 1);
  });

  await run.step("seen_on_b", async () => {
    await b.click('a[data-nav="organisations"]');
    const row = b.locator(`${ROW}[data-id="${id}"]`);
    await row.waitFor({ state: "visible" });
    const title = (await row.locator("a").textContent())?.trim();
    if (title !== name) throw new Error(`the row is titled ${JSON.stringify(title)}`);
    await b.waitForFunction(
      ({ row, country }) => document.querySelector(row)?.textContent.includes(country),
      { row: `${ROW}[data-id="${id}"]`, country: NEW_COUNTRY },
    );
  });

  await run.step("edit_on_b", async () => {
    await b.click(`${ROW}[data-id="${id}"] a`);
    await waitForFieldValue(b, "country", NEW_COUNTRY);
    await setLineField(b, "country", EDITED_COUNTRY);
    await waitForFieldValue(b, "country", EDITED_COUNTRY);
  });

  await run.step("edit_seen_on_a", async () => {
    await waitForFieldValue(a, "country", EDITED_COUNTRY);
  });

  await run.step("screenshot", async () => {
    await a.click('a[data-nav="organisations"]');
    await a.fill('input[name="search"]', "embajada");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`, { state: "visible" });
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("presidency_seen_live_on_b", async () => {
    await b.click('a[data-nav="home"]');
    await b.waitForSelector('[data-testid="presidency"][data-current="false"]', { state: "attached" });
    const year = new Date().getFullYear();
    await createRecord(a, "presidency_terms", async (form) => {
      await form.locator('select[name="organisation"]').selectOption({ label: name });
      await form.locator('input[name="start"]').fill(`${year}-01-01`);
      await form.locator('input[name="end"]').fill(`${year}-12-31`);
    });
    await b.waitForSelector('[data-testid="presidency"][data-current="true"]', { state: "visible" });
    const shown = (await b.textContent('[data-testid="presidency"]'))?.trim();
    if (shown !== name) throw new Error(`the current presidency shows ${JSON.stringify(shown)}`);
  });

  await run.step("changes_name_their_author_on_a", async () => {
    await a.click('a[data-nav="home"]');
    await a.waitForFunction(
      ({ changes, who }) =>
        Array.from(document.querySelectorAll(`${changes} [data-testid="change"] .who`)).some(
          (element) => element.textContent.trim() === who,
        ),
      { changes: `${CHANGES}[data-source="receipts"]`, who: people.b.displayName },
    );
    if ((await homeCount(a, "members-by-kind", "embassy")) !== MEMBERS_BY_KIND.embassy + 1) {
      throw new Error("A's home page does not count the new embassy");
    }
    await a.waitForSelector('[data-testid="presidency"][data-current="true"]', { state: "visible" });
    mkdirSync(dirname(homeScreenshotPath), { recursive: true });
    await a.screenshot({ path: homeScreenshotPath, fullPage: true });
  });

  await run.step("sign_out_on_a", async () => {
    await a.click(SIGN_OUT);
    await a.waitForSelector(LOGIN_EMAIL, { state: "visible" });
    await a.waitForSelector(`${CONNECTION}:not([data-state="live"])`, { state: "attached" });
    // Nothing reconnects behind the login page.
    await a.waitForTimeout(1_500);
    const state = await a.getAttribute(CONNECTION, "data-state");
    if (state === "live") throw new Error("the socket is live again after signing out");
    if ((await a.locator(HOME).count()) > 0) throw new Error("the workspace is still shown after signing out");
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
    if ((await b.locator(HOME).count()) > 0) throw new Error("B still shows the workspace");
  });

  await run.finish({ name, organisation: id });
} catch (error) {
  await run.fail(error);
}
