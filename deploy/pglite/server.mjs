// TimescaleDB inside PGlite (WASM PostgreSQL 17 on Node), served over the PostgreSQL wire protocol.
//
// Local and test use only: production runs the official TimescaleDB image (docker-compose). This is the
// one way to run real TimescaleDB on machines without Docker (see /work/shared/ENVIRONMENT.md).
//
//   node server.mjs PORT [DATADIR]      DATADIR omitted or "memory://": in memory, gone when the process ends
//
// Prints one line `PGLITE READY 127.0.0.1:PORT ...` on stdout once it accepts connections; SIGTERM or
// SIGINT stop it cleanly (the data directory is flushed, exit code 0).
// Connect as user postgres, database postgres, sslmode=disable or prefer (no TLS here). There is no
// authentication: any user name and password are accepted, and every client is the superuser postgres.
// Startup-packet options (e.g. `options=-c TimeZone=UTC`) are ignored; the server's TimeZone is GMT.
//
// ONE CONNECTION AT A TIME. PGlite is a single-user backend: PGLiteSocketServer attaches one client socket
// and holds PGlite's exclusive query lock until that socket closes. A second client connecting meanwhile is
// NOT refused: its TCP connection is accepted and parked in a queue and gets no byte (its connect() hangs
// waiting for the authentication reply) until the first client disconnects; then it is attached. After
// QUEUE_TIMEOUT_MS in the queue it is closed without a reply (the client sees "server closed the
// connection unexpectedly", or its own connect_timeout fires first). So one process must never hold two
// connections to this server at once: that waits until the timeout. Close one before opening the next.
//
// All clients share the one backend session, one after the other. Without care, session state would leak
// to the next client: SET values, SET ROLE, psycopg's prepared statements (the next client's `_pg3_0`
// then fails with "prepared statement already exists") and even the open transaction of a client that
// vanished mid-transaction. So before each client is attached this server sends Sync, ROLLBACK and
// DISCARD ALL to the backend (see ResettingSocketServer).
//
// COPY ... TO STDOUT works; COPY ... FROM STDIN crashes the WASM backend (the server then exits with 70,
// see below): write with INSERT ... SELECT FROM unnest(arrays) instead, as trygg.adapters.database does.
//
// No background workers: TimescaleDB policies (continuous aggregate refresh, compression, retention) are
// registered in timescaledb_information.jobs but never run by themselves here; call them explicitly.

import { PGlite } from "@electric-sql/pglite";
import { timescaledb } from "@electric-sql/pglite/timescaledb";
import { PGLiteSocketHandler, PGLiteSocketServer } from "@electric-sql/pglite-socket";

const QUEUE_TIMEOUT_MS = 60_000;

const port = Number.parseInt(process.argv[2] ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: node server.mjs PORT [DATADIR|memory://]");
  process.exit(2);
}
const dataDir = process.argv[3] && process.argv[3] !== "memory://" ? process.argv[3] : undefined;

// One options object: PGlite.create(undefined, options) would ignore the options (no extension loaded).
const db = await PGlite.create({ dataDir, extensions: { timescaledb } });
// What shared_preload_libraries = 'timescaledb' does on a normal server (PGlite has no such setting).
// Without it, a reopened data directory whose database already has the extension runs with the library
// unloaded until some TimescaleDB function happens to load it: hypertables are then planned as plain
// inheritance trees, so compressed chunks read as EMPTY, and compress_chunk & co. fail with 'not supported
// under the current "timescale" license'. (A fresh database is fine: CREATE EXTENSION loads it.)
await db.exec("LOAD 'timescaledb'");

// A WASM trap ("RuntimeError: unreachable", e.g. on COPY FROM STDIN) leaves the backend dead for good:
// exit, so whoever supervises the server sees it, instead of serving errors forever.
function exitIfTrapped(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error("PGLITE FATAL: the PGlite backend crashed:", error.message);
    process.exit(70);
  }
}

function frontendMessage(type, body = new Uint8Array(0)) {
  const message = new Uint8Array(5 + body.length);
  message[0] = type.charCodeAt(0);
  new DataView(message.buffer).setInt32(1, 4 + body.length);
  message.set(body, 5);
  return message;
}

const simpleQuery = (sql) => frontendMessage("Q", new TextEncoder().encode(`${sql}\0`));

// Sync ends an extended-protocol exchange the last client may have left half done; ROLLBACK ends its open
// transaction (only a warning when there is none); DISCARD ALL resets settings, role, prepared statements,
// cursors, temp tables, LISTENs. Separate Query messages: DISCARD ALL refuses to run in a multi-statement
// query. The replies are dropped: nobody is attached.
// DISCARD ALL also resets search_path to the backend's boot value, pg_catalog: PGlite itself runs
// `SET search_path TO public` after booting, so that is replayed.
const RESET = [
  frontendMessage("S"),
  simpleQuery("ROLLBACK"),
  simpleQuery("DISCARD ALL"),
  simpleQuery("SET search_path TO public"),
];

