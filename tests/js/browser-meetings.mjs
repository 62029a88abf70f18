// Meetings end to end: a member creates a plenary (kind, date, time), adds
// three agenda items, gives one a presenter and a linked record, moves the
// last one up, and records attendance (one attended, one apologised). Then
// two members type into the meeting's minutes at the same time, keystrokes
// interleaved between the two pages, and both pages end with both texts in
// full, also after a reload. An observer sees the meeting read-only.
//
// usage: node browser-meetings.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_A_EMAIL/_NAME and ENLACE_B_EMAIL/_NAME
//      (members); ENLACE_O_EMAIL/_NAME (an observer); ENLACE_ORG_1 and
//      ENLACE_ORG_2 (names of two organisations created beforehand)
// Screenshots: <screenshot> (the meeting with its agenda and attendance),
// <base>-minutes.png (after both typed the minutes).

import { createRecord, createRun, requiredEnv, signIn, STEP_TIMEOUT_MS, scriptArguments } from "./browser-common.mjs";

const { usage: USAGE, baseUrl, screenshotPath, person } = scriptArguments("browser-meetings.mjs");
const ana = person("A", "member");
const beto = person("B", "member");
const observer = person("O", "observer");
const firstOrg = requiredEnv("ENLACE_ORG_1", USAGE);
const secondOrg = requiredEnv("ENLACE_ORG_2", USAGE);

const TITLE = "Plenaria de marzo";
const AGENDA = ["Bienvenida", "Informe de la presidencia", "Asuntos varios"];
const ANA_TEXT = "Ana anota: se aprueba el orden del día.";
const BETO_TEXT = "Beto anota: asisten siete embajadas.";

const run = createRun("browser-meetings.mjs", screenshotPath);
const shots = screenshotPath.replace(/\.png$/i, "");

const agendaRows = (page) => page.locator('[data-field="agenda"] li[data-testid="item"]');
const attendanceRows = (page) => page.locator('[data-field="attendance"] li[data-testid="item"]');

/** The agenda's titles as the page shows them, in order. */
async function agendaTitles(page) {
  return page.locator('[data-field="agenda"] li[data-testid="item"] input[name="agenda-title"]').evaluateAll((inputs) =>
    inputs.map((input) => input.value),
  );
}

/** Waits until `read(page)` (in Node) equals `expected` (compared as JSON). */
async function waitUntil(what, read, expected) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
}

/** Waits until the minutes of `page` hold both texts in full. */
async function waitForBothTexts(page) {
  await page
    .waitForFunction(
      ({ first, second }) => {
        const minutes = document.querySelector('[data-field="minutes"] textarea')?.value ?? "";
        return minutes.includes(first) && minutes.includes(second);
      },
      { first: ANA_TEXT, second: BETO_TEXT },
      { timeout: STEP_TIMEOUT_MS, polling: 100 },
    )
    .catch(async (error) => {
      const shown = await page.locator('[data-field="minutes"] textarea').inputValue();
      throw new Error(`the minutes show ${JSON.stringify(shown)}: ${error.message}`);
    });
}

