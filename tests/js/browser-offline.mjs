// Working offline, end to end, in two pages: Ana and Beto (members) have
// the organisations X and Y open. Ana's browser goes offline (DevTools
// network emulation); she edits X's acronym and Y's country, and the
// indicator counts the changes waiting. She reloads with no network: the
// service worker serves the app, the workspace opens from IndexedDB with her
// edits, under the same actor id as before. Meanwhile Beto, online, edits
// X's country. Ana comes back online: both pages show both edits, and Ana's
// indicator says everything is saved on the server. Finally Ana signs out
// and the IndexedDB database is gone. In between, Ana edits offline and
// tries to sign out: she is warned that a change waits, declines, and
// keeps it and the copy. Her session ends while
// she is offline with a change waiting: back online she is asked to sign
// in, and the change reaches Beto after she does. And Ana edits offline again
// while the secretariat makes her an observer: on reconnect the server
// refuses the edit and Ana's page shows what she wrote, to copy. Offline,
// the history (the server's record) says it waits for the connection, and
// once back it shows Ana's offline edit by itself; its export is no link
// offline, and a comparison asked for offline says it waits for the
// connection and runs by itself once back. The Rust
// test then checks the server's history attributes each edit to its author.
//
// usage: node browser-offline.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD, ENLACE_A_EMAIL/_NAME (Ana), ENLACE_B_EMAIL/_NAME
//      (Beto), ENLACE_X_ID, ENLACE_Y_ID (two organisations), ENLACE_A_ID
//      (Ana's person id), ENLACE_WORKSPACE (the workspace's document id),
//      ENLACE_ADMIN_AUTHORIZATION (a secretariat's Authorization header)

import { CONNECTION, createRun, openOrganisation, requiredEnv, scriptArguments, setLineField, showOrganisation, signIn, STEP_TIMEOUT_MS, waitForFieldValue } from "./browser-common.mjs";

const { usage, baseUrl, screenshotPath, person } = scriptArguments("browser-offline.mjs");
const ana = person("A", "member");
const beto = person("B", "member");
const x = requiredEnv("ENLACE_X_ID", usage);
const y = requiredEnv("ENLACE_Y_ID", usage);
const anaId = requiredEnv("ENLACE_A_ID", usage);
const workspace = requiredEnv("ENLACE_WORKSPACE", usage);
const adminAuthorization = requiredEnv("ENLACE_ADMIN_AUTHORIZATION", usage);
const ACRONYM = "ANA-SIN-RED";
const Y_COUNTRY = "Chile";
const X_COUNTRY = "Uruguay";
const REFUSED = "YA-NO-PUEDE";
const CITY = "Valparaíso";
/** Y's acronym, typed while the copy's document is still loading. */
const LOADING_ACRONYM = "Y-EN-CARGA";
/** How long the test holds the copy's load (`?hold-load-ms=`), as a large workspace's would take. */
const HOLD_LOAD_MS = 3000;
const WEBSITE = "https://y.example.org";
const shots = screenshotPath.replace(/\.png$/i, "");

const run = createRun("browser-offline.mjs", screenshotPath);

/** The actor id Ana's copy keeps in IndexedDB (null when there is none). */
async function storedActor(page) {
  return (await storedMeta(page))?.actor ?? null;
}

/** The meta Ana's copy keeps in IndexedDB (null when there is none). */
async function storedMeta(page) {
  return page.evaluate(
    ({ key }) =>
      new Promise((resolve) => {
        const request = indexedDB.open("enlace");
        request.onerror = () => resolve(null);
        request.onsuccess = () => {
          const database = request.result;
          if (!database.objectStoreNames.contains("copy")) {
            database.close();
            return resolve(null);
          }
          const read = database.transaction("copy").objectStore("copy").get(key);
          read.onsuccess = () => {
            database.close();
            resolve(read.result ? JSON.parse(read.result) : null);
          };
          read.onerror = () => resolve(null);
        };
      }),
    { key: `${anaId}/${workspace}/meta` },
  );
}

