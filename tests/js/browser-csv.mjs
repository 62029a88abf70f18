// CSV in and out end to end (driven by tests/tests/browser_csv.rs), in one
// of two parts:
//
// small: a member opens Import on the organisations list, chooses a small
//   file with Spanish headers; the mapping is pre-filled; the preview's
//   validation report names the row with an unknown kind and why; the row
//   repeating OIT's acronym is offered "merge into" OIT and merged; the
//   import is one change, shown in History by the member with its message.
//   An observer then downloads the CSV (OIT's merged city in it) but finds
//   Import disabled, and the import page refuses them.
// bulk: a member imports a generated file of N organisations into an empty
//   workspace, the page's own import time is read (click to summary), the
//   list is exported again and the download saved for the Rust side to
//   compare.
//
// usage: node browser-csv.mjs <base-url> <screenshot.png>
// env: ENLACE_CSV_PART (small | bulk), ENLACE_CSV_FILE, ENLACE_PASSWORD,
//      ENLACE_MEMBER_EMAIL/_NAME; small: ENLACE_CSV_DONE_SCREENSHOT,
//      ENLACE_CSV_LIST_SCREENSHOT (the observer's list with its CSV controls),
//      ENLACE_OBSERVER_EMAIL/_NAME, ENLACE_OIT_NAME; bulk: ENLACE_CSV_OUT
//      (where the export is saved), ENLACE_CSV_REPORT (a JSON file:
//      import_ms, file_name), ENLACE_CSV_ROWS.

import { readFile, writeFile } from "node:fs/promises";

import { ROW, createRun, requiredEnv, signIn } from "./browser-common.mjs";

const USAGE = "usage: node browser-csv.mjs <base-url> <screenshot.png> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const part = requiredEnv("ENLACE_CSV_PART", USAGE);
const file = requiredEnv("ENLACE_CSV_FILE", USAGE);
const password = requiredEnv("ENLACE_PASSWORD", USAGE);
const member = {
  email: requiredEnv("ENLACE_MEMBER_EMAIL", USAGE),
  displayName: requiredEnv("ENLACE_MEMBER_NAME", USAGE),
  password,
  role: "member",
};
/** Waits for the bulk steps: 2,000 rows take seconds, not the default 20 s. */
const BULK_TIMEOUT_MS = 90_000;
const IMPORT_OPEN = 'button[data-testid="csv-import-open"]';
const DOWNLOAD = 'button[data-testid="csv-download"]';
const today = () => {
  const now = new Date();
  const pad = (number) => String(number).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
};

const run = createRun("browser-csv.mjs", screenshotPath);

/** The `data-count` of one line of the preview's counts or the summary. */
async function count(page, list, slug) {
  const line = page.locator(`[data-testid="${list}"] [data-slug="${slug}"]`);
  if ((await line.count()) === 0) return 0;
  return Number(await line.getAttribute("data-count"));
}

async function expectCounts(page, list, expected) {
  for (const [slug, wanted] of Object.entries(expected)) {
    const shown = await count(page, list, slug);
    if (shown !== wanted) throw new Error(`${list} shows ${slug} = ${shown}, not ${wanted}`);
  }
}

/** Opens the organisations list, then the import page, and chooses `file`. */
async function chooseFile(page) {
  await page.goto(`${baseUrl}#/organisations`);
  await page.waitForSelector(`${IMPORT_OPEN}:not([disabled])`);
  await page.click(IMPORT_OPEN);
  await page.waitForFunction(() => location.hash === "#/organisations/import");
  await page.setInputFiles('input[data-testid="csv-file"]', file);
  await page.waitForSelector('[data-testid="csv-columns"]');
}

/** Clicks Download CSV and returns the download (name and saved bytes). */
async function download(page) {
  const [started] = await Promise.all([page.waitForEvent("download"), page.click(DOWNLOAD)]);
  const path = await started.path();
  return { name: started.suggestedFilename(), bytes: await readFile(path), download: started };
}

