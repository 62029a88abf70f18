// Following up the year end to end, in two pages: a member creates a
// meeting, puts it on a work-plan line and adds an action item from the
// meeting page (owner, a due date in the past, the line); the secretariat's
// open action items view shows it arrive live, marked overdue in words; the
// member's view shows it overdue, keeps it when filtering by its owner and
// by its line (the other item disappears), and marks it done from the row,
// which takes it out of the default view ("show closed" brings it back);
// the line's page, open on the secretariat's side, counts the meeting and
// the item: overdue first, then done, progress 0 % → 100 %.
//
// usage: node browser-followup.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_SECRETARIAT_EMAIL/_NAME; ENLACE_A_EMAIL/_NAME
//      (a member); ENLACE_OWNER_ID (an organisation), ENLACE_LINE_ID (a
//      work-plan line), ENLACE_OTHER_ITEM_ID (an open action item of
//      another owner on another line, due later); ENLACE_LINE_SCREENSHOT
// Screenshots: <screenshot> (the open action items view),
// ENLACE_LINE_SCREENSHOT (the line's page after the item is done).

import { createRecord, createRun, requiredEnv, signIn, scriptArguments } from "./browser-common.mjs";

const { usage: USAGE, baseUrl, screenshotPath, person } = scriptArguments("browser-followup.mjs");
const secretariat = person("SECRETARIAT", "secretariat");
const ana = person("A", "member");
const ownerId = requiredEnv("ENLACE_OWNER_ID", USAGE);
const lineId = requiredEnv("ENLACE_LINE_ID", USAGE);
const otherItemId = requiredEnv("ENLACE_OTHER_ITEM_ID", USAGE);
const lineScreenshot = requiredEnv("ENLACE_LINE_SCREENSHOT", USAGE);

const MEETING_TITLE = "Plenaria de seguimiento";
const ITEM_TITLE = "Enviar la minuta a los miembros";
const ITEM = '[data-testid="action-item"]';
const PROGRESS = '[data-testid="line-progress"]';
const run = createRun("browser-followup.mjs", screenshotPath);

/** The row of action item `id` in the open items view (or any list on the page). */
const row = (page, id) => page.locator(`${ITEM}[data-id="${id}"]`);

/** Waits until the open items view lists exactly `ids` (in any order). */
async function waitForItems(page, ids) {
  await page
    .waitForFunction(
      (ids) => {
        const shown = [...document.querySelectorAll('[data-testid="open-action-items"] [data-testid="action-item"]')].map(
          (element) => element.dataset.id,
        );
        return shown.length === ids.length && ids.every((id) => shown.includes(id));
      },
      ids,
      { polling: 100 },
    )
    .catch(async (error) => {
      const shown = await page
        .locator(`[data-testid="open-action-items"] ${ITEM}`)
        .evaluateAll((rows) => rows.map((element) => element.dataset.id));
      throw new Error(`the view lists ${JSON.stringify(shown)}, not ${JSON.stringify(ids)}: ${error.message}`);
    });
}

/** Waits until the line's progress card has every `data-` value of `expected`. */
async function waitForProgress(page, expected) {
  const selector = Object.entries(expected)
    .map(([name, value]) => `[data-${name}="${value}"]`)
    .join("");
  await page.waitForSelector(`${PROGRESS}${selector}`, { state: "attached" }).catch(async (error) => {
    const shown = await page.locator(PROGRESS).first().evaluate((element) => ({ ...element.dataset }));
    throw new Error(`the line's progress is ${JSON.stringify(shown)}, not ${JSON.stringify(expected)}: ${error.message}`);
  });
}

