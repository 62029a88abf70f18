// The network map end to end, in two pages: A (presidency, the secretariat
// here) opens #/map on the demo roundtable; B (a member) creates an alliance
// linking a chamber and two members on a work-plan line. A's map shows the
// new tie and its three edges live while the other nodes stay where they
// were; a line filter hides and shows it; the tie opens its alliance
// beside the map, and B, still on the alliance's page, shows beside its tie
// (presence); a dragged node stays pinned across the next live update; A
// saves a view (line filter and the pinned node) and B, who may not save
// views, opens it and sees the same filter and pin; "Download SVG" saves
// an SVG.
//
// usage: node browser-map.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD, ENLACE_A_EMAIL, ENLACE_A_NAME, ENLACE_B_EMAIL,
//      ENLACE_B_NAME, ENLACE_LIVE_SCREENSHOT

import { createRecord, createRun, requiredEnv, signIn } from "./browser-common.mjs";

const [baseUrl, screenshotPath] = process.argv.slice(2);
const usage = "usage: node browser-map.mjs <base-url> <screenshot.png>";
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const password = requiredEnv("ENLACE_PASSWORD", usage);
const presidency = {
  email: requiredEnv("ENLACE_A_EMAIL", usage),
  password,
  displayName: requiredEnv("ENLACE_A_NAME", usage),
  role: "secretariat",
};
const member = {
  email: requiredEnv("ENLACE_B_EMAIL", usage),
  password,
  displayName: requiredEnv("ENLACE_B_NAME", usage),
  role: "member",
};
const liveScreenshot = requiredEnv("ENLACE_LIVE_SCREENSHOT", usage);
const CHAMBER = "Cámara de Comercio de ejemplo (ejemplo)";
const MEMBERS = ["ONU Mujeres", "Banco Interamericano de Desarrollo"];
const LINE = "Mujeres constructoras de paz";
const OTHER_LINE = "Diplomacia pública y comunicación";
const TITLE = "Alianza del mapa en vivo";
const VIEW = "Vista de paz";
const ORGANISATION = '[data-testid="map-node"]';

const run = createRun("browser-map.mjs", screenshotPath);

/** `data-key` → `data-x,data-y` of every organisation node on page `page`. */
async function places(page) {
  return page.$$eval(ORGANISATION, (nodes) =>
    Object.fromEntries(nodes.map((node) => [node.dataset.key, `${node.dataset.x},${node.dataset.y}`])),
  );
}

