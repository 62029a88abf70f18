// Browser figures for docs/performance.md (a measurement, not a test: it
// asserts nothing about time). Usage:
//   node bench/browser/figures.mjs <base-url> <bearer-token> <email> <password>
// Fills the first workspace with 2,000 organisations through a stock
// automerge-repo client, then, in headless Chromium (signed in as <email>):
// time from navigation to an interactive list of every organisation, the
// in-page filter time, and the time from a remote edit to the repaint. Prints
// one line of JSON; `enlace-bench --client-dist` runs it and keeps the figures.
// Run from tests/js so its node_modules resolve (cargo xtask bench does).
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { Repo } = require("@automerge/automerge-repo");
const { WebSocketClientAdapter } = require("@automerge/automerge-repo-network-websocket");
const { chromium } = require("playwright-core");

const [base, token, email, password] = process.argv.slice(2);
const COUNT = 2000;
const ws = base.replace(/^http/, "ws") + `/sync?access_token=${token}`;
const workspaces = await (await fetch(`${base}/api/workspaces`, { headers: { Authorization: `Bearer ${token}` } })).json();
const repo = new Repo({ network: [new WebSocketClientAdapter(ws)] });
const handle = await repo.find(workspaces[0].url);
await handle.whenReady();
const hex = (n) => n.toString(16).padStart(32, "0");
handle.change((doc) => {
  for (let i = 0; i < COUNT; i++) {
    doc.organisations[hex(i + 1)] = {
      name: `Organización ${String(i).padStart(4, "0")}`, kind: i % 2 ? "embassy" : "company",
      country: i % 3 ? "México" : "España", created_at: Date.now(), created_by: "figures", deleted: false,
    };
  }
});

const browser = await chromium.launch({
  executablePath: process.env.ENLACE_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await (await browser.newContext()).newPage();
await page.goto(base);
await page.fill('input[name="email"]', email);
await page.fill('input[name="password"]', password);
await page.click('button[data-testid="sign-in"]');
await page.waitForSelector('[data-testid="connection"][data-state="live"]', { state: "attached", timeout: 60_000 });
const started = Date.now();
await page.goto(`${base}/#/organisations`);
await page.waitForFunction((count) => {
  const shown = document.querySelector('[data-testid="result-count"]');
  return shown && parseInt(shown.textContent, 10) >= count;
}, COUNT, { timeout: 120_000, polling: "raf" });
const interactiveMs = Date.now() - started;
const filterMs = [];
for (const term of ["españa", "organización 01", "mexico", "embajada", ""]) {
  await page.fill('input[name="search"]', term);
  await page.waitForTimeout(200);
  filterMs.push(Number(await page.getAttribute('[data-testid="result-count"]', "data-filter-ms")));
}
// Remote edits: the stock client renames the first organisation; each time,
// wait until the browser has repainted the new name.
const remoteEditMs = [];
for (let edit = 1; edit <= 5; edit++) {
  const renamed = `Organización 0000 (edición ${edit})`;
  const editStarted = Date.now();
  handle.change((doc) => { doc.organisations[hex(1)].name = renamed; });
  await page.waitForFunction((name) => document.body.innerText.includes(name), renamed, { timeout: 60_000, polling: "raf" });
  remoteEditMs.push(Date.now() - editStarted);
  await page.waitForTimeout(300);
}
console.log(JSON.stringify({ organisations: COUNT, interactiveMs, filterMs, remoteEditMs }));
await browser.close();
process.exit(0);
