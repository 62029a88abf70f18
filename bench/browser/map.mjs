// Browser figures of the network map (issue 13) for docs/performance.md: a
// measurement, not a test (it asserts nothing about time). Usage:
//   node bench/browser/map.mjs <base-url> <a-email> <b-email> <password> <nodes> <runs> <screenshot.png>
// Against a server whose workspace holds the map fixture (`enlace-map`: 500
// organisations, 300 alliances and collaborations), two headless Chromium
// pages: A (secretariat) on the map, B (member) editing alliances.
// - first render: A goes from the organisation list to `#/map`; wall time
//   until all <nodes> nodes are in the page, and the page's own
//   `data-first-render-ms` (page created → first frame with the graph);
// - remote change: B adds a work-plan line to an alliance, or a member to
//   it; wall time from B's edit until A's map shows it, and A's own
//   `data-remote-ms` (the frame that changed the document arrived → the
//   frame that draws it);
// - drag: A drags an organisation with 120 pointer moves; frames per
//   second are counted by requestAnimationFrame in A's page during the drag.
// Prints one line of JSON; `enlace-map` runs it from tests/js (where
// playwright-core is installed) and keeps the figures.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const [base, aEmail, bEmail, password, nodesArg, runsArg, screenshot] = process.argv.slice(2);
const [nodes, runs] = [Number(nodesArg), Number(runsArg)];
if (!base || !password || !(nodes > 0) || !(runs > 0) || !screenshot) {
  process.stderr.write("usage: node map.mjs <base-url> <a-email> <b-email> <password> <nodes> <runs> <screenshot.png>\n");
  process.exit(2);
}
const PATIENCE = { timeout: 120_000 };
const SHOWN = { timeout: 20_000, polling: "raf" };
const ORGANISATION = '[data-testid="map-node"]';
const MOVES = 120;

const browser = await chromium.launch({
  executablePath: process.env.ENLACE_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const pageErrors = [];
async function open(email) {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.on("pageerror", (error) => pageErrors.push(String(error?.stack ?? error)));
  await page.goto(base);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[data-testid="sign-in"]');
  await page.waitForSelector('[data-testid="connection"][data-state="live"]', { state: "attached", ...PATIENCE });
  return page;
}
const a = await open(aEmail);
const b = await open(bEmail);
const drawn = (page) => page.evaluate(() => document.querySelectorAll('[data-testid="map-node"], [data-testid="map-tie"]').length);

// First render, from the organisation list each time (the layout is the page's own).
const firstRender = [];
for (let run = 0; run < runs; run++) {
  await a.evaluate(() => { location.hash = "#/organisations"; });
  await a.waitForSelector('[data-testid="result-count"]', PATIENCE);
  const started = Date.now();
  await a.evaluate(() => { location.hash = "#/map"; });
  await a.waitForFunction((count) => document.querySelectorAll('[data-testid="map-node"], [data-testid="map-tie"]').length >= count, nodes, { polling: "raf", ...PATIENCE });
  const wallMs = Date.now() - started;
  const page = await a.waitForSelector('[data-testid="map-page"][data-first-render-ms]', PATIENCE);
  firstRender.push({ wallMs, pageMs: Number(await page.getAttribute("data-first-render-ms")) });
}
const shownNodes = await drawn(a);
const edges = await a.locator('[data-testid="map-edge"]').count();
await a.screenshot({ path: screenshot, fullPage: true });

// Remote changes, made by B on alliances a0, a1, …: a line, then a member, in turn.
const remote = [];
for (let run = 0; run < runs * 2; run++) {
  const key = `alliances/a${run}`;
  const kind = run % 2 === 0 ? "line" : "member";
  await b.evaluate((id) => { location.hash = `#/alliances/${id}`; }, `a${run}`);
  const field = kind === "line" ? "workplan_lines" : "members";
  await b.waitForSelector(`[data-field="${field}"] select`, PATIENCE);
  const count = Number(await a.getAttribute('[data-testid="map-page"]', "data-remote-count"));
  const tie = `[data-testid="map-tie"][data-key="${key}"]`;
  const linesBefore = Number(await a.getAttribute(tie, "data-lines"));
  const edgesBefore = await a.locator(`[data-testid="map-edge"][data-tie="${key}"]`).count();
  // An option that is not chosen yet (the chips name the chosen ones).
  const label = await b.evaluate((field) => {
    const chosen = [...document.querySelectorAll(`[data-field="${field}"] .chip`)].map((chip) => chip.textContent);
    const options = [...document.querySelectorAll(`[data-field="${field}"] select option`)].filter((option) => option.value);
    return options.find((option) => !chosen.some((text) => text.includes(option.textContent)))?.textContent;
  }, field);
  if (!label) throw new Error(`no ${field} left to add to ${key}`);
  await b.selectOption(`[data-field="${field}"] select`, { label });
  const started = Date.now();
  if (kind === "line") {
    await a.waitForFunction(([tie, lines]) => Number(document.querySelector(tie)?.getAttribute("data-lines")) > lines, [tie, linesBefore], SHOWN);
  } else {
    await a.waitForFunction(([key, edges]) => document.querySelectorAll(`[data-testid="map-edge"][data-tie="${key}"]`).length > edges, [key, edgesBefore], SHOWN);
  }
  const wallMs = Date.now() - started;
  await a.waitForFunction((count) => Number(document.querySelector('[data-testid="map-page"]')?.getAttribute("data-remote-count")) > count, count, SHOWN);
  remote.push({ kind, wallMs, pageMs: Number(await a.getAttribute('[data-testid="map-page"]', "data-remote-ms")) });
}

// Dragging: an organisation whose centre is not under another node.
const drag = [];
for (let run = 0; run < runs; run++) {
  const [key, x, y] = await a.$$eval(ORGANISATION, (nodes, skip) => {
    for (const node of nodes.slice(skip * 37)) {
      const box = node.querySelector(".map-pin").getBoundingClientRect();
      const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
      if (x > 100 && y > 100 && document.elementFromPoint(x, y)?.closest('[data-testid="map-node"]') === node) {
        return [node.dataset.key, x, y];
      }
    }
    return [null, 0, 0];
  }, run);
  if (!key) throw new Error("every organisation is covered by another node");
  await a.mouse.move(x, y);
  await a.mouse.down();
  await a.evaluate(() => {
    window.enlaceFrames = [];
    window.enlaceCounting = true;
    const tick = (time) => {
      window.enlaceFrames.push(time);
      if (window.enlaceCounting) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  for (let step = 1; step <= MOVES; step += 1) {
    const angle = (step / MOVES) * 2 * Math.PI;
    await a.mouse.move(x + 80 * Math.sin(angle), y + 60 * (1 - Math.cos(angle)));
  }
  const ms = Date.now() - started;
  const frames = await a.evaluate(() => {
    window.enlaceCounting = false;
    return window.enlaceFrames;
  });
  await a.mouse.up();
  await a.waitForSelector(`${ORGANISATION}[data-key="${key}"].pinned`, PATIENCE);
  const span = frames[frames.length - 1] - frames[0];
  drag.push({ moves: MOVES, ms, frames: frames.length, fps: span > 0 ? ((frames.length - 1) * 1000) / span : 0 });
}

if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join("; ")}`);
console.log(JSON.stringify({ nodes: shownNodes, edges, firstRender, remote, drag }));
await browser.close();
process.exit(0);