// pglite-socket 0.0.20 hands every TCP chunk to PGlite as it arrives. A protocol message larger than one
// chunk (~64 KiB on loopback: e.g. a Bind with a few thousand array elements, as store_batch sends) then
// reaches the WASM backend cut in two, which traps ("RuntimeError: unreachable") and kills the database.
// So chunks are buffered here and only whole messages are passed on. The first message of a connection
// (StartupMessage, or an SSLRequest/GSSENCRequest before it) has no type byte: Int32 length first.
// PGlite would take an SSLRequest for a StartupMessage; it is answered "N" (no TLS) here instead, so
// clients with libpq's default sslmode=prefer connect too (sslmode=require cannot).
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const relay = PGLiteSocketHandler.prototype.handleData;
PGLiteSocketHandler.prototype.handleData = function handleWholeMessages(chunk) {
  let pending = this.pendingBytes ? Buffer.concat([this.pendingBytes, chunk]) : chunk;
  for (;;) {
    // Before the StartupMessage: refuse encryption requests, which come alone, each awaiting its answer.
    if (this.startupSeen || pending.length < 8 || pending.readInt32BE(0) !== 8) break;
    const code = pending.readInt32BE(4);
    if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) break;
    this.socket?.write("N");
    pending = pending.subarray(8);
  }
  let whole = 0;
  for (;;) {
    const typed = this.startupSeen === true;
    const header = typed ? 5 : 4;
    if (pending.length - whole < header) break;
    const length = pending.readInt32BE(whole + (typed ? 1 : 0)) + (typed ? 1 : 0);
    if (length < header) {
      whole = pending.length; // not the protocol: pass it on as it is and let the backend reject it
      break;
    }
    if (pending.length - whole < length) break;
    this.startupSeen = true;
    whole += length;
  }
  this.pendingBytes = whole < pending.length ? pending.subarray(whole) : null;
  if (whole === 0) return Promise.resolve(0);
  return relay.call(this, pending.subarray(0, whole));
};

class ResettingSocketServer extends PGLiteSocketServer {
  // (Overrides a method that is private in the TypeScript types of pglite-socket 0.0.20 only.)
  attachSocketToNewHandler(socket, clientInfo) {
    // Queued on PGlite's query lock synchronously, so it runs after the previous client released the lock
    // and before the new handler (which first awaits db.waitReady) takes it.
    this.db
      .runExclusive(async () => {
        for (const message of RESET) await this.db.execProtocolRaw(message);
      })
      .catch((error) => {
        console.error("session reset failed:", error?.message ?? error);
        exitIfTrapped(error);
      });
    const attached = super.attachSocketToNewHandler(socket, clientInfo);
    const handler = this.activeHandler; // set synchronously by the call above
    return attached.then(() => {
      // The handler listens for "close" only once it holds the lock: a client that hung up while waiting
      // for it would keep the database forever. Hand it on instead.
      if (socket.destroyed && handler.isAttached && this.activeHandler === handler) {
        handler.detach(true);
        this.activeHandler = null;
        this.processNextInQueue();
      }
    });
  }
}

const server = new ResettingSocketServer({
  db,
  host: "127.0.0.1",
  port,
  connectionQueueTimeout: QUEUE_TIMEOUT_MS,
  debug: process.env.PGLITE_SOCKET_DEBUG === "1", // logs every connection and handler step to stdout
});

server.addEventListener("error", (event) => {
  console.error("socket error:", event.detail?.message ?? event.detail);
  exitIfTrapped(event.detail);
  // A socket error (e.g. a client killed mid-query: ECONNRESET) detaches the handler without the "close"
  // event that would hand the database to the next queued client: hand it over here.
  setImmediate(() => {
    if (server.activeHandler && !server.activeHandler.isAttached) {
      server.activeHandler = null;
      server.processNextInQueue();
    }
  });
});
server.addEventListener("queuedConnection", (event) => {
  console.error(`connection queued (one client at a time), queue size ${event.detail.queueSize}`);
});
server.addEventListener("queueTimeout", () => {
  console.error(`queued connection closed after ${QUEUE_TIMEOUT_MS} ms without a turn`);
});

// pglite-socket rejects the handler's lock promise on a socket error and nobody awaits it: without this,
// one client resetting its connection would crash the whole server.
process.on("unhandledRejection", (reason) => {
  exitIfTrapped(reason);
  console.error("unhandled rejection (ignored):", reason?.message ?? reason);
});

await server.start();
console.log(`PGLITE READY 127.0.0.1:${port} ${dataDir ?? "memory://"}`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`PGLITE STOPPING (${signal})`);
  try {
    await server.stop();
    await db.close(); // flushes the data directory
  } catch (error) {
    console.error("shutdown error:", error?.message ?? error);
    process.exit(1);
  }
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
