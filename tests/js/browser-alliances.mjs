// Alliances end to end, in two pages signed in as the secretariat:
// A creates an alliance linking a chamber and two members, moves it along the
// pipeline while B (on the same record) sees each step live, finds it by
// search and by status filter, and switches to English on the same page.
// Also records how long the organisation list takes to filter.
//
// usage: node browser-alliances.mjs <base-url> <screenshot.png>
// env: ENLACE_EMAIL, ENLACE_PASSWORD, ENLACE_NAME, ENLACE_ROLE

import { createRun, requiredEnv, signIn } from "./browser-common.mjs";

const [baseUrl, screenshotPath] = process.argv.slice(2);
const usage = "usage: node browser-alliances.mjs <base-url> <screenshot.png>";
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const person = {
  email: requiredEnv("ENLACE_EMAIL", usage),
  password: requiredEnv("ENLACE_PASSWORD", usage),
  displayName: requiredEnv("ENLACE_NAME", usage),
  role: requiredEnv("ENLACE_ROLE", usage),
};
const CHAMBER = "Cámara de Comercio de ejemplo (ejemplo)";
const MEMBERS = ["ONU Mujeres", "Banco Interamericano de Desarrollo"];
const TITLE = "Alianza de prueba por la igualdad salarial";
const STEPS = ["identified", "in_dialogue", "agreement_drafted", "signed", "active"];
const ROW = '[data-testid="record-row"]';

const run = createRun("browser-alliances.mjs", screenshotPath);
const shots = screenshotPath.replace(/\.png$/i, "");

try {
  await run.launch(["a", "b"]);
  const { a, b } = run.pages;
  await run.step("sign in", async () => {
    for (const page of [a, b]) {
      await page.goto(baseUrl);
      await signIn(page, person);
    }
  });

  let id;
  await run.step("create the alliance", async () => {
    await a.click('a[data-nav="alliances"]');
    await a.click('button[data-testid="new-record"]');
    await a.fill('[data-testid="new-record-form"] input[name="title"]', TITLE);
    await a.selectOption('[data-testid="new-record-form"] select[name="partner"]', { label: CHAMBER });
    await a.click('button[data-testid="create-record"]');
    await a.waitForFunction(() => /^#\/alliances\/[0-9a-f]{32}$/.test(location.hash));
    id = (await a.evaluate(() => location.hash)).split("/").pop();
    await a.waitForSelector('[data-field="title"] input');
  });

  await run.step("link two members", async () => {
    for (const [index, label] of MEMBERS.entries()) {
      await a.selectOption('[data-field="members"] select', { label });
      await a.waitForFunction((count) => document.querySelectorAll('[data-field="members"] .chip').length === count, index + 1);
    }
    const partner = await a.textContent('[data-field="partner"] a.reference');
    if (partner.trim() !== CHAMBER) throw new Error(`partner shows ${partner}`);
  });

  await run.step("B opens the same alliance", async () => {
    await b.goto(`${baseUrl}#/alliances/${id}`);
    await b.waitForFunction((title) => document.querySelector('[data-field="title"] input')?.value === title, TITLE);
    await b.waitForFunction(() => document.querySelectorAll('[data-field="members"] .chip').length === 2);
  });

  const seen = {};
  await run.step("move along the pipeline, seen live", async () => {
    for (const slug of STEPS) {
      const started = Date.now();
      await a.click(`button[data-status="${slug}"]`);
      await b.waitForSelector(`button[data-status="${slug}"][aria-pressed="true"]`);
      const value = await b.inputValue('[data-field="status"] select');
      if (value !== slug) throw new Error(`B's status select shows ${value}, not ${slug}`);
      seen[slug] = Date.now() - started;
    }
    await a.screenshot({ path: `${shots}-pipeline.png`, fullPage: true });
  });

  await run.step("leave the record while its history is on its way", async () => {
    // A page that arrives after its view is gone must be dropped quietly,
    // not read from disposed signals (a wasm panic, seen under load in CI).
    let held = 0;
    const hold = async (route) => {
      held += 1;
      await new Promise((resolve) => setTimeout(resolve, 700));
      await route.continue().catch(() => {});
    };
    await a.route(/\/history\?/, hold);
    const asked = a.waitForRequest(/\/history\?/);
    await a.reload();
    await asked;
    await a.click('a[data-nav="alliances"]');
    await a.waitForSelector(`${ROW}[data-id="${id}"]`);
    await a.waitForTimeout(1200);
    await a.unroute(/\/history\?/, hold);
    if (held === 0) throw new Error("the record page asked for no history");
  });

  await run.step("find it by search", async () => {
    await a.click('a[data-nav="alliances"]');
    await a.fill('input[name="search"]', "igualdad SALARIAL");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`);
    const rows = await a.$$eval(ROW, (rows) => rows.length);
    if (rows !== 1) throw new Error(`search shows ${rows} rows`);
    await a.fill('input[name="search"]', "");
  });

  await run.step("find it by status filter", async () => {
    await a.selectOption('select[name="filter-status"]', "active");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`);
    await a.selectOption('select[name="filter-status"]', "identified");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`, { state: "detached" });
    await a.selectOption('select[name="filter-status"]', "active");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`);
  });

  await run.step("switch to English on the same page", async () => {
    await a.click('button[data-language="en"]');
    await a.waitForFunction(() => document.querySelector('a[data-nav="alliances"]')?.textContent.trim() === "Private-sector alliances");
    await a.waitForSelector(`${ROW}[data-id="${id}"]`);
    await a.click(`${ROW}[data-id="${id}"] a`);
    await a.waitForSelector('button[data-status="active"][aria-pressed="true"]');
    const label = await a.textContent('[data-field="status"] label');
    if (!label.includes("Status")) throw new Error(`the status label reads ${label}`);
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  let filterMs;
  await run.step("filter the organisations", async () => {
    await a.click('a[data-nav="organisations"]');
    await a.fill('input[name="search"]', "desarrollo");
    await a.waitForSelector(`${ROW}`);
    filterMs = Number(await a.getAttribute('[data-testid="result-count"]', "data-filter-ms"));
  });

  await run.finish({ alliance: id, live_step_ms: seen, organisation_filter_ms: filterMs });
} catch (error) {
  await run.fail(error);
}
