// The server ships a new version while Ana has Enlace open: the page offers
// to reload into it, and only does when she accepts. The pages open through
// a proxy in front of the real server (tests/src/proxy.rs) which, once
// told, serves `sw.js` with the next build's version: what a server
// restarted on a new build sends. Ana signs in and edits an organisation;
// the service worker controls her page. The proxy switches; the page's
// periodic check (`registration.update()`, called here rather than waited
// for) finds the new worker, which installs its own cache beside the old
// one and waits: the page shows the offer and has not reloaded. Ana clicks
// "reload": the page reloads once, controlled by the new worker, whose
// activation removed the old build's cache; her edit and her session are
// still there.
//
// usage: node browser-update.mjs <proxy-url> <screenshot.png>
// env: ENLACE_PASSWORD, ENLACE_A_EMAIL/_NAME (Ana), ENLACE_X_ID (an
//      organisation), ENLACE_NEXT_BUILD_PATH (the proxy's switch)

import { CONNECTION, createRun, openOrganisation, requiredEnv, scriptArguments, setLineField, signIn, STEP_TIMEOUT_MS, waitForFieldValue } from "./browser-common.mjs";

const { usage, baseUrl, screenshotPath, person } = scriptArguments("browser-update.mjs");
const ana = person("A", "member");
const x = requiredEnv("ENLACE_X_ID", usage);
const nextBuildPath = requiredEnv("ENLACE_NEXT_BUILD_PATH", usage);
const ACRONYM = "ANTES-DE-ACTUALIZAR";
const UPDATE_NOTE = '[data-testid="update-note"]';
const UPDATE_RELOAD = 'button[data-testid="update-reload"]';

const run = createRun("browser-update.mjs", screenshotPath);

/** The names of the app shell's caches, sorted. */
async function shellCaches(page) {
  return page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith("enlace-shell-")).sort());
}

try {
  await run.launch(["ana"]);
  const { ana: page } = run.pages;
  let firstCache;

  await run.step("Ana signs in and edits; the service worker controls the page", async () => {
    await page.goto(baseUrl);
    await signIn(page, ana);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: STEP_TIMEOUT_MS });
    await openOrganisation(page, x);
    await setLineField(page, "acronym", ACRONYM);
    await page.waitForSelector(`${CONNECTION}[data-state="live"][data-waiting="0"]`, { state: "attached" });
    const names = await shellCaches(page);
    if (names.length !== 1) throw new Error(`one build's cache expected, found ${JSON.stringify(names)}`);
    [firstCache] = names;
    if ((await page.locator(UPDATE_NOTE).count()) !== 0) throw new Error("an update is offered before any new version");
  });

  await run.step("the server ships a new version: the page offers it and waits", async () => {
    const response = await fetch(new URL(nextBuildPath, baseUrl), { method: "POST" });
    if (response.status !== 204) throw new Error(`the proxy's switch answered ${response.status}`);
    // This page's life: the offer must not reload it.
    await page.evaluate(() => { window.enlaceBeforeUpdate = true; });
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await page.waitForSelector(UPDATE_NOTE, { state: "visible", timeout: STEP_TIMEOUT_MS });
    const names = await shellCaches(page);
    const expected = [firstCache, firstCache.replace("enlace-shell-", "enlace-shell-next-")].sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      throw new Error(`the new worker's cache beside the old one expected (${JSON.stringify(expected)}), found ${JSON.stringify(names)}`);
    }
    const waiting = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).waiting?.state ?? null);
    if (waiting !== "installed") throw new Error(`the new worker should wait, its state is ${waiting}`);
    if (!(await page.evaluate(() => window.enlaceBeforeUpdate === true))) throw new Error("the page reloaded before Ana accepted");
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("Ana accepts: one reload into the new version, her work still there", async () => {
    const reloaded = page.waitForEvent("load", { timeout: STEP_TIMEOUT_MS });
    await page.click(UPDATE_RELOAD);
    await reloaded;
    if (await page.evaluate(() => window.enlaceBeforeUpdate === true)) throw new Error("the page did not reload");
    await page.waitForSelector(`${CONNECTION}[data-state="live"]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
    const names = await shellCaches(page);
    const next = firstCache.replace("enlace-shell-", "enlace-shell-next-");
    if (JSON.stringify(names) !== JSON.stringify([next])) {
      throw new Error(`only the new build's cache expected (${next}), found ${JSON.stringify(names)}`);
    }
    const controlled = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return {
        controller: navigator.serviceWorker.controller?.state ?? null,
        waiting: registration.waiting !== null,
      };
    });
    if (controlled.controller !== "activated" || controlled.waiting) {
      throw new Error(`the new worker should control the page with none waiting: ${JSON.stringify(controlled)}`);
    }
    if ((await page.locator(UPDATE_NOTE).count()) !== 0) throw new Error("the offer is still shown after the update");
    await openOrganisation(page, x);
    await waitForFieldValue(page, "acronym", ACRONYM);
  });

  await run.finish({ first_cache: firstCache });
} catch (error) {
  await run.fail(error);
}