try {
  await run.launch(["ana", "beto", "observer"]);
  const { ana: a, beto: b, observer: o } = run.pages;
  await run.step("sign in", async () => {
    for (const [page, who] of [[a, ana], [b, beto], [o, observer]]) {
      await page.goto(baseUrl);
      await signIn(page, who);
    }
  });

  let meetingId;
  await run.step("a member creates a plenary with a date and a time", async () => {
    meetingId = await createRecord(a, "meetings", async (form) => {
      await form.locator('input[name="title"]').fill(TITLE);
      await form.locator('select[name="kind"]').selectOption("plenary");
      await form.locator('input[name="date"]').fill("2021-03-10");
    });
    const time = a.locator('[data-field="time"] input[type="time"]');
    await time.fill("09:30");
    await time.press("Enter");
    await time.evaluate((element) => element.blur());
    await a.waitForFunction(() => document.querySelector('[data-field="time"] input')?.value === "09:30");
    const kind = await a.locator('[data-field="kind"] select').inputValue();
    if (kind !== "plenary") throw new Error(`the kind is ${kind}`);
  });

  await run.step("three agenda items, a presenter and a linked record", async () => {
    for (const title of AGENDA) {
      await a.fill('input[name="new-agenda"]', title);
      await a.click('button[data-testid="add-agenda"]');
      await agendaRows(a).filter({ has: a.locator(`input[name="agenda-title"]`) }).nth(AGENDA.indexOf(title)).waitFor();
    }
    await waitUntil("the agenda", () => agendaTitles(a), AGENDA);
    const second = agendaRows(a).nth(1);
    await second.locator('select[name="agenda-presenter"]').selectOption({ label: firstOrg });
    await second.locator('select[name="agenda-records-collection"]').selectOption("organisations");
    await second.locator('select[name="agenda-records-record"]').selectOption({ label: secondOrg });
    await second.locator('li.chip[data-link^="organisations/"] a', { hasText: secondOrg }).waitFor();
    await a.waitForFunction(
      (name) => {
        const select = document.querySelectorAll('[data-field="agenda"] li[data-testid="item"]')[1]?.querySelector('select[name="agenda-presenter"]');
        return select?.selectedOptions[0]?.textContent === name;
      },
      firstOrg,
    );
  });

  await run.step("the last agenda item moves up", async () => {
    await agendaRows(a).nth(2).locator('button[data-testid="item-up"]').click();
    await waitUntil("the agenda after the move", () => agendaTitles(a), [AGENDA[0], AGENDA[2], AGENDA[1]]);
    // The moved item kept its presenter and link (it is the same item).
    const moved = agendaRows(a).nth(2);
    const presenter = await moved.locator('select[name="agenda-presenter"] option:checked').textContent();
    if (presenter !== firstOrg) throw new Error(`the moved item's presenter is ${presenter}`);
    await moved.locator('li.chip[data-link^="organisations/"] a', { hasText: secondOrg }).waitFor();
  });

  await run.step("attendance: one attended, one apologised", async () => {
    for (const [index, name, status] of [[0, firstOrg, "attended"], [1, secondOrg, "apologised"]]) {
      await a.locator('select[name="new-attendance"]').selectOption({ label: name });
      await a.click('button[data-testid="add-attendance"]');
      const row = attendanceRows(a).nth(index);
      await row.waitFor();
      await row.locator('select[name="attendance-status"]').selectOption(status);
      await a.waitForFunction(
        ({ index, status }) =>
          document.querySelectorAll('[data-field="attendance"] li[data-testid="item"]')[index]?.querySelector('select[name="attendance-status"]')?.value === status,
        { index, status },
      );
    }
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("the other member and the observer see the meeting", async () => {
    for (const page of [b, o]) {
      await page.goto(`${baseUrl}#/meetings/${meetingId}`);
      await waitUntil("the agenda elsewhere", () => agendaTitles(page), [AGENDA[0], AGENDA[2], AGENDA[1]]);
    }
    await waitUntil(
      "the attendance the observer sees",
      () => o.locator('[data-field="attendance"] select[name="attendance-status"]').evaluateAll((selects) => selects.map((select) => select.value)),
      ["attended", "apologised"],
    );
  });

  await run.step("the other member editing one agenda item shows on that item only", async () => {
    // Beto's cursor in the second item's title: Ana sees him on that item
    // (and on the agenda as a whole), not on the others.
    await agendaRows(b).nth(1).locator('input[name="agenda-title"]').focus();
    await a.waitForFunction(
      (name) => document.querySelectorAll('[data-field="agenda"] li[data-testid="item"]')[1]?.getAttribute("data-edited-by") === name,
      beto.displayName,
      { timeout: STEP_TIMEOUT_MS },
    );
    const marked = await agendaRows(a).evaluateAll((rows) => rows.map((row) => row.getAttribute("data-edited-by")));
    if (JSON.stringify(marked) !== JSON.stringify([null, beto.displayName, null])) {
      throw new Error(`the agenda items show editors ${JSON.stringify(marked)}`);
    }
    const field = await a.getAttribute('[data-field="agenda"]', "data-edited-by");
    if (field !== beto.displayName) throw new Error(`the agenda field shows ${field} editing`);
    await a.locator('[data-field="agenda"] li.edited-by-other .presence-person').first().waitFor();
    // Beto leaves the item: the mark goes.
    await agendaRows(b).nth(1).locator('input[name="agenda-title"]').blur();
    await a.waitForFunction(
      () => !document.querySelector('[data-field="agenda"] li[data-testid="item"][data-edited-by]'),
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
  });

  await run.step("the observer sees it read-only", async () => {
    const controls = await o
      .locator('[data-field="agenda"] input, [data-field="agenda"] select, [data-field="agenda"] button, [data-field="minutes"] textarea, [data-field="attendance"] select')
      .evaluateAll((elements) => elements.map((element) => ({ name: element.name || element.dataset.testid, disabled: element.disabled, title: element.title })));
    if (controls.length < 10) throw new Error(`only ${controls.length} controls found`);
    const enabled = controls.filter((control) => !control.disabled || !control.title);
    if (enabled.length > 0) throw new Error(`the observer has live controls: ${JSON.stringify(enabled)}`);
  });

  await run.step("two members type the minutes at the same time", async () => {
    // Ana starts the minutes; both then type, keystrokes interleaved: Ana at
    // the end, Beto at the start.
    const areaA = a.locator('[data-field="minutes"] textarea');
    const areaB = b.locator('[data-field="minutes"] textarea');
    await areaA.click();
    await a.keyboard.type("\n");
    await b.waitForFunction(() => document.querySelector('[data-field="minutes"] textarea')?.value === "\n");
    await areaA.click();
    await a.keyboard.press("Control+End");
    await areaB.click();
    await b.keyboard.press("Control+Home");
    const longest = Math.max(ANA_TEXT.length, BETO_TEXT.length);
    for (let index = 0; index < longest; index += 1) {
      if (index < ANA_TEXT.length) await a.keyboard.type(ANA_TEXT[index]);
      if (index < BETO_TEXT.length) await b.keyboard.type(BETO_TEXT[index]);
    }
    await waitForBothTexts(a);
    await waitForBothTexts(b);
    const [shownA, shownB] = [await areaA.inputValue(), await areaB.inputValue()];
    if (shownA !== shownB) throw new Error(`the pages disagree: ${JSON.stringify(shownA)} vs ${JSON.stringify(shownB)}`);
    // The meeting's own section: the page below it holds the record's
    // history, one entry per keystroke.
    await a.locator(`.record-detail[data-id="${meetingId}"]`).screenshot({ path: `${shots}-minutes.png` });
  });

  await run.step("after a reload both texts are still there", async () => {
    for (const page of [a, b]) {
      await page.reload();
      await page.waitForSelector(`.record-detail[data-id="${meetingId}"] [data-field="minutes"] textarea`);
      await waitForBothTexts(page);
      await waitUntil("the agenda after a reload", () => agendaTitles(page), [AGENDA[0], AGENDA[2], AGENDA[1]]);
    }
    await waitForBothTexts(o);
  });

  await run.finish({ meeting: meetingId });
} catch (error) {
  await run.fail(error);
}
