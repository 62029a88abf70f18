// History end to end, in three pages: two members edit one organisation,
// the secretariat finds both edits in History (names, fields, old → new),
// opens the record's history panel, views the workspace as of before the
// edits (the old value shows, every edit control is disabled), comes back to
// now and restores one field; the member's page shows the restored value
// live, "last edited by" the secretariat. A member's History has no
// "Refused attempts" tab; the secretariat's has.
//
// usage: node browser-history.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_SECRETARIAT_EMAIL/_NAME; ENLACE_A_EMAIL/_NAME
//      and ENLACE_B_EMAIL/_NAME (members); ENLACE_RECORD_ID (an organisation
//      created beforehand with ENLACE_COUNTRY and ENLACE_CITY)
// Screenshots: <screenshot> (History), <base>-panel.png, <base>-as-of.png,
// <base>-restored.png (the member's page after the restore).

import { createRun, requiredEnv, setLineField, signIn, waitForFieldValue, scriptArguments } from "./browser-common.mjs";

const { usage: USAGE, baseUrl, screenshotPath, person } = scriptArguments("browser-history.mjs");
const secretariat = person("SECRETARIAT", "secretariat");
const ana = person("A", "member");
const beto = person("B", "member");
const recordId = requiredEnv("ENLACE_RECORD_ID", USAGE);
const oldCountry = requiredEnv("ENLACE_COUNTRY", USAGE);
const oldCity = requiredEnv("ENLACE_CITY", USAGE);
const NEW_COUNTRY = "Alemania";
const NEW_CITY = "Berlín";

const ENTRY = '[data-testid="history-entry"]';
const run = createRun("browser-history.mjs", screenshotPath);
const shots = screenshotPath.replace(/\.png$/i, "");

/**
 * The timeline entry within `scope` (a page, or a locator on `page`) whose
 * author is `name` and that changed `field` of the record.
 */
function entryBy(scope, name, field, page = scope) {
  return scope
    .locator(ENTRY)
    .filter({ has: page.locator('[data-testid="entry-who"]', { hasText: name }) })
    .filter({ has: page.locator(`[data-testid="record-change"][data-id="${recordId}"] .field-change[data-field="${field}"]`) });
}

