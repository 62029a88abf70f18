// A stock automerge-repo client against an Enlace server.
//
// usage: node interop.mjs <ws-url> <automerge-url> <expect-name> <add-name>
//
// 1. A Repo finds the workspace document and waits (20 s) until
//    `organisations` has a record named <expect-name>; prints {"seen": [...]}.
// 2. It adds an organisation named <add-name> under a fresh 32-hex id.
// 3. A second, fresh Repo (new adapter, new peer id) finds the document and
//    waits (20 s) until that record arrives from the server; prints
//    {"added": id} and exits 0. Any failure: a message on stderr, exit 1.

import { randomBytes } from "node:crypto";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const TIMEOUT_MS = 20_000;
const started = Date.now();

function fail(message) {
  process.stderr.write(`interop: ${message} (after ${Date.now() - started} ms)\n`);
  process.exit(1);
}

process.on("uncaughtException", (error) => fail(`uncaught exception: ${error?.stack ?? error}`));
process.on("unhandledRejection", (error) => fail(`unhandled rejection: ${error?.stack ?? error}`));

const [wsUrl, documentUrl, expectName, addName] = process.argv.slice(2);
if (!wsUrl || !documentUrl?.startsWith("automerge:") || !expectName || !addName) {
  fail("usage: node interop.mjs <ws-url> <automerge-url> <expect-name> <add-name>");
}

/** Strings arrive as JS strings (automerge text) or ImmutableString (scalar strings, e.g. from Rust). */
function text(value) {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object" && "val" in value) return String(value.val);
  return String(value);
}

function organisations(handle) {
  const doc = handle.doc();
  return doc?.organisations ?? {};
}

function names(handle) {
  return Object.values(organisations(handle)).map((record) => text(record?.name));
}

/** Resolves when predicate(handle) holds: checked on every change and every 200 ms. */
function waitUntil(handle, what, predicate) {
  return new Promise((resolve, reject) => {
    let timer;
    let poll;
    const check = () => {
      let ok = false;
      try {
        ok = predicate(handle);
      } catch (error) {
        finish(error);
        return;
      }
      if (ok) finish();
    };
    const finish = (error) => {
      clearTimeout(timer);
      clearInterval(poll);
      handle.off("change", check);
      if (error) reject(error);
      else resolve();
    };
    timer = setTimeout(
      () => finish(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}; organisations: ${JSON.stringify(names(handle))}`)),
      TIMEOUT_MS,
    );
    poll = setInterval(check, 200);
    handle.on("change", check);
    check();
  });
}

async function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms: ${what}`)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function openRepo() {
  // retryInterval 1 s: a reconnect after a dropped socket happens inside the timeouts.
  const adapter = new WebSocketClientAdapter(wsUrl, 1000);
  const repo = new Repo({ network: [adapter] });
  return repo;
}

const repos = [];
try {
  // 1. find and wait for the Rust client's organisation.
  const first = openRepo();
  repos.push(first);
  const handle = await withTimeout(first.find(documentUrl), `finding ${documentUrl}`);
  await waitUntil(handle, `an organisation named ${JSON.stringify(expectName)}`, (h) => names(h).includes(expectName));
  console.log(JSON.stringify({ seen: names(handle) }));

  // 2. add one.
  const id = randomBytes(16).toString("hex");
  handle.change((doc) => {
    doc.organisations[id] = {
      name: addName,
      kind: "cooperation_agency",
      country: "México",
      created_at: Date.now(),
      created_by: "interop",
      deleted: false,
    };
  });
  if (text(organisations(handle)[id]?.name) !== addName) throw new Error("the local change did not apply");

  // 3. a fresh peer gets it from the server.
  const second = openRepo();
  repos.push(second);
  const fresh = await withTimeout(second.find(documentUrl), `finding ${documentUrl} from a second peer`);
  await waitUntil(fresh, `organisation ${id} on a fresh peer`, (h) => text(organisations(h)[id]?.name) === addName);
  console.log(JSON.stringify({ added: id }));

  await Promise.race([Promise.all(repos.map((repo) => repo.shutdown())), new Promise((ok) => setTimeout(ok, 2000))]);
  process.exit(0);
} catch (error) {
  fail(error?.stack ?? String(error));
}
