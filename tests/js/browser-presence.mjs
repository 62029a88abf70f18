// Presence end to end, in two pages and one raw socket: Ana and Beto
// (members) open the same alliance; Beto focuses its next step. Ana's page
// shows Beto in the header's presence bar, "also here" on the record, and
// the field outlined with his name. Carla, an observer, connects a raw
// WebSocket from Node and sends presence whose payload and envelope claim
// to be Ana of the "Secretaría": Ana's page shows Carla (the server's
// stamp) and never the claim; Carla's socket hears Beto (observers receive
// presence). Beto closes his page: the time until he disappears from Ana's
// page is measured and must stay under 6 s (the deadline is 5 s after his
// last heartbeat).
//
// usage: node browser-presence.mjs <base-url> <screenshot.png>
// env: ENLACE_PASSWORD; ENLACE_A_EMAIL/_NAME/_ID, ENLACE_B_EMAIL/_NAME/_ID
//      (members); ENLACE_C_ID, ENLACE_C_COOKIE (the observer's session
//      header value); ENLACE_SYNC_URL; ENLACE_DOCUMENT_ID; ENLACE_ALLIANCE_ID
// Screenshot: <screenshot> (Ana's page while Beto edits the next step).

import { decode, Encoder } from "cbor-x";
import WebSocket from "ws";

import { createRun, requiredEnv, signIn } from "./browser-common.mjs";

const USAGE = "usage: node browser-presence.mjs <base-url> <screenshot.png> (see the header for the env)";
const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const password = requiredEnv("ENLACE_PASSWORD", USAGE);
const person = (prefix) => ({
  email: requiredEnv(`ENLACE_${prefix}_EMAIL`, USAGE),
  displayName: requiredEnv(`ENLACE_${prefix}_NAME`, USAGE),
  id: requiredEnv(`ENLACE_${prefix}_ID`, USAGE),
  password,
  role: "member",
});
const ana = person("A");
const beto = person("B");
const carlaId = requiredEnv("ENLACE_C_ID", USAGE);
const carlaCookie = requiredEnv("ENLACE_C_COOKIE", USAGE);
const syncUrl = requiredEnv("ENLACE_SYNC_URL", USAGE);
const documentId = requiredEnv("ENLACE_DOCUMENT_ID", USAGE);
const allianceId = requiredEnv("ENLACE_ALLIANCE_ID", USAGE);

const CLAIMED_NAME = "Secretaría";
const BAR = '[data-testid="presence-bar"]';
const HERE = '[data-testid="presence-here"]';
const PERSON = '[data-testid="presence-person"]';
const encoder = new Encoder({ tagUint8Array: false, useRecords: false });
const run = createRun("browser-presence.mjs", screenshotPath);

/**
 * Carla's raw socket: joins as an observer's session, then every second
 * sends presence on the alliance that claims, in its payload and in the
 * envelope, to be Ana of the Secretaría. Records whose stamps it hears.
 */
function forger() {
  const state = { heard: new Set(), sent: 0, error: undefined, timer: undefined };
  const socket = new WebSocket(syncUrl, { headers: { Cookie: carlaCookie } });
  socket.on("error", (error) => (state.error = error));
  socket.on("open", () =>
    socket.send(
      encoder.encode({ type: "join", senderId: "carla-forger", supportedProtocolVersions: ["1"], peerMetadata: {} }),
    ),
  );
  socket.on("message", (frame) => {
    const message = decode(frame);
    if (message.type === "peer") {
      const forge = () => {
        state.sent += 1;
        const claim = { personId: ana.id, displayName: CLAIMED_NAME, organisationId: CLAIMED_NAME };
        const payload = {
          route: `#/alliances/${allianceId}`,
          record: { collection: "alliances", id: allianceId },
          seq: state.sent,
          displayName: CLAIMED_NAME,
          name: ana.displayName,
          enlaceSender: claim,
        };
        socket.send(
          encoder.encode({
            type: "ephemeral",
            senderId: "ana-peer",
            targetId: message.senderId,
            count: state.sent,
            sessionId: "forged",
            documentId,
            data: encoder.encode(payload),
            enlaceSender: claim,
          }),
        );
      };
      forge();
      state.timer = setInterval(forge, 1000);
    }
    if (message.type === "ephemeral" && message.enlaceSender) state.heard.add(message.enlaceSender.personId);
  });
  state.close = () => {
    clearInterval(state.timer);
    socket.close();
  };
  return state;
}

/** The `data-person` and `data-name` of everyone in a page's presence bar. */
async function barPeople(page) {
  return page
    .locator(`${BAR} ${PERSON}`)
    .evaluateAll((people) => people.map((element) => ({ id: element.dataset.person, name: element.dataset.name })));
}

