/**
 * One port that answers both plain HTTP and HTTPS, for the token endpoint: App Service's
 * managed identity endpoint is plain HTTP (`IDENTITY_ENDPOINT=http://…`, as on App Service),
 * while `ClientSecretCredential` refuses an authority host that is not `https://`. Each
 * connection is handed to the right server by its first byte: a TLS connection opens with a
 * handshake record (content type 22, RFC 8446 §5.1), an HTTP request with a method's letter.
 *
 * @module
 */
import http from "node:http";
import type { RequestListener } from "node:http";
import https from "node:https";
import type { ServerOptions } from "node:https";
import net from "node:net";
import { Duplex } from "node:stream";

/** RFC 8446 §5.1 ContentType handshake(22): the first byte of every TLS connection. */
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long is dropped before it is handed on. */
const FIRST_BYTE_TIMEOUT_MS = 30_000;

/** A listening port for both protocols; `closeAllConnections` ends every connection on it. */
export interface HttpAndHttpsServer extends net.Server {
  closeAllConnections(): void;
}

/** A server that answers HTTP and HTTPS requests on one port with the same listener. */
export function createHttpAndHttpsServer(
  tls: ServerOptions,
  listener: RequestListener,
): HttpAndHttpsServer {
  const plain = http.createServer(listener);
  const secure = https.createServer(tls, listener);
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    const dropEarly = (): void => {
      socket.destroy();
    };
    socket.on("error", dropEarly);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, dropEarly);
    socket.once("data", (first: Buffer) => {
      socket.setTimeout(0);
      socket.off("error", dropEarly);
      socket.pause();
      if (first[0] === TLS_HANDSHAKE) {
        secure.emit("connection", replaying(socket, first));
        return;
      }
      // The HTTP server reads the socket's stream, so the byte read here can go back in front.
      socket.unshift(first);
      plain.emit("connection", socket);
      socket.resume();
    });
  });
  return Object.assign(front, {
    closeAllConnections(): void {
      for (const socket of sockets) socket.destroy();
    },
  });
}

/**
 * The socket as a stream that gives `first` again before the rest. A TLS socket built over a
 * `net.Socket` reads its handle directly and would miss bytes put back with `unshift`.
 */
function replaying(socket: net.Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  stream.push(first);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (error) => stream.destroy(error));
  socket.on("close", () => stream.destroy());
  return stream;
}
