// Several tabs of one person share one connection: Ana opens the
// organisation X in a first tab, which leads (the socket and the local
// copy are its). A second tab of hers opens with no socket of its own
// (Playwright sees every WebSocket a page opens), follows the first over a
// BroadcastChannel, and edits with an actor of its own. Each tab's edit
// shows in the other, and the second tab's reaches Beto through the first
// tab's connection; so does its presence (Beto sees the field it edits
// while the first tab is elsewhere). Ana closes the first tab: the second takes over, opens
// the socket, and its next edit reaches Beto. A third tab follows the new
// leader; signing out there signs out every tab and deletes the copy. The
// Rust test then checks the server's history attributes the second tab's
// edit (sent over the first tab's socket) to Ana.
//
// usage: node browser-tabs.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD, ENLACE_A_EMAIL/_NAME (Ana), ENLACE_B_EMAIL/_NAME
//      (Beto), ENLACE_X_ID (an organisation)

import {
  CONNECTION,
  createRun,
  openOrganisation,
  requiredEnv,
  scriptArguments,
  setLineField,
  SIGN_OUT,
  signIn,
  STEP_TIMEOUT_MS,
  waitForFieldValue,
} from "./browser-common.mjs";

const { usage, baseUrl, screenshotPath, person } = scriptArguments("browser-tabs.mjs");
const ana = person("A", "member");
const beto = person("B", "member");
const x = requiredEnv("ENLACE_X_ID", usage);

const run = createRun("browser-tabs.mjs", screenshotPath);

/** Counts the WebSockets `page` opens from now on. */
function countSockets(page) {
  const counter = { opened: 0 };
  page.on("websocket", () => {
    counter.opened += 1;
  });
  return counter;
}

async function waitForTab(page, tab, state = "live") {
  await page.waitForSelector(`${CONNECTION}[data-tab="${tab}"][data-state="${state}"]`, {
    state: "attached",
    timeout: STEP_TIMEOUT_MS,
  });
}

async function actorOf(page) {
  return page.getAttribute(CONNECTION, "data-actor");
}

/** Opens another tab of Ana's, already signed in (the session cookie). */
async function anotherTab(context, name) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  run.watch(page, name);
  run.pages[name] = page;
  const sockets = countSockets(page);
  await page.goto(baseUrl);
  return { page, sockets };
}

try {
  await run.launch(["ana", "beto"]);
  const { ana: first, beto: b } = run.pages;
  const firstSockets = countSockets(first);

  await run.step("Ana's first tab leads; Beto has X open", async () => {
    await first.goto(baseUrl);
    await signIn(first, ana);
    await waitForTab(first, "leader");
    await openOrganisation(first, x);
    await b.goto(baseUrl);
    await signIn(b, beto);
    await openOrganisation(b, x);
    if (firstSockets.opened !== 1) throw new Error(`the first tab opened ${firstSockets.opened} sockets`);
  });

  const { page: second, sockets: secondSockets } = await anotherTab(first.context(), "ana-2");
  await run.step("a second tab follows, with an actor of its own", async () => {
    await waitForTab(second, "follower");
    await openOrganisation(second, x);
    const [leading, following] = [await actorOf(first), await actorOf(second)];
    if (!/^[0-9a-f]{32}$/.test(leading ?? "") || !/^[0-9a-f]{32}$/.test(following ?? "")) {
      throw new Error(`actors ${leading} and ${following}`);
    }
    if (leading === following) throw new Error(`both tabs edit as ${leading}`);
  });

  await run.step("each tab's edit shows in the other; the follower's reaches Beto", async () => {
    await setLineField(first, "acronym", "UNO");
    await waitForFieldValue(second, "acronym", "UNO");
    await setLineField(second, "country", "Perú");
    await waitForFieldValue(first, "country", "Perú");
    await waitForFieldValue(b, "country", "Perú");
    await waitForFieldValue(b, "acronym", "UNO");
    // The leader counts the follower's change until the server has it.
    await second.waitForSelector(`${CONNECTION}[data-state="live"][data-waiting="0"]`, { state: "attached" });
    if (secondSockets.opened !== 0) throw new Error(`the follower opened ${secondSockets.opened} sockets`);
    await second.screenshot({ path: screenshotPath, fullPage: true });
  });

  await run.step("Beto's edit reaches the follower through the leader", async () => {
    await setLineField(b, "city", "Lima");
    await waitForFieldValue(second, "city", "Lima");
  });

  await run.step("each of Ana's tabs is where it is for Beto: the follower's presence goes through the leader", async () => {
    await first.evaluate(() => { location.hash = "#/"; });
    await second.locator('[data-field="acronym"] input').focus();
    const editing = `[data-field="acronym"][data-edited-by="${ana.displayName}"]`;
    await b.waitForSelector(editing, { state: "attached" });
    await b.waitForSelector(`[data-testid="presence-here"] [data-testid="presence-person"][data-name="${ana.displayName}"]`);
    // Past the 5 s a silent tab lasts: the follower's heartbeats keep
    // coming through the leader's socket, whose own page is elsewhere.
    await b.waitForTimeout(6_000);
    if ((await b.locator(editing).count()) !== 1) throw new Error("Beto lost the follower tab's presence");
    await second.locator('[data-field="acronym"] input').blur();
    await b.waitForSelector('[data-field="acronym"]:not([data-edited-by])', { state: "attached" });
  });

  await run.step("the first tab closes: the second takes over the connection", async () => {
    await first.close();
    delete run.pages.ana;
    await waitForTab(second, "leader");
    if (secondSockets.opened !== 1) throw new Error(`the new leader opened ${secondSockets.opened} sockets`);
    await setLineField(second, "acronym", "DOS");
    await waitForFieldValue(b, "acronym", "DOS");
  });

  const { page: third, sockets: thirdSockets } = await anotherTab(second.context(), "ana-3");
  await run.step("a third tab follows the new leader", async () => {
    await waitForTab(third, "follower");
    await openOrganisation(third, x);
    await waitForFieldValue(third, "acronym", "DOS");
    await waitForFieldValue(third, "country", "Perú");
    if (thirdSockets.opened !== 0) throw new Error(`the third tab opened ${thirdSockets.opened} sockets`);
    if ((await actorOf(third)) === (await actorOf(second))) throw new Error("the third tab edits as the leader");
  });

  await run.step("signing out in one tab signs out every tab and deletes the copy", async () => {
    await third.click(SIGN_OUT);
    for (const page of [third, second]) {
      await page.waitForSelector('input[name="email"]', { timeout: STEP_TIMEOUT_MS });
    }
    // The leader stopped writing; the copy is gone once the deletion ends.
    await third.waitForFunction(
      async () => !(await indexedDB.databases()).some((database) => database.name === "enlace"),
      null,
      { timeout: STEP_TIMEOUT_MS, polling: 200 },
    );
  });

  await run.finish({ follower_sockets: secondSockets.opened, third_tab_sockets: thirdSockets.opened });
} catch (error) {
  await run.fail(error);
}