try {
  await run.launch(["ana", "secretariat"]);
  const { ana: a, secretariat: sec } = run.pages;
  await run.step("sign in", async () => {
    for (const [page, who] of [[a, ana], [sec, secretariat]]) {
      await page.goto(baseUrl);
      await signIn(page, who);
    }
  });

  await run.step("the secretariat watches the open action items", async () => {
    await sec.click('a[data-nav="open-action-items"]');
    await waitForItems(sec, [otherItemId]);
  });

  let meetingId;
  await run.step("the member creates a meeting on the line", async () => {
    meetingId = await createRecord(a, "meetings", async (form) => {
      await form.locator('input[name="title"]').fill(MEETING_TITLE);
      await form.locator('select[name="kind"]').selectOption("plenary");
      await form.locator('input[name="date"]').fill("2021-03-01");
    });
    await a.locator('[data-field="workplan_lines"] select').selectOption(lineId);
    await a.waitForSelector(`[data-field="workplan_lines"] [data-ref="${lineId}"]`);
    await a.waitForSelector('[data-testid="meeting-action-items"] [data-testid="no-action-items"]');
  });

  let itemId;
  await run.step("the member adds an action item from the meeting page", async () => {
    const form = a.locator('[data-testid="add-action-item"]');
    await form.locator("#action-title").fill(ITEM_TITLE);
    await form.locator("#action-owner").selectOption(ownerId);
    await form.locator("#action-due").fill("2021-02-01");
    await form.locator("#action-line").selectOption(lineId);
    await form.locator('[data-testid="add-action-item-submit"]').click();
    const added = a.locator(`[data-testid="meeting-action-items"] ${ITEM}`, { hasText: ITEM_TITLE });
    await added.waitFor();
    itemId = await added.getAttribute("data-id");
    if ((await added.getAttribute("data-status")) !== "open") throw new Error("the new item is not open");
    if ((await form.locator("#action-title").inputValue()) !== "") throw new Error("the form kept the title");
  });

  await run.step("the secretariat's view shows the item live, overdue", async () => {
    await waitForItems(sec, [itemId, otherItemId]);
    const added = row(sec, itemId);
    await added.locator('[data-testid="overdue"]', { hasText: "Vencida" }).waitFor();
    if ((await added.getAttribute("data-overdue")) !== "true") throw new Error("not marked overdue");
    if ((await row(sec, otherItemId).locator('[data-testid="overdue"]').count()) !== 0) {
      throw new Error("the item due later is marked overdue");
    }
    const meeting = (await added.locator('[data-testid="action-meeting"]').textContent())?.trim() ?? "";
    if (!meeting.startsWith(MEETING_TITLE)) throw new Error(`the row names the meeting ${JSON.stringify(meeting)}`);
    const meetingHref = await added.locator('[data-testid="action-meeting"]').getAttribute("href");
    if (meetingHref !== `#/meetings/${meetingId}`) throw new Error(`the meeting link is ${meetingHref}`);
  });

  await run.step("the member's open items view: overdue first, in words", async () => {
    await a.click('a[data-nav="open-action-items"]');
    await waitForItems(a, [itemId, otherItemId]);
    const order = await a.locator(`[data-testid="open-action-items"] ${ITEM}`).evaluateAll((rows) => rows.map((e) => e.dataset.id));
    if (order[0] !== itemId) throw new Error(`the overdue item is not first: ${JSON.stringify(order)}`);
    const added = row(a, itemId);
    if (!(await added.evaluate((element) => element.classList.contains("overdue")))) throw new Error("no overdue class");
    if ((await a.locator('[data-testid="overdue-count"]').getAttribute("data-count")) !== "1") throw new Error("overdue count");
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("filter by owner, then by line", async () => {
    await a.locator("#filter-owner").selectOption(ownerId);
    await a.waitForFunction((owner) => location.hash === `#/action-items?owner=${owner}`, ownerId);
    await waitForItems(a, [itemId]);
    await a.locator("#filter-owner").selectOption("");
    await waitForItems(a, [itemId, otherItemId]);
    await a.locator("#filter-line").selectOption(lineId);
    await a.waitForFunction((line) => location.hash === `#/action-items?line=${line}`, lineId);
    await waitForItems(a, [itemId]);
    // The filter lives in the address: a reload keeps it.
    await a.reload();
    await a.waitForSelector('[data-testid="connection"][data-state="live"]', { state: "attached" });
    await waitForItems(a, [itemId]);
    await a.goto(`${baseUrl}#/action-items`);
    await waitForItems(a, [itemId, otherItemId]);
  });

  await run.step("the line's page counts the meeting and the overdue item", async () => {
    await sec.goto(`${baseUrl}#/workplan/${lineId}`);
    await waitForProgress(sec, { meetings: 1, "meetings-held": 1, "action-items": 1, pending: 1, overdue: 1, done: 0, percent: 0 });
    await sec.locator(`[data-section="meetings"] [data-id="${meetingId}"]`).waitFor();
    await row(sec, itemId).waitFor();
  });

  await run.step("marked done from the view, it leaves the default view", async () => {
    await row(a, itemId).locator('[data-testid="action-status"]').selectOption("done");
    await waitForItems(a, [otherItemId]);
    await a.locator('[data-testid="show-closed"]').check();
    await a.waitForFunction(() => location.hash === "#/action-items?closed=1");
    await waitForItems(a, [itemId, otherItemId]);
    const done = row(a, itemId);
    if ((await done.getAttribute("data-status")) !== "done") throw new Error("not done");
    if ((await done.locator('[data-testid="overdue"]').count()) !== 0) throw new Error("a done item shows as overdue");
  });

  await run.step("the line's page follows live: done, 100 %", async () => {
    await waitForProgress(sec, { meetings: 1, "action-items": 1, pending: 0, overdue: 0, done: 1, percent: 100 });
    const status = await row(sec, itemId).getAttribute("data-status");
    if (status !== "done") throw new Error(`the line's page shows the item ${status}`);
    await sec.screenshot({ path: lineScreenshot, fullPage: true });
  });

  await run.step("the overview lists the line of the period", async () => {
    await sec.click('a[data-nav="workplan"]');
    await sec.locator(`[data-testid="workplan-line"][data-id="${lineId}"] ${PROGRESS}[data-percent="100"]`).waitFor();
  });

  await run.finish({ meeting: meetingId, action_item: itemId });
} catch (error) {
  await run.fail(error);
}