async function small() {
  const observer = {
    email: requiredEnv("ENLACE_OBSERVER_EMAIL", USAGE),
    displayName: requiredEnv("ENLACE_OBSERVER_NAME", USAGE),
    password,
    role: "observer",
  };
  const oitName = requiredEnv("ENLACE_OIT_NAME", USAGE);
  const doneScreenshot = requiredEnv("ENLACE_CSV_DONE_SCREENSHOT", USAGE);
  await run.launch(["member", "observer"]);
  const { member: page, observer: watcher } = run.pages;
  await run.step("sign in", async () => {
    await page.goto(baseUrl);
    await signIn(page, member);
    await watcher.goto(baseUrl);
    await signIn(watcher, observer);
  });

  await run.step("the mapping is pre-filled from the Spanish headers", async () => {
    await chooseFile(page);
    const chosen = await page.$$eval('select[data-testid="csv-mapping"]', (selects) => selects.map((select) => select.value));
    const expected = ["field:name", "field:acronym", "field:kind", "field:country", "field:city"];
    if (JSON.stringify(chosen) !== JSON.stringify(expected)) throw new Error(`the mapping is ${JSON.stringify(chosen)}`);
  });

  await run.step("the preview reports the bad row and offers the duplicate", async () => {
    await page.click('button[data-testid="csv-preview-button"]');
    await page.waitForSelector('[data-testid="csv-preview"]');
    await expectCounts(page, "csv-counts", { rows: 4, new: 2, duplicates: 1, problems: 1 });
    const problems = page.locator('[data-testid="csv-problem"]');
    if ((await problems.count()) !== 1) throw new Error(`${await problems.count()} problems listed`);
    const problem = problems.first();
    const where = [await problem.getAttribute("data-line"), await problem.getAttribute("data-field")];
    const reason = (await problem.textContent()).replace(/\s+/g, " ").trim();
    if (where.join() !== "4,kind" || !reason.includes("Fila 4") || !reason.includes("«ONG» no es una de las opciones")) {
      throw new Error(`the problem reads ${JSON.stringify({ where, reason })}`);
    }
    await page.waitForSelector('[data-testid="csv-preview-row"][data-line="4"][data-status="problem"]');
    const offer = page.locator('[data-testid="csv-duplicate"][data-line="5"]');
    const merge = (await offer.locator('option[value="merge"]').textContent()).replace(/\s+/g, " ").trim();
    if (merge !== `Fusionar con ${oitName}`) throw new Error(`the duplicate is offered as ${JSON.stringify(merge)}`);
    // Both choices exist; the member picks "import as new", then merge.
    await offer.locator("select").selectOption("new");
    await offer.locator("select").selectOption("merge");
    const button = page.locator('button[data-testid="csv-import"]');
    if ((await button.getAttribute("data-rows")) !== "3") throw new Error("the import button does not count 3 rows");
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("the import is one change and its summary", async () => {
    await page.click('button[data-testid="csv-import"]');
    await page.waitForSelector('[data-testid="csv-import-done"][data-import-ms]');
    await expectCounts(page, "csv-summary", { created: 2, updated: 1, merged: 1, "skipped-problems": 1 });
    await page.screenshot({ path: doneScreenshot, fullPage: true });
  });

  await run.step("the History shows the import by the member", async () => {
    await page.click('a[data-testid="csv-history-link"]');
    await page.waitForSelector('[data-testid="history-page"]');
    const entries = page.locator('[data-testid="history-entry"]');
    await entries.first().waitFor();
    const texts = await entries.evaluateAll((list) =>
      list.map((entry) => ({
        who: entry.querySelector('[data-testid="entry-who"]')?.textContent?.trim(),
        message: entry.querySelector(".entry-message")?.textContent?.trim(),
      })),
    );
    const imports = texts.filter((entry) => /^import .* from CSV$/.test(entry.message ?? ""));
    if (imports.length !== 1 || imports[0].who !== member.displayName || imports[0].message !== "import 3 organisations from CSV") {
      throw new Error(`History shows ${JSON.stringify(texts)}`);
    }
  });

  await run.step("the list has one OIT and the two new organisations", async () => {
    await page.goto(`${baseUrl}#/organisations`);
    await page.waitForSelector(`${ROW} >> text=Fundación Semilla`);
    const rows = await page.locator(`${ROW} a`).allTextContents();
    const expected = ["Fundación Semilla", oitName, "Red de Mujeres Empresarias"];
    if (JSON.stringify(rows.map((row) => row.trim()).sort()) !== JSON.stringify(expected.sort())) {
      throw new Error(`the list shows ${JSON.stringify(rows)}`);
    }
  });

  await run.step("an observer downloads but may not import", async () => {
    await watcher.goto(`${baseUrl}#/organisations`);
    await watcher.waitForSelector(`${ROW} >> text=Fundación Semilla`);
    const importButton = watcher.locator(IMPORT_OPEN);
    await watcher.waitForSelector(`${IMPORT_OPEN}[disabled]`);
    const reason = await importButton.getAttribute("title");
    if (!reason) throw new Error("the disabled Import button gives no reason");
    await watcher.screenshot({ path: requiredEnv("ENLACE_CSV_LIST_SCREENSHOT", USAGE), fullPage: false });
    if (await watcher.locator(DOWNLOAD).isDisabled()) throw new Error("Download is disabled for an observer");
    const { name, bytes } = await download(watcher);
    if (name !== `organizaciones-${today()}.csv`) throw new Error(`the download is named ${name}`);
    const text = bytes.toString("utf8");
    if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) throw new Error("the download has no byte-order mark");
    if (!text.includes("Ginebra") || !text.startsWith("\ufeffid,Nombre,Siglas,Tipo")) {
      throw new Error(`the download reads ${JSON.stringify(text.slice(0, 200))}`);
    }
    await watcher.goto(`${baseUrl}#/organisations/import`);
    await watcher.waitForSelector('[data-testid="csv-import-blocked"]');
    if ((await watcher.locator('input[data-testid="csv-file"]').count()) !== 0) throw new Error("the observer gets a file input");
  });
  await run.finish({ part });
}

async function bulk() {
  const out = requiredEnv("ENLACE_CSV_OUT", USAGE);
  const report = requiredEnv("ENLACE_CSV_REPORT", USAGE);
  const rows = Number(requiredEnv("ENLACE_CSV_ROWS", USAGE));
  await run.launch(["member"]);
  const { member: page } = run.pages;
  // The page's own performance notes (`enlace: …` on the console).
  const notes = [];
  page.on("console", (message) => {
    if (message.text().startsWith("enlace:")) notes.push(message.text());
  });
  let importMs;
  let fileName;
  await run.step("sign in", async () => {
    await page.goto(baseUrl);
    await signIn(page, member);
  });
  await run.step("preview the file", async () => {
    await chooseFile(page);
    await page.click('button[data-testid="csv-preview-button"]');
    await page.waitForSelector('[data-testid="csv-preview"]', { timeout: BULK_TIMEOUT_MS });
    await expectCounts(page, "csv-counts", { rows, new: rows, duplicates: 0, problems: 0 });
    await page.waitForSelector('[data-testid="csv-no-problems"]');
    const drawn = await page.locator('[data-testid="csv-preview-row"]').count();
    if (drawn !== 20) throw new Error(`the preview draws ${drawn} rows, not one page of 20`);
  });
  await run.step("import", async () => {
    await page.click('button[data-testid="csv-import"]');
    const done = await page.waitForSelector('[data-testid="csv-import-done"][data-import-ms]', { timeout: BULK_TIMEOUT_MS });
    importMs = Number(await done.getAttribute("data-import-ms"));
    await expectCounts(page, "csv-summary", { created: rows });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });
  await run.step("export the list again", async () => {
    await page.goto(`${baseUrl}#/organisations`);
    await page.waitForFunction(
      (rows) => document.querySelector('[data-testid="result-count"]')?.textContent?.trim().startsWith(`${rows} `),
      rows,
      { timeout: BULK_TIMEOUT_MS },
    );
    const { name, download: started } = await download(page);
    await started.saveAs(out);
    fileName = name;
  });
  await writeFile(report, JSON.stringify({ import_ms: importMs, file_name: fileName }));
  await run.finish({ part, import_ms: importMs, file_name: fileName, notes });
}

try {
  if (part === "small") await small();
  else if (part === "bulk") await bulk();
  else throw new Error(`unknown part ${part}`);
} catch (error) {
  await run.fail(error);
}
