// The automerge-repo sync server as its users run it (the same few lines as
// automerge-repo-sync-server): a `ws` server, WebSocketServerAdapter,
// NodeFSStorageAdapter, and a share policy that never announces documents.
//
// Usage: node sync-server.mjs <port> <data-dir>
// Prints `listening on http://127.0.0.1:<port>` and `document automerge:<id>`,
// where the document is shaped like an Enlace workspace (meta + the seven
// record maps), so the load generator edits the same structure everywhere.
import http from "node:http";
import os from "node:os";
import { WebSocketServer } from "ws";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";

const port = Number(process.argv[2] ?? 0);
const dataDir = process.argv[3] ?? ".amrg";

const socket = new WebSocketServer({ noServer: true });
const server = http.createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("automerge-repo sync server for the Enlace benchmark\n");
});
server.on("upgrade", (request, stream, head) => {
  socket.handleUpgrade(request, stream, head, (ws) => socket.emit("connection", ws, request));
});

const repo = new Repo({
  network: [new WebSocketServerAdapter(socket)],
  storage: new NodeFSStorageAdapter(dataDir),
  peerId: `storage-server-${os.hostname()}`,
  // As in automerge-repo-sync-server: serve what is asked for, announce nothing.
  sharePolicy: async () => false,
});

const collections = [
  "organisations", "contacts", "presidency_terms", "workplan_lines",
  "alliances", "collaborations", "activities",
];
const handle = repo.create();
handle.change((doc) => {
  doc.meta = { name: "bench", schema_version: 1 };
  for (const name of collections) doc[name] = {};
});
await repo.flush();

server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${address.port}`);
  console.log(`document ${handle.url}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    socket.close();
    server.close();
    repo.shutdown?.();
    process.exit(0);
  });
}
