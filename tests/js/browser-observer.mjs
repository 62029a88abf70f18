// Browser end-to-end: an observer signs in and sees every control that
// writes disabled, with the reason as a tooltip.
//
// usage: node browser-observer.mjs <base-url> <screenshot-path>
// env:   ENLACE_CHROMIUM (default /usr/bin/chromium)
//        ENLACE_EMAIL, ENLACE_NAME, ENLACE_PASSWORD   the observer
//
// The workspace must already hold at least one organisation. The observer
// signs in through the login page, waits for the live indicator, their name
// and the `observer` role; then the add form's inputs, select and button,
// and every row's inputs and selects, must be disabled with a non-empty
// `title`. A full-page screenshot goes to <screenshot-path>. Output and
// failures as in browser-directory.mjs.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { ROW, STEP_TIMEOUT_MS, createRun, requiredEnv, signIn } from "./browser-common.mjs";

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

const ADD_FORM_CONTROLS = [
  'input[name="new-name"]',
  'select[name="new-kind"]',
  'input[name="new-country"]',
  'button[data-testid="add-organisation"]',
];

const run = createRun("browser-observer", screenshotPath);

try {
  await run.step("launch", () => run.launch(["observer"]));
  const page = run.pages.observer;

  await run.step("open", () => page.goto(baseUrl, { waitUntil: "load" }));

  await run.step("sign_in", () => signIn(page, observer));

  await run.step("rows_loaded", () =>
    page.waitForSelector(ROW, { state: "visible", timeout: STEP_TIMEOUT_MS }),
  );

  let checked = 0;
  await run.step("controls_disabled", async () => {
    const report = await page.evaluate(
      ({ addForm, row }) => {
        const controls = addForm.map((selector) => [selector, document.querySelector(selector)]);
        for (const [index, element] of Array.from(document.querySelectorAll(row)).entries()) {
          for (const control of element.querySelectorAll("input, select, textarea, button")) {
            controls.push([`${row}:nth(${index}) ${control.tagName.toLowerCase()}[name="${control.name}"]`, control]);
          }
        }
        return controls.map(([selector, element]) => ({
          selector,
          present: element !== null,
          disabled: element?.disabled ?? false,
          title: element?.getAttribute("title") ?? "",
        }));
      },
      { addForm: ADD_FORM_CONTROLS, row: ROW },
    );
    const wrong = report.filter((control) => !control.present || !control.disabled || control.title.trim() === "");
    if (wrong.length > 0) throw new Error(`controls not disabled with a reason: ${JSON.stringify(wrong)}`);
    checked = report.length;
    // Disabled controls cannot be used at all.
    const typed = await page
      .fill('input[name="new-name"]', "no debería", { timeout: 1_000 })
      .then(() => true)
      .catch(() => false);
    if (typed) throw new Error("the observer could type into the add form");
  });

  await run.step("screenshot", async () => {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.finish({ controls_checked: checked });
} catch (error) {
  await run.fail(error);
}
