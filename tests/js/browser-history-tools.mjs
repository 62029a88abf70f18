// The History's tools end to end, in three pages: after two members edit
// (Ana creates an organisation and changes the country and city of another;
// Beto then changes the city again), the secretariat
// - compares a moment before the edits with now (the edited record field by
//   field, old → new; the new record as added);
// - filters the timeline by person (only Ana's entries) and kind (only
//   creations);
// - reverts Ana's edits since that moment: the preview lists them, the city
//   Beto changed since is a conflict, unchecked; applying brings Ana's old
//   values back except the city, Beto's page shows it live, and the
//   timeline shows the revert as restored by the secretariat;
// - sees Ana's refused attempt (made beforehand over the WebSocket) with her
//   name, the record and the refusal's text;
// - downloads the timeline's CSV through the export link with the session
//   (byte-order mark, header row, a row naming Ana), and not without it.
//
// usage: node browser-history-tools.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_SECRETARIAT_EMAIL/_NAME; ENLACE_A_EMAIL/_NAME
//      and ENLACE_B_EMAIL/_NAME (members); ENLACE_RECORD_ID (an organisation
//      the secretariat created beforehand with ENLACE_COUNTRY and
//      ENLACE_CITY); ENLACE_REFUSAL_ES and ENLACE_REFUSAL_EN (the refusal's
//      text of Ana's refused attempt, in either language)
// Screenshots: <screenshot> (compare), <base>-revert.png (the revert
// preview), <base>-refused.png (refused attempts).

import { createRecord, createRun, requiredEnv, setLineField, signIn, waitForFieldValue, scriptArguments } from "./browser-common.mjs";

const { usage: USAGE, baseUrl, screenshotPath, person } = scriptArguments("browser-history-tools.mjs");
const secretariat = person("SECRETARIAT", "secretariat");
const ana = person("A", "member");
const beto = person("B", "member");
const recordId = requiredEnv("ENLACE_RECORD_ID", USAGE);
const oldCountry = requiredEnv("ENLACE_COUNTRY", USAGE);
const oldCity = requiredEnv("ENLACE_CITY", USAGE);
const refusalTexts = [requiredEnv("ENLACE_REFUSAL_ES", USAGE), requiredEnv("ENLACE_REFUSAL_EN", USAGE)];
const ANA_COUNTRY = "Alemania";
const ANA_CITY = "Berlín";
const BETO_CITY = "Hamburgo";
const NEW_NAME = "Red Aurora";
const CSV_HEADER =
  "entry,received_at,author_time,person,organisation,role,email,collection,record_id,record_title,kind,field,before,after,message";

const ENTRY = '[data-testid="history-entry"]';
const WHO = '[data-testid="entry-who"]';
const run = createRun("browser-history-tools.mjs", screenshotPath);
const shots = screenshotPath.replace(/\.png$/i, "");

/** The page's local time now, as an `<input type="datetime-local" step="1">` value. */
function localMoment(page) {
  return page.evaluate(() => {
    const now = new Date();
    const two = (number) => String(number).padStart(2, "0");
    return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}T${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
  });
}

/** Checks a field change line within `scope` shows `before` → `after`. */
async function expectChange(scope, field, before, after) {
  const line = scope.locator(`.field-change[data-field="${field}"]`).first();
  await line.waitFor();
  const shown = {
    before: (await line.locator('[data-testid="old-value"]').textContent())?.trim(),
    after: (await line.locator('[data-testid="new-value"]').textContent())?.trim(),
  };
  if (shown.before !== before || shown.after !== after) {
    throw new Error(`${field} shows ${JSON.stringify(shown)}, not ${before} → ${after}`);
  }
}

/** Chooses the option labelled `label` of the select `selector`, once it is offered. */
async function choose(page, selector, label) {
  await page.locator(`${selector} option`, { hasText: label }).first().waitFor({ state: "attached" });
  await page.selectOption(selector, { label });
}

/**
 * Waits until the timeline's URL has `param` and its feed is ready and
 * non-empty with every entry by `want.who` (if given), every record change
 * of kind `want.kind` (if given) and of record `want.only` (if given), and
 * each of `want.ids` (if given) among them.
 */
