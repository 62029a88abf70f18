// Browser end-to-end: an observer signs in and sees every control that
// writes disabled, with the reason as a tooltip.
//
// usage: node browser-observer.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//        ENLACE_EMAIL, ENLACE_NAME, ENLACE_PASSWORD   the observer
//
// The workspace must already hold at least one organisation. The observer
// signs in through the login page, waits for the live indicator, their name
// and the `observer` role, and lands on the home page, whose latest changes
// come from the records (observers may not read the audit trail). On
// `#/organisations` the "new record" button must be disabled with a
// non-empty `title`; on the first organisation's page, so must every input,
// select, text area and button, and the read-only note must say why. A
// full-page screenshot of that page goes to <screenshot-path>. Output and
// failures as in browser-directory.mjs.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { HOME, NEW_RECORD, ROW, STEP_TIMEOUT_MS, createRun, requiredEnv, signIn } from "./browser-common.mjs";

const USAGE = "usage: node browser-observer.mjs <base-url> <screenshot-path> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const observer = {
  email: requiredEnv("ENLACE_EMAIL", USAGE),
  displayName: requiredEnv("ENLACE_NAME", USAGE),
  password: requiredEnv("ENLACE_PASSWORD", USAGE),
  role: "observer",
};

const RECORD_CONTROLS = ".record-detail input, .record-detail select, .record-detail textarea, .record-detail button";

const run = createRun("browser-observer", screenshotPath);

/** In the page: every control matching `selector`, with whether it is disabled and its tooltip. */
function describeControls(selector) {
  return Array.from(document.querySelectorAll(selector)).map((control) => ({
    control: `${control.tagName.toLowerCase()}[name="${control.name ?? ""}"]${control.dataset.testid ? `[data-testid="${control.dataset.testid}"]` : ""}`,
    disabled: control.disabled,
    title: control.getAttribute("title") ?? "",
  }));
}

try {
  await run.step("launch", () => run.launch(["observer"]));
  const page = run.pages.observer;

  await run.step("open", () => page.goto(baseUrl, { waitUntil: "load" }));

  await run.step("sign_in", () => signIn(page, observer));

  await run.step("home_page", async () => {
    await page.waitForSelector(HOME, { state: "visible" });
    await page.waitForSelector('[data-testid="latest-changes"][data-source="records"] [data-testid="change"]', {
      state: "visible",
    });
  });

  await run.step("rows_loaded", async () => {
    await page.click('a[data-nav="organisations"]');
    await page.waitForSelector(ROW, { state: "visible", timeout: STEP_TIMEOUT_MS });
  });

  let checked = 0;
  await run.step("new_record_disabled", async () => {
    const [button] = await page.evaluate(describeControls, NEW_RECORD);
    if (!button?.disabled || button.title.trim() === "") {
      throw new Error(`"new record" is not disabled with a reason: ${JSON.stringify(button)}`);
    }
    checked += 1;
  });

  await run.step("record_controls_disabled", async () => {
    await page.click(`${ROW} a`);
    await page.waitForSelector('.record-detail [data-field="name"] input', { state: "visible" });
    const report = await page.evaluate(describeControls, RECORD_CONTROLS);
    if (report.length < 10) throw new Error(`only ${report.length} controls on the record page`);
    const wrong = report.filter((control) => !control.disabled || control.title.trim() === "");
    if (wrong.length > 0) throw new Error(`controls not disabled with a reason: ${JSON.stringify(wrong)}`);
    checked += report.length;
    const note = (await page.textContent('[data-testid="read-only"]'))?.trim() ?? "";
    if (note.length === 0) throw new Error("no read-only note says why");
    // Disabled controls cannot be used at all.
    const typed = await page
      .fill('[data-field="name"] input', "no debería", { timeout: 1_000 })
      .then(() => true)
      .catch(() => false);
    if (typed) throw new Error("the observer could type into the record");
  });

  await run.step("screenshot", async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.finish({ controls_checked: checked });
} catch (error) {
  await run.fail(error);
}