try {
  await run.launch(["ana", "beto"]);
  const { ana: a, beto: b } = run.pages;
  const record = `#/alliances/${allianceId}`;
  await run.step("sign in and open the alliance", async () => {
    for (const [page, who] of [[a, ana], [b, beto]]) {
      await page.goto(baseUrl);
      await signIn(page, who);
      await page.evaluate((hash) => (location.hash = hash), record);
      await page.waitForSelector(`.record-detail[data-id="${allianceId}"] [data-field="next_step"] input`);
    }
  });

  await run.step("Ana sees Beto in the bar and on the record", async () => {
    await a.waitForSelector(`${BAR} ${PERSON}[data-person="${beto.id}"][data-name="${beto.displayName}"]`);
    await a.waitForSelector(`${HERE} ${PERSON}[data-person="${beto.id}"]`);
    const initials = (await a.locator(`${BAR} ${PERSON}[data-person="${beto.id}"] .presence-avatar`).textContent())?.trim();
    if (initials !== "BR") throw new Error(`Beto's initials are ${JSON.stringify(initials)}`);
  });

  await run.step("Beto focuses the next step: Ana sees the field outlined with his name", async () => {
    await b.locator('[data-field="next_step"] input').focus();
    await a.waitForSelector(`[data-field="next_step"][data-edited-by="${beto.displayName}"]`);
    await a.waitForSelector(`[data-field="next_step"] [data-testid="presence-editor"][data-person="${beto.id}"]`);
    const others = await a.locator("[data-edited-by]").count();
    if (others !== 1) throw new Error(`${others} fields are marked as edited, not one`);
    await b.locator('[data-field="next_step"] input').blur();
    await a.waitForSelector('[data-field="next_step"]:not([data-edited-by])', { state: "attached" });
    await b.locator('[data-field="next_step"] input').focus();
    await a.waitForSelector(`[data-field="next_step"][data-edited-by="${beto.displayName}"]`);
  });

  const carla = forger();
  await run.step("a forged presence shows the observer who sent it, never the claim", async () => {
    await a.waitForSelector(`${BAR} ${PERSON}[data-person="${carlaId}"]`, { timeout: 10_000 });
    await a.waitForSelector(`${HERE} ${PERSON}[data-person="${carlaId}"]`);
    // Two more forged messages, so several have been handled by now.
    const sentBefore = carla.sent;
    while (carla.sent < sentBefore + 2) await new Promise((resolve) => setTimeout(resolve, 100));
    const people = await barPeople(a);
    const forged = people.filter((entry) => entry.id === ana.id || entry.name === CLAIMED_NAME || entry.name === ana.displayName);
    if (forged.length > 0) throw new Error(`the claimed identity shows: ${JSON.stringify(people)}`);
    const shown = await a
      .locator('[data-testid^="presence"]')
      .evaluateAll((elements) => elements.map((element) => `${element.textContent} ${element.title}`).join(" | "));
    if (shown.includes(CLAIMED_NAME)) throw new Error(`"${CLAIMED_NAME}" appears in Ana's presence: ${shown}`);
    if (!shown.includes("Carla Observa")) throw new Error(`Carla's stamped name is not shown: ${shown}`);
    if (!carla.heard.has(beto.id)) throw new Error(`the observer's socket heard ${JSON.stringify([...carla.heard])}, not Beto`);
    if (carla.error) throw carla.error;
  });

  await run.step("screenshot", async () => {
    await a.screenshot({ path: screenshotPath, fullPage: true });
  });

  let goneMs;
  await run.step("Beto closes his page and disappears from Ana's", async () => {
    const closed = Date.now();
    await b.close();
    delete run.pages.beto;
    await a.waitForSelector(`${BAR} ${PERSON}[data-person="${beto.id}"]`, { state: "detached", timeout: 10_000 });
    goneMs = Date.now() - closed;
    if (goneMs >= 6000) throw new Error(`Beto disappeared after ${goneMs} ms`);
    await a.waitForSelector(`[data-field="next_step"]:not([data-edited-by])`, { state: "attached" });
    if ((await a.locator(`${HERE} ${PERSON}[data-person="${beto.id}"]`).count()) !== 0) {
      throw new Error("Beto is still 'also here'");
    }
    // Carla is still sending: she stays.
    await a.waitForSelector(`${BAR} ${PERSON}[data-person="${carlaId}"]`);
  });
  carla.close();

  await run.finish({ beto_gone_ms: goneMs, forged_messages_sent: carla.sent, observer_heard: [...carla.heard] });
} catch (error) {
  await run.fail(error);
}