async function waitForTimeline(page, param, want) {
  await page
    .waitForFunction(
      ({ param, want }) => {
        if (!location.hash.includes(param)) return false;
        const feed = document.querySelector('[data-testid="history-feed"][data-state="ready"]');
        if (!feed) return false;
        const entries = [...feed.querySelectorAll('[data-testid="history-entry"]')];
        const changes = [...feed.querySelectorAll('[data-testid="record-change"]')];
        const who = (entry) => entry.querySelector('[data-testid="entry-who"]')?.textContent.trim();
        return (
          entries.length > 0 &&
          (!want.who || entries.every((entry) => who(entry) === want.who)) &&
          (!want.kind || changes.every((change) => change.dataset.kind === want.kind)) &&
          (!want.only || changes.every((change) => change.dataset.id === want.only)) &&
          (want.ids ?? []).every((id) => changes.some((change) => change.dataset.id === id))
        );
      },
      { param, want },
      { polling: 100 },
    )
    .catch(async (error) => {
      const shown = await page.locator(`${ENTRY} ${WHO}`).allTextContents();
      throw new Error(`the timeline (${await page.evaluate(() => location.hash)}) never matched ${JSON.stringify(want)}: ${shown.join(", ")}: ${error.message}`);
    });
}

try {
  await run.launch(["secretariat", "ana", "beto"]);
  const { secretariat: sec, ana: a, beto: b } = run.pages;
  await run.step("sign in", async () => {
    for (const [page, who] of [[sec, secretariat], [a, ana], [b, beto]]) {
      await page.goto(baseUrl);
      await signIn(page, who);
    }
  });

  // A moment before every edit of the scenario (the setup's are seconds older).
  const before = await localMoment(sec);
  let newId;
  let middle;
  await run.step("two members edit", async () => {
    // Not within the second of `before`, which counts the whole second as past.
    await a.waitForTimeout(1_100);
    newId = await createRecord(a, "organisations", async (form) => {
      await form.locator('input[name="name"]').fill(NEW_NAME);
      await form.locator('select[name="kind"]').selectOption("embassy");
    });
    for (const page of [a, b]) {
      await page.goto(`${baseUrl}#/organisations/${recordId}`);
      await waitForFieldValue(page, "country", oldCountry);
    }
    await setLineField(a, "country", ANA_COUNTRY);
    await setLineField(a, "city", ANA_CITY);
    await waitForFieldValue(b, "city", ANA_CITY);
    // A moment between Ana's edits and Beto's, a second away from both.
    await a.waitForTimeout(1_100);
    middle = await localMoment(sec);
    await a.waitForTimeout(1_100);
    await setLineField(b, "city", BETO_CITY);
    for (const page of [a, b]) {
      await waitForFieldValue(page, "country", ANA_COUNTRY);
      await waitForFieldValue(page, "city", BETO_CITY);
    }
  });

  await run.step("compare a moment before the edits with now", async () => {
    await sec.goto(`${baseUrl}#/history/compare?from=${encodeURIComponent(before)}`);
    await sec.waitForSelector('[data-testid="compare"]');
    const edited = sec.locator(`[data-testid="compare-row"][data-id="${recordId}"]`);
    await edited.waitFor();
    const status = await edited.getAttribute("data-status");
    if (status !== "edited") throw new Error(`the edited organisation shows as ${status}`);
    await expectChange(edited, "country", oldCountry, ANA_COUNTRY);
    await expectChange(edited, "city", oldCity, BETO_CITY);
    const added = sec.locator(`[data-testid="compare-row"][data-id="${newId}"]`);
    await added.waitFor();
    const addedStatus = await added.getAttribute("data-status");
    if (addedStatus !== "added") throw new Error(`the new organisation shows as ${addedStatus}`);
    if (!(await added.textContent()).includes(NEW_NAME)) throw new Error("the added row does not name the new organisation");
    // Only what changed: the two organisations, nothing else.
    const rows = await sec.locator('[data-testid="compare-row"]').count();
    if (rows !== 2) throw new Error(`the comparison lists ${rows} records, not 2`);
    await sec.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("the form compares two chosen moments", async () => {
    // From before to between Ana's edits and Beto's: Ana's city, not Beto's.
    await sec.fill("#compare-to", middle);
    await sec.click('[data-testid="compare-run"]');
    await sec.waitForFunction(() => location.hash.includes("to="));
    const edited = sec.locator(`[data-testid="compare-row"][data-id="${recordId}"]`);
    await sec.waitForFunction(
      ({ recordId, city }) =>
        document.querySelector(`[data-testid="compare-row"][data-id="${recordId}"] .field-change[data-field="city"] [data-testid="new-value"]`)
          ?.textContent.trim() === city,
      { recordId, city: ANA_CITY },
    );
    await expectChange(edited, "country", oldCountry, ANA_COUNTRY);
    await expectChange(edited, "city", oldCity, ANA_CITY);
    // From the moment before to that same moment: nothing differs.
    await sec.fill("#compare-to", before);
    await sec.click('[data-testid="compare-run"]');
    await sec.waitForSelector('[data-testid="no-differences"]');
  });

  await run.step("filter the timeline by person and kind", async () => {
    await sec.click('[data-testid="tab-timeline"]');
    await sec.waitForSelector('[data-testid="history-feed"][data-state="ready"]');
    // Unfiltered, both members are there.
    await sec.locator(`${ENTRY} ${WHO}`, { hasText: beto.displayName }).first().waitFor();
    await sec.locator(`${ENTRY} ${WHO}`, { hasText: ana.displayName }).first().waitFor();
    await choose(sec, "#history-person", ana.displayName);
    await waitForTimeline(sec, "person=", { who: ana.displayName, ids: [recordId, newId] });
    await choose(sec, "#history-kind", await kindLabel(sec, "created"));
    await waitForTimeline(sec, "kind=created", { who: ana.displayName, kind: "created", only: newId });
    // Kind alone: the secretariat's creation of the first organisation too, still creations only.
    await sec.click('[data-testid="clear-filters"]');
    await sec.waitForFunction(() => !location.hash.includes("?"));
    await sec.waitForSelector('[data-testid="history-feed"][data-state="ready"]');
    await choose(sec, "#history-kind", await kindLabel(sec, "created"));
    await waitForTimeline(sec, "kind=created", { kind: "created", ids: [recordId, newId] });
  });

  await run.step("revert Ana's edits: the preview", async () => {
    await sec.click('[data-testid="tab-revert"]');
    await sec.waitForSelector('[data-testid="revert-panel"]');
    await choose(sec, "#revert-person", ana.displayName);
    await sec.fill("#revert-from", before);
    await sec.click('[data-testid="revert-preview"]');
    const steps = sec.locator('[data-testid="revert-step"]');
    await steps.first().waitFor();
    const shown = await steps.evaluateAll((items) =>
      items.map((item) => ({ conflict: item.dataset.conflict, text: item.textContent.replace(/\s+/g, " ").trim() })),
    );
    const describe = JSON.stringify(shown);
    if (shown.length !== 3) throw new Error(`the preview lists ${shown.length} steps, not 3: ${describe}`);
    const country = shown.filter((step) => step.conflict === "false" && step.text.includes(oldCountry));
    const city = shown.filter((step) => step.conflict === "true" && step.text.includes(oldCity) && step.text.includes(BETO_CITY));
    const removal = shown.filter((step) => step.conflict === "false" && step.text.includes(NEW_NAME));
    if (country.length !== 1 || city.length !== 1 || removal.length !== 1) {
      throw new Error(`the preview is not: country back (no conflict), city back (conflict with ${BETO_CITY}), ${NEW_NAME} removed: ${describe}`);
    }
    const include = sec.locator('input[name="include-conflicts"]');
    if (await include.isChecked()) throw new Error("conflicts are included by default");
    await sec.screenshot({ path: `${shots}-revert.png`, fullPage: true });
  });

  await run.step("apply the revert; Beto's page shows it live", async () => {
    await sec.click('[data-testid="revert-apply"]');
    await sec.waitForSelector('[data-testid="revert-done"]');
    await waitForFieldValue(b, "country", oldCountry);
    await waitForFieldValue(b, "city", BETO_CITY);
    await b.locator('[data-testid="last-edited-by"] .who', { hasText: secretariat.displayName }).waitFor();
    // Ana's organisation is gone from the list.
    await b.click('a[data-nav="organisations"]');
    await b.locator('[data-testid="record-row"]', { hasText: "Fundación" }).first().waitFor();
    await b.waitForFunction(
      (name) => ![...document.querySelectorAll('[data-testid="record-row"]')].some((row) => row.textContent.includes(name)),
      NEW_NAME,
    );
  });

  await run.step("the timeline shows the revert, restored by the secretariat", async () => {
    await sec.click('[data-testid="tab-timeline"]');
    const restored = sec
      .locator(ENTRY)
      .filter({ has: sec.locator(WHO, { hasText: secretariat.displayName }) })
      .filter({ has: sec.locator(`[data-testid="record-change"][data-id="${recordId}"][data-kind="restored"]`) })
      .first();
    await restored.waitFor();
    await expectChange(restored.locator(`[data-testid="record-change"][data-id="${recordId}"]`), "country", ANA_COUNTRY, oldCountry);
    if ((await restored.locator(`[data-testid="record-change"][data-id="${recordId}"] .field-change[data-field="city"]`).count()) !== 0) {
      throw new Error("the revert changed the conflicting city");
    }
  });

  await run.step("the refused attempts list Ana's", async () => {
    await sec.click('[data-testid="tab-refused"]');
    const attempt = sec.locator('[data-testid="refused-attempt"]').filter({ has: sec.locator(".who", { hasText: ana.displayName }) }).first();
    await attempt.waitFor();
    const place = (await attempt.locator(".place").textContent()) ?? "";
    if (!place.includes(recordId)) throw new Error(`the attempt's place ${place} does not name the organisation`);
    const what = (await attempt.textContent()) ?? "";
    if (!what.includes("Fundación Semilla")) throw new Error(`the attempt does not say what Ana tried: ${what}`);
    const refusal = (await attempt.locator(".refusal").textContent()) ?? "";
    if (!refusalTexts.some((words) => refusal.includes(words))) throw new Error(`the attempt's reason is ${JSON.stringify(refusal)}`);
    const email = (await attempt.locator(".email").textContent())?.trim();
    if (email !== ana.email) throw new Error(`the attempt shows the email ${email}`);
    await sec.screenshot({ path: `${shots}-refused.png`, fullPage: true });
  });

  await run.step("the CSV export downloads with the session", async () => {
    await sec.click('[data-testid="tab-timeline"]');
    const href = await sec.locator('a[data-testid="export-csv"]').getAttribute("href");
    if (!href) throw new Error("the export link has no href");
    const download = await sec.evaluate(async (href) => {
      const response = await fetch(href, { credentials: "include" });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, type: response.headers.get("content-type"), head: [...bytes.slice(0, 3)], text: new TextDecoder().decode(bytes.slice(3)) };
    }, href);
    if (download.status !== 200) throw new Error(`the export answered ${download.status}`);
    if (download.head.join(",") !== "239,187,191") throw new Error(`the export starts with ${download.head}, not the byte-order mark`);
    const lines = download.text.split(/\r?\n/);
    if (lines[0] !== CSV_HEADER) throw new Error(`the export's header is ${lines[0]}`);
    const anas = lines.filter((line) => line.includes(`,${ana.displayName},`) && line.includes(ana.email));
    if (!anas.some((line) => line.includes(ANA_COUNTRY))) throw new Error(`no row of the export names Ana's change: ${download.text.slice(0, 2000)}`);
    // Without the session, nothing.
    const anonymous = await sec.evaluate(async (href) => (await fetch(href, { credentials: "omit" })).status, href);
    if (anonymous !== 401 && anonymous !== 403) throw new Error(`the export without a session answered ${anonymous}`);
  });

  await run.finish({ record: recordId, added: newId, before, middle });
} catch (error) {
  await run.fail(error);
}

/** The label of the kind filter's option `code`. */
async function kindLabel(page, code) {
  const option = page.locator(`#history-kind option[value="${code}"]`);
  await option.waitFor({ state: "attached" });
  return (await option.textContent()).trim();
}