try {
  await run.launch(["a", "b"]);
  const { a, b } = run.pages;
  await run.step("sign in", async () => {
    await a.goto(baseUrl);
    await signIn(a, presidency);
    await b.goto(baseUrl);
    await signIn(b, member);
  });

  let before;
  await run.step("A opens the demo roundtable's map", async () => {
    await a.click('a[data-nav="map"]');
    await a.waitForSelector('[data-testid="map"]');
    await a.waitForFunction((selector) => document.querySelectorAll(selector).length >= 10, ORGANISATION);
    const ties = await a.$$eval('[data-testid="map-tie"]', (ties) => ties.length);
    if (ties < 1) throw new Error("the demo map shows no tie");
    const edges = await a.$$eval('[data-testid="map-edge"]', (edges) => edges.length);
    if (edges < ties) throw new Error(`${edges} edges for ${ties} ties`);
    before = await places(a);
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  let id;
  await run.step("B creates an alliance of a chamber and two members on a line", async () => {
    id = await createRecord(b, "alliances", async (form) => {
      await form.locator('input[name="title"]').fill(TITLE);
      await form.locator('select[name="partner"]').selectOption({ label: CHAMBER });
    });
    for (const [index, label] of MEMBERS.entries()) {
      await b.selectOption('[data-field="members"] select', { label });
      await b.waitForFunction((count) => document.querySelectorAll('[data-field="members"] .chip').length === count, index + 1);
    }
    await b.selectOption('[data-field="workplan_lines"] select', { label: LINE });
    await b.waitForFunction(() => document.querySelectorAll('[data-field="workplan_lines"] .chip').length === 1);
  });

  const tie = () => `[data-testid="map-tie"][data-record="${id}"]`;
  let liveMs;
  await run.step("A's map shows the tie and its three edges, the rest unmoved", async () => {
    const started = Date.now();
    await a.waitForSelector(tie(), { timeout: 5000 });
    await a.waitForFunction(
      (key) => document.querySelectorAll(`[data-testid="map-edge"][data-tie="${key}"]`).length === 3,
      `alliances/${id}`,
      { timeout: 5000 },
    );
    liveMs = Date.now() - started;
    const after = await places(a);
    const keys = Object.keys(before);
    if (keys.length < 5) throw new Error(`only ${keys.length} organisations before`);
    for (const key of keys) {
      if (after[key] !== before[key]) throw new Error(`${key} moved from ${before[key]} to ${after[key]}`);
    }
    await a.waitForTimeout(500); // the new node's transition, for the picture only
    await a.screenshot({ path: liveScreenshot, fullPage: true });
  });

  await run.step("B, on the alliance's page, shows on A's map beside its tie", async () => {
    // Presence is the server's stamp of B's account, not anything B's page claims.
    await a.waitForFunction(
      ([selector, name]) =>
        document.querySelector(`${selector} [data-testid="map-presence"]`)?.getAttribute("data-people") === name,
      [tie(), member.displayName],
      { timeout: 5000 },
    );
    const elsewhere = await a.$$eval('[data-testid="map-presence"]', (badges) => badges.length);
    if (elsewhere !== 1) throw new Error(`${elsewhere} presence badges on the map, expected only B's`);
  });

  await run.step("a line filter hides the tie and its line shows it", async () => {
    await a.selectOption('[data-testid="map-filter-line"]', { label: OTHER_LINE });
    await a.waitForSelector(tie(), { state: "detached" });
    await a.selectOption('[data-testid="map-filter-line"]', { label: LINE });
    await a.waitForSelector(tie());
    await a.selectOption('[data-testid="map-filter-line"]', "");
  });

  await run.step("the tie opens its alliance beside the map", async () => {
    // Enter on the focused tie: a click at its centre could land on an
    // organisation's label drawn over the small diamond.
    await a.focus(tie());
    await a.keyboard.press("Enter");
    await a.waitForSelector(`[data-testid="map-side"] .record-detail[data-id="${id}"]`);
    await a.waitForFunction(
      (title) => document.querySelector('[data-testid="map-side"] [data-field="title"] input')?.value === title,
      TITLE,
    );
    if ((await a.locator('[data-testid="map"]').count()) !== 1) throw new Error("the map left the page");
  });

  let pinnedKey;
  await run.step("a dragged node stays pinned across a live update", async () => {
    // An organisation whose centre is not under another node (a tie's
    // diamond may sit on one): the pointer goes down on the node itself.
    // Each is scrolled into view first: the map may sit below the fold
    // (how far the page is scrolled depends on what the last step focused),
    // and a point outside the viewport hits nothing.
    const [key, x, y] = await a.$$eval(ORGANISATION, (nodes) => {
      for (const node of nodes) {
        node.scrollIntoView({ block: "center", inline: "center" });
        const box = node.querySelector(".map-pin").getBoundingClientRect(); // centred on the node
        const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
        if (document.elementFromPoint(x, y)?.closest('[data-testid="map-node"]') === node) return [node.dataset.key, x, y];
      }
      return [null, 0, 0];
    });
    if (!key) throw new Error("every organisation is covered by another node");
    const node = `${ORGANISATION}[data-key="${key}"]`;
    await a.mouse.move(x, y);
    await a.mouse.down();
    for (let step = 1; step <= 8; step += 1) await a.mouse.move(x + step * 10, y + step * 6);
    await a.mouse.up();
    await a.waitForSelector(`${node}.pinned`);
    const dragged = (await places(a))[key];
    if (dragged === before[key]) throw new Error("the drag did not move the node");
    // A live update: B adds a second line to the alliance.
    await b.selectOption('[data-field="workplan_lines"] select', { label: OTHER_LINE });
    await a.waitForFunction(
      (key) => document.querySelector(`[data-testid="map-tie"][data-key="${key}"]`)?.getAttribute("data-lines") === "2",
      `alliances/${id}`,
      { timeout: 5000 },
    );
    const later = (await places(a))[key];
    if (later !== dragged) throw new Error(`the pinned node moved from ${dragged} to ${later}`);
    if ((await a.locator(`${node}.pinned`).count()) !== 1) throw new Error("the node lost its pin");
    pinnedKey = key;
  });

  await run.step("A saves a view (line filter, pinned node); B opens it and sees the same", async () => {
    await a.selectOption('[data-testid="map-filter-line"]', { label: LINE });
    await a.waitForSelector(tie());
    await a.fill('input[name="map-view-name"]', VIEW);
    await a.click('[data-testid="map-view-save"] button[type="submit"]');
    await a.waitForFunction((name) => [...document.querySelectorAll('[data-testid="map-view"] option')].some((option) => option.textContent === name), VIEW);
    const saved = (await places(a))[pinnedKey];
    const line = await a.$eval('[data-testid="map-filter-line"]', (select) => select.value);
    // B, a member, reads views but may not save one.
    await b.click('a[data-nav="map"]');
    await b.waitForSelector('[data-testid="map"]');
    if (!(await b.locator('[data-testid="map-view-save"] button[type="submit"]').isDisabled())) {
      throw new Error("a member may save a map view");
    }
    await b.waitForFunction((name) => [...document.querySelectorAll('[data-testid="map-view"] option')].some((option) => option.textContent === name), VIEW);
    await b.selectOption('[data-testid="map-view"]', { label: VIEW });
    await b.waitForFunction((value) => document.querySelector('[data-testid="map-filter-line"]')?.value === value, line);
    const node = `${ORGANISATION}[data-key="${pinnedKey}"]`;
    await b.waitForSelector(`${node}.pinned`);
    const [sx, sy] = saved.split(",").map(Number);
    const [bx, by] = (await places(b))[pinnedKey].split(",").map(Number);
    if (Math.abs(bx - sx) > 0.11 || Math.abs(by - sy) > 0.11) throw new Error(`B's pinned node at ${bx},${by}, saved at ${saved}`);
    await b.waitForSelector(tie());
  });

  let svgBytes;
  await run.step("Download SVG saves the map", async () => {
    const [download] = await Promise.all([a.waitForEvent("download"), a.click('[data-testid="map-download-svg"]')]);
    if (download.suggestedFilename() !== "map.svg") throw new Error(`the download is ${download.suggestedFilename()}`);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const svg = Buffer.concat(chunks).toString("utf8");
    if (!svg.includes("<svg")) throw new Error("the download holds no <svg");
    if (!svg.includes(id)) throw new Error("the downloaded map lacks the new tie");
    svgBytes = svg.length;
  });

  await run.finish({ alliance: id, live_tie_ms: liveMs, svg_bytes: svgBytes });
} catch (error) {
  await run.fail(error);
}