/** Checks an entry shows `field` going from `before` to `after`. */
async function expectChange(entry, field, before, after) {
  const line = entry.locator(`.field-change[data-field="${field}"]`).first();
  const shown = {
    before: (await line.locator('[data-testid="old-value"]').textContent())?.trim(),
    after: (await line.locator('[data-testid="new-value"]').textContent())?.trim(),
  };
  if (shown.before !== before || shown.after !== after) {
    throw new Error(`the entry shows ${field} ${JSON.stringify(shown)}, not ${before} → ${after}`);
  }
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

  await run.step("two members edit the organisation", async () => {
    for (const page of [a, b]) {
      await page.goto(`${baseUrl}#/organisations/${recordId}`);
      await waitForFieldValue(page, "country", oldCountry);
    }
    await setLineField(a, "country", NEW_COUNTRY);
    await setLineField(b, "city", NEW_CITY);
    for (const page of [a, b]) {
      await waitForFieldValue(page, "country", NEW_COUNTRY);
      await waitForFieldValue(page, "city", NEW_CITY);
    }
  });

  await run.step("the secretariat sees both edits in History", async () => {
    await sec.click('a[data-nav="history"]');
    await sec.waitForSelector('[data-testid="history-page"]');
    const byAna = entryBy(sec, ana.displayName, "country");
    const byBeto = entryBy(sec, beto.displayName, "city");
    await byAna.first().waitFor();
    await byBeto.first().waitFor();
    await expectChange(byAna.first(), "country", oldCountry, NEW_COUNTRY);
    await expectChange(byBeto.first(), "city", oldCity, NEW_CITY);
    // Names and the secretariat-only email.
    const email = (await byAna.first().locator('[data-testid="entry-email"]').textContent())?.trim();
    if (email !== ana.email) throw new Error(`the secretariat sees Ana's email as ${email}`);
    await sec.waitForSelector('[data-testid="tab-refused"]');
    await sec.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("a member's History has no refused attempts and no emails", async () => {
    await a.click('a[data-nav="history"]');
    await entryBy(a, ana.displayName, "country").first().waitFor();
    await a.waitForSelector('[data-testid="tab-timeline"]');
    if ((await a.locator('[data-testid="tab-refused"]').count()) !== 0) throw new Error("a member sees the refused attempts tab");
    if ((await a.locator('[data-testid="entry-email"]').count()) !== 0) throw new Error("a member sees email addresses");
    await a.goto(`${baseUrl}#/organisations/${recordId}`);
    await waitForFieldValue(a, "country", NEW_COUNTRY);
  });

  await run.step("the secretariat opens the record's history panel", async () => {
    await entryBy(sec, ana.displayName, "country").first().locator(`[data-testid="record-change"][data-id="${recordId}"] a`).first().click();
    await sec.waitForSelector(`.record-detail[data-id="${recordId}"] [data-field="country"] input`);
    const panel = sec.locator('[data-testid="record-history"]');
    await entryBy(panel, ana.displayName, "country", sec).first().waitFor();
    await entryBy(panel, beto.displayName, "city", sec).first().waitFor();
    // The secretariat created the record and set its city within minutes:
    // one group of two entries, the creation among them.
    const created = panel.locator('[data-testid="history-group"][data-count="2"]').filter({
      has: sec.locator('[data-testid="record-change"][data-kind="created"]'),
    });
    await created.first().waitFor();
    await panel.locator('[data-testid="added-by"] .who', { hasText: secretariat.displayName }).waitFor();
    // Whichever member's edit the server received last.
    const editors = new RegExp(`${ana.displayName}|${beto.displayName}`);
    await panel.locator('[data-testid="last-edited-by"] .who', { hasText: editors }).waitFor();
    await sec.screenshot({ path: `${shots}-panel.png`, fullPage: true });
  });

  await run.step("view the workspace as of before the edits", async () => {
    const panel = sec.locator('[data-testid="record-history"]');
    // The secretariat's group (creation, then the city) is the moment before the members' edits.
    const before = panel
      .locator(ENTRY)
      .filter({ has: sec.locator('[data-testid="entry-who"]', { hasText: secretariat.displayName }) })
      .first();
    await before.locator('[data-testid="view-as-of"]').first().click();
    await sec.waitForSelector('[data-testid="as-of-banner"]');
    await waitForFieldValue(sec, "country", oldCountry);
    await waitForFieldValue(sec, "city", oldCity);
    const enabled = await sec.$$eval(
      ".record-detail input, .record-detail select, .record-detail textarea, .record-detail button",
      (controls) => controls.filter((control) => !control.disabled).map((control) => control.name || control.dataset.testid || control.tagName),
    );
    if (enabled.length > 0) throw new Error(`edit controls stay enabled while viewing the past: ${enabled.join(", ")}`);
    const restores = await sec.$$eval('[data-testid="restore-field"]', (buttons) => buttons.filter((button) => !button.disabled).length);
    if (restores > 0) throw new Error(`${restores} restore buttons stay enabled while viewing the past`);
    // The whole workspace, not just this page: the organisation list too.
    await sec.click('a[data-nav="organisations"]');
    await sec.waitForSelector('button[data-testid="new-record"][disabled]');
    await sec.goto(`${baseUrl}#/organisations/${recordId}`);
    await waitForFieldValue(sec, "country", oldCountry);
    await sec.screenshot({ path: `${shots}-as-of.png`, fullPage: true });
    await sec.click('[data-testid="back-to-now"]');
    await sec.waitForSelector('[data-testid="as-of-banner"]', { state: "detached" });
    await waitForFieldValue(sec, "country", NEW_COUNTRY);
  });

  await run.step("the secretariat restores the country", async () => {
    const panel = sec.locator('[data-testid="record-history"]');
    const byAna = entryBy(panel, ana.displayName, "country", sec).first();
    await byAna.locator('button[data-testid="restore-field"][data-field="country"]:not([disabled])').click();
    await waitForFieldValue(sec, "country", oldCountry);
    await waitForFieldValue(sec, "city", NEW_CITY);
  });

  await run.step("the member's page shows the restore live, by the secretariat", async () => {
    await waitForFieldValue(a, "country", oldCountry);
    await a.locator('[data-testid="last-edited-by"] .who', { hasText: secretariat.displayName }).waitFor();
    const restored = a.locator(ENTRY).filter({ has: a.locator('[data-testid="entry-who"]', { hasText: secretariat.displayName }) })
      .filter({ has: a.locator('[data-testid="record-change"][data-kind="restored"] .field-change[data-field="country"]') });
    await restored.first().waitFor();
    await a.screenshot({ path: `${shots}-restored.png`, fullPage: true });
  });

  await run.finish({ record: recordId });
} catch (error) {
  await run.fail(error);
}