async function waitForSaved(page) {
  await page.waitForSelector(`${CONNECTION}[data-state="live"][data-waiting="0"]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
}

/** Takes `page`'s browser offline and waits until its indicator says so. */
async function goOffline(page) {
  await page.context().setOffline(true);
  await page.waitForSelector(`${CONNECTION}:not([data-state="live"])`, { state: "attached", timeout: STEP_TIMEOUT_MS });
}

/** Waits until `page`'s indicator counts at least `count` changes waiting. */
async function waitForWaiting(page, count) {
  await page.waitForFunction(
    ({ selector, count }) => Number(document.querySelector(selector)?.getAttribute("data-waiting")) >= count,
    { selector: CONNECTION, count },
    { timeout: STEP_TIMEOUT_MS },
  );
}

try {
  await run.launch(["ana", "beto"]);
  const { ana: a, beto: b } = run.pages;
  // Offline: the page reloads from the service worker, where a dialog must
  // not block. Dialogs are accepted unless a step says otherwise, and kept.
  const dialogs = { answer: "accept", seen: [] };
  a.on("dialog", (dialog) => {
    dialogs.seen.push(dialog.message());
    return dialogs.answer === "accept" ? dialog.accept() : dialog.dismiss();
  });

  await run.step("sign in; both open X", async () => {
    await a.goto(baseUrl);
    await signIn(a, ana);
    await b.goto(baseUrl);
    await signIn(b, beto);
    for (const page of [a, b]) {
      await openOrganisation(page, x);
    }
  });

  let actorBefore;
  await run.step("Ana's copy is kept, under one actor, and the app is cached", async () => {
    await a.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: STEP_TIMEOUT_MS });
    await waitForSaved(a);
    await a.waitForFunction(
      () => document.querySelector('[data-testid="connection"] .connection-label')?.textContent.includes("guardado en el servidor"),
    );
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!actorBefore && Date.now() < deadline) {
      actorBefore = await storedActor(a);
      if (!actorBefore) await a.waitForTimeout(100);
    }
    if (!/^[0-9a-f]{32}$/.test(actorBefore ?? "")) throw new Error(`the stored actor is ${actorBefore}`);
  });

  await run.step("Ana goes offline and edits two records; the changes wait", async () => {
    await goOffline(a);
    await setLineField(a, "acronym", ACRONYM);
    await waitForFieldValue(a, "acronym", ACRONYM);
    await showOrganisation(a, y);
    await a.waitForSelector(`.record-detail[data-id="${y}"] [data-field="country"] input`);
    await setLineField(a, "country", Y_COUNTRY);
    await waitForFieldValue(a, "country", Y_COUNTRY);
    await waitForWaiting(a, 2);
    const label = await a.textContent(`${CONNECTION} .connection-label`);
    if (!/Sin conexión — \d+ cambios en espera/.test(label)) throw new Error(`the indicator reads ${JSON.stringify(label)}`);
    // Once the edits settle, the workspace's image is kept with them.
    await a.waitForSelector(`${CONNECTION}[data-image-current="true"][data-writes-pending="0"]`, { state: "attached", timeout: STEP_TIMEOUT_MS }).catch(async (error) => {
      const attributes = await a.$eval(CONNECTION, (element) => Object.fromEntries([...element.attributes].map((attribute) => [attribute.name, attribute.value])));
      throw new Error(`${error.message}\nthe indicator: ${JSON.stringify(attributes)}`);
    });
  });

  await run.step("Beto, online, edits X's country meanwhile", async () => {
    await setLineField(b, "country", X_COUNTRY);
    await waitForFieldValue(b, "country", X_COUNTRY);
    await waitForSaved(b);
  });

  await run.step("Ana reloads with no network: the app opens from this browser, drawn from its image, and answers while the document loads", async () => {
    // Watches every frame for Y's offline country, and notes whether the
    // copy's document was loaded by the first frame that shows it.
    await a.addInitScript((country) => {
      const watch = () => {
        const input = document.querySelector('[data-field="country"] input');
        if (input?.value === country) {
          window.enlaceShownBeforeLoad = !document.querySelector('[data-testid="connection"]')?.hasAttribute("data-copy-load-ms");
          return;
        }
        requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
    }, Y_COUNTRY);
    // The copy's load is held for a while (as 10 MB take a second in the
    // worker): the page must draw the image and answer meanwhile.
    const held = new URL(a.url());
    held.search = `?hold-load-ms=${HOLD_LOAD_MS}`;
    await a.goto(held.toString());
    await a.waitForSelector(`${CONNECTION}[data-copy-image-ms]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
    const loading = async (what) => {
      if (await a.$(`${CONNECTION}[data-copy-load-ms]`)) throw new Error(`the document was loaded before ${what}`);
    };
    await loading("the image was drawn");
    // The list searches and a record opens, from the image.
    await a.evaluate(() => { location.hash = "#/organisations"; });
    const row = (id) => `[data-testid="record-row"][data-id="${id}"]`;
    await a.waitForSelector(row(x), { timeout: STEP_TIMEOUT_MS });
    await a.fill('input[name="search"]', Y_COUNTRY);
    await a.waitForFunction(
      ([only, hidden]) => document.querySelector(only) && !document.querySelector(hidden),
      [row(y), row(x)],
      { timeout: STEP_TIMEOUT_MS },
    );
    await showOrganisation(a, y);
    await waitForFieldValue(a, "country", Y_COUNTRY);
    // An edit made now waits for the document, then is made.
    await setLineField(a, "acronym", LOADING_ACRONYM);
    await loading("the page searched, opened a record and took an edit");
    await a.waitForSelector(`${CONNECTION}[data-copy-open-ms]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
    await waitForFieldValue(a, "acronym", LOADING_ACRONYM);
    const shownBeforeLoad = await a.evaluate(() => window.enlaceShownBeforeLoad);
    if (shownBeforeLoad !== true) throw new Error(`Y's offline edit was first drawn ${shownBeforeLoad === false ? "after" : "never before"} the document loaded`);
    const [imageMs, openMs] = [await a.getAttribute(CONNECTION, "data-copy-image-ms"), await a.getAttribute(CONNECTION, "data-copy-open-ms")].map(Number);
    if (!(imageMs > 0 && imageMs < openMs)) throw new Error(`the image's frame at ${imageMs} ms, the document's at ${openMs} ms`);
    await a.waitForSelector('[data-testid="offline-note"]', { timeout: STEP_TIMEOUT_MS });
    await showOrganisation(a, x);
    await waitForFieldValue(a, "acronym", ACRONYM);
    await showOrganisation(a, y);
    await waitForFieldValue(a, "country", Y_COUNTRY);
    // The changes made offline still wait (counted against the server's
    // heads kept with the copy), with the one made while loading.
    await waitForWaiting(a, 3).catch(async () => {
      const waiting = await a.getAttribute(CONNECTION, "data-waiting");
      throw new Error(`after the reload ${waiting} changes wait; the copy's meta: ${JSON.stringify(await storedMeta(a))}`);
    });
    const actorAfter = await storedActor(a);
    if (actorAfter !== actorBefore) throw new Error(`the actor changed from ${actorBefore} to ${actorAfter}`);
    await a.screenshot({ path: `${shots}-offline.png`, fullPage: true });
    // The history is the server's record: offline it says so, not "failed".
    await a.evaluate(() => { location.hash = "#/history"; });
    await a.waitForSelector('[data-testid="history-feed"][data-offline="true"] [data-testid="history-offline"]', { timeout: STEP_TIMEOUT_MS });
    if ((await a.locator('[data-testid="history-feed"] [role="alert"]').count()) !== 0) throw new Error("the offline history shows an error");
  });

  await run.step("back online: both edits on both pages, everything saved", async () => {
    await a.context().setOffline(false);
    await waitForSaved(a);
    // The history page left open offline fetches again by itself: Ana's
    // offline edit is there, under her name.
    await a.waitForSelector('[data-testid="history-feed"][data-offline="false"][data-state="ready"]', { state: "attached", timeout: STEP_TIMEOUT_MS });
    await a.waitForFunction(
      ({ acronym, name }) => {
        const feed = document.querySelector('[data-testid="history-feed"]');
        return feed?.textContent.includes(acronym) && feed.textContent.includes(name) && !feed.querySelector('[data-testid="history-offline"]');
      },
      { acronym: ACRONYM, name: ana.displayName },
      { timeout: STEP_TIMEOUT_MS },
    );
    await showOrganisation(a, x);
    await waitForFieldValue(a, "acronym", ACRONYM);
    await waitForFieldValue(a, "country", X_COUNTRY);
    await waitForFieldValue(b, "acronym", ACRONYM);
    await waitForFieldValue(b, "country", X_COUNTRY);
    await showOrganisation(b, y);
    await waitForFieldValue(b, "country", Y_COUNTRY);
    await waitForFieldValue(b, "acronym", LOADING_ACRONYM);
    if ((await a.locator('[data-testid="offline-note"]').count()) !== 0) throw new Error("the offline note stayed");
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("offline, the history's export is no link and comparing waits for the connection, then compares", async () => {
    await a.evaluate(() => { location.hash = "#/history"; });
    await a.waitForSelector('[data-testid="export-csv"][href]', { state: "attached", timeout: STEP_TIMEOUT_MS });
    await goOffline(a);
    // The file is the server's record: offline there is nothing to download.
    await a.waitForSelector('[data-testid="export-csv"][aria-disabled="true"]:not([href])', { state: "attached", timeout: STEP_TIMEOUT_MS });
    // Comparing asks the server for the moments' heads: offline it waits.
    await a.evaluate(() => { location.hash = "#/history/compare?from=2000-01-01T00%3A00%3A00"; });
    await a.waitForSelector('[data-testid="compare"][data-outcome="none"] [data-testid="history-offline"]', { timeout: STEP_TIMEOUT_MS });
    if ((await a.locator('[data-testid="compare"] [role="alert"]').count()) !== 0) throw new Error("comparing offline shows an error");
    await a.context().setOffline(false);
    // Back online, the page left open compares by itself: since 2000 every
    // organisation was added, the one Ana edited offline among them.
    await a.waitForSelector(`[data-testid="compare"][data-outcome="compared"] [data-testid="compare-row"][data-id="${x}"][data-status="added"]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
    if ((await a.locator('[data-testid="compare"] [data-testid="history-offline"]').count()) !== 0) throw new Error("the offline note stayed after comparing");
    await a.evaluate(() => { location.hash = "#/history"; });
    await a.waitForSelector('[data-testid="export-csv"][href]:not([aria-disabled])', { state: "attached", timeout: STEP_TIMEOUT_MS });
  });

  await run.step("signing out with a change waiting warns first; declining keeps it", async () => {
    await showOrganisation(a, y);
    await goOffline(a);
    await setLineField(a, "website", WEBSITE);
    await waitForFieldValue(a, "website", WEBSITE);
    await waitForWaiting(a, 1);
    dialogs.answer = "dismiss";
    dialogs.seen.length = 0;
    await a.click('[data-testid="sign-out"]');
    for (const deadline = Date.now() + STEP_TIMEOUT_MS; dialogs.seen.length === 0 && Date.now() < deadline; ) {
      await a.waitForTimeout(50);
    }
    dialogs.answer = "accept";
    if (dialogs.seen.length !== 1 || !dialogs.seen[0].includes("no han llegado al servidor")) {
      throw new Error(`signing out with a change waiting asked ${JSON.stringify(dialogs.seen)}`);
    }
    // Still signed in, the copy and the change still there.
    await a.waitForSelector('[data-testid="current-user"]', { timeout: STEP_TIMEOUT_MS });
    await waitForFieldValue(a, "website", WEBSITE);
    const names = await a.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));
    if (!names.includes("enlace")) throw new Error(`the copy is gone after declining: ${JSON.stringify(names)}`);
    await a.context().setOffline(false);
    await waitForSaved(a);
    await showOrganisation(b, y);
    await waitForFieldValue(b, "website", WEBSITE);
  });

  await run.step("a session that ended while offline: sign in again, the waiting change is sent", async () => {
    await showOrganisation(a, y);
    await goOffline(a);
    await setLineField(a, "city", CITY);
    await waitForFieldValue(a, "city", CITY);
    // Meanwhile Ana's session ends on the server (as when it expires).
    const cookies = await a.context().cookies();
    const session = cookies.find((cookie) => cookie.name === "enlace_session");
    if (!session) throw new Error(`no session cookie among ${cookies.map((cookie) => cookie.name)}`);
    const ended = await fetch(`${baseUrl}/api/logout`, { method: "POST", headers: { cookie: `enlace_session=${session.value}` } });
    if (ended.status !== 204) throw new Error(`logout answered ${ended.status}`);
    await a.context().setOffline(false);
    await a.waitForSelector('[data-testid="session-ended"]', { timeout: STEP_TIMEOUT_MS });
    await signIn(a, ana);
    await waitForSaved(a);
    await showOrganisation(b, y);
    await waitForFieldValue(b, "city", CITY);
  });

  await run.step("a change refused on reconnect is shown to its author with its content", async () => {
    await showOrganisation(a, x);
    await waitForFieldValue(a, "acronym", ACRONYM);
    await goOffline(a);
    await setLineField(a, "acronym", REFUSED);
    await waitForFieldValue(a, "acronym", REFUSED);
    // Meanwhile the secretariat makes Ana an observer.
    const response = await fetch(`${baseUrl}/api/users/${anaId}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: adminAuthorization },
      body: JSON.stringify({ workspace, role: "observer" }),
    });
    if (!response.ok) throw new Error(`the role change answered ${response.status}: ${await response.text()}`);
    await a.context().setOffline(false);
    await a.waitForSelector('[data-testid="rejected-content"]', { timeout: STEP_TIMEOUT_MS });
    const content = await a.inputValue('[data-testid="rejected-content"]');
    if (!content.includes(`Siglas: ${REFUSED}`)) throw new Error(`the refused content reads ${JSON.stringify(content)}`);
    // The page is back to what the server holds; nothing waits.
    await waitForFieldValue(a, "acronym", ACRONYM);
    await a.waitForSelector(`${CONNECTION}[data-waiting="0"]`, { state: "attached", timeout: STEP_TIMEOUT_MS });
    await a.screenshot({ path: `${shots}-refused.png`, fullPage: true });
  });

  await run.step("signing out deletes this browser's copy", async () => {
    dialogs.seen.length = 0;
    await a.click('[data-testid="sign-out"]');
    await a.waitForSelector('input[name="email"]', { timeout: STEP_TIMEOUT_MS });
    const names = await a.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));
    if (names.includes("enlace")) throw new Error(`IndexedDB still holds ${JSON.stringify(names)}`);
    if (dialogs.seen.length !== 0) throw new Error(`nothing waited, yet signing out asked ${JSON.stringify(dialogs.seen)}`);
  });

  await run.finish({});
} catch (error) {
  await run.fail(error);
}
