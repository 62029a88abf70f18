// Captures the binary frames a stock automerge-repo client sends, for the
// Rust decoder's fixture tests (shared/tests/js_frames.rs).
//
// usage: node capture-frames.mjs [output-dir]
//   output-dir defaults to ../../shared/tests/fixtures (relative to this file)
//
// A `ws` server on 127.0.0.1 (ephemeral port) plays the sync server just
// enough for the client to go on: it answers `join` with `peer` and a
// `request` with `doc-unavailable`, runs real automerge sync for any `sync`,
// and records every frame the client sends. The client then creates and
// edits a document, announced under the default share policy: its first
// `sync` carries only heads (js-sync-heads.cbor); the server's reply makes
// the client send its changes (js-sync.cbor). Last it broadcasts an
// ephemeral message.
//
// automerge-repo 2.5.6 never sends `leave` (its WebSocketClientAdapter just
// closes the socket), so js-leave.cbor is produced by automerge-repo's own
// CBOR encoder (`cbor.encode`, the one its adapter uses for every frame) from
// the message shape its types declare, and the README says so.

import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { Encoder, decode } from "cbor-x";
import * as A from "@automerge/automerge";
import { Repo, cbor as repoCbor } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] ?? join(here, "..", "..", "shared", "tests", "fixtures"));

// The same options automerge-repo uses, so the server's frames look like a JS peer's.
const encoder = new Encoder({ tagUint8Array: false, useRecords: false });
const encode = (message) => encoder.encode(message);

const SERVER_ID = "server";
// A fixed made-up document: automerge:<bs58check of 16 bytes>.
const MADE_UP_URL = "automerge:CQ2x2Zuikzbbo346zEVAhgBTVtH";

const serverDocs = new Map(); // documentId -> { doc, state }
const captured = new Map(); // type -> first raw frame (Buffer)
const waiters = [];

function waitFor(type, timeoutMs = 10_000) {
  if (captured.has(type)) return Promise.resolve(captured.get(type));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for a \`${type}\` frame`)), timeoutMs);
    waiters.push({
      type,
      done: (frame) => {
        clearTimeout(timer);
        resolvePromise(frame);
      },
    });
  });
}

function record(type, frame) {
  if (captured.has(type)) return;
  captured.set(type, frame);
  for (const waiter of waiters.filter((w) => w.type === type)) waiter.done(frame);
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((ok) => wss.once("listening", ok));
const url = `ws://127.0.0.1:${wss.address().port}`;

wss.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    if (!isBinary) {
      console.error("unexpected text frame:", data.toString());
      return;
    }
    const frame = Buffer.from(data);
    let message;
    try {
      message = decode(frame);
    } catch (error) {
      console.error("undecodable frame:", error);
      return;
    }
    if (message.type === "sync") {
      const { changes } = A.decodeSyncMessage(message.data);
      record(changes.length > 0 ? "sync" : "sync-heads", frame);
      let doc = serverDocs.get(message.documentId) ?? { doc: A.init(), state: A.initSyncState() };
      [doc.doc, doc.state] = A.receiveSyncMessage(doc.doc, doc.state, message.data);
      let reply;
      [doc.state, reply] = A.generateSyncMessage(doc.doc, doc.state);
      serverDocs.set(message.documentId, doc);
      if (reply) {
        socket.send(
          encode({
            type: "sync",
            senderId: SERVER_ID,
            targetId: message.senderId,
            documentId: message.documentId,
            data: reply,
          }),
        );
      }
      return;
    }
    record(message.type, frame);
    if (message.type === "join") {
      socket.send(
        encode({
          type: "peer",
          senderId: SERVER_ID,
          targetId: message.senderId,
          selectedProtocolVersion: "1",
          peerMetadata: {},
        }),
      );
    } else if (message.type === "request") {
      socket.send(
        encode({
          type: "doc-unavailable",
          senderId: SERVER_ID,
          targetId: message.senderId,
          documentId: message.documentId,
        }),
      );
    }
  });
});

const adapter = new WebSocketClientAdapter(url);
const repo = new Repo({ network: [adapter] });

try {
  const joinMessage = decode(await waitFor("join"));

  // `request`, answered with doc-unavailable: find rejects.
  const unavailable = await repo.find(MADE_UP_URL).then(
    () => false,
    () => true,
  );
  if (!unavailable) throw new Error("find of a made-up document did not report it unavailable");
  await waitFor("request");

  // `sync` carrying changes: a new document is announced to the server.
  const handle = repo.create({ organisations: {} });
  handle.change((doc) => {
    doc.organisations["0123456789abcdef0123456789abcdef"] = {
      name: "Capturada en JS",
      kind: "embassy",
      country: "Irlanda",
      created_at: 1_700_000_000_000,
      created_by: "capture-frames",
      deleted: false,
    };
  });
  await waitFor("sync");

  // `ephemeral`
  handle.broadcast({ presence: { open: "0123456789abcdef0123456789abcdef" } });
  await waitFor("ephemeral");

  // `leave`: see the header comment.
  record("leave", Buffer.from(repoCbor.encode({ type: "leave", senderId: joinMessage.senderId })));

  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const type of ["join", "request", "sync-heads", "sync", "ephemeral", "leave"]) {
    const path = join(outDir, `js-${type}.cbor`);
    writeFileSync(path, captured.get(type));
    written.push({ type, path, bytes: captured.get(type).length });
  }
  const versions = {};
  for (const pkg of ["@automerge/automerge-repo", "@automerge/automerge-repo-network-websocket", "@automerge/automerge", "cbor-x"]) {
    versions[pkg] = JSON.parse(readFileSync(join(here, "node_modules", pkg, "package.json"), "utf8")).version;
  }
  console.log(JSON.stringify({ written, versions }));
  await repo.shutdown();
  wss.close();
  process.exit(0);
} catch (error) {
  console.error(`capture failed: ${error?.stack ?? error}`);
  process.exit(1);
}
