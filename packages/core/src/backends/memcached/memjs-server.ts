import type { Socket } from 'node:net';
import type * as Memjs from 'memjs';
import { openSocket, type SocketTarget } from './open-socket.js';

/** The parts of memjs's Server (lib/memjs/server.js) its socket setup touches. */
interface ServerInternals {
  _socket: Socket | undefined;
  connected: boolean;
  timeoutSet: boolean;
  connectCallbacks: Array<(socket: Socket) => void>;
  options: { conntimeout: number; keepAlive: boolean; keepAliveDelay: number };
  username: string | undefined;
  password: string | undefined;
  once(event: 'authenticated', listener: () => void): void;
  emit(event: 'authenticated'): boolean;
  onConnect(go: (socket: Socket) => void): void;
  listSasl(): void;
  error(error: unknown): void;
  responseHandler(data: Buffer): void;
}

type ServerClass = new (host: string, port: number, username: string | undefined, password: string | undefined, options: object) => Memjs.Server;

const classes = new WeakMap<object, ServerClass>();

/**
 * memjs's Server with its socket made by `openSocket`, so the binary protocol runs over TCP, a
 * Unix domain socket or TLS. Everything else (framing, SASL PLAIN, dispatch by opaque) is
 * memjs's own; `sock` below is memjs 1.3's, with the connection made here instead of by
 * `net.connect`, and a TLS handshake failure reported as a TlsError.
 */
export function memjsServerClass(memjs: typeof Memjs): ServerClass {
  const known = classes.get(memjs);
  if (known) return known;
  const Base = memjs.Server as unknown as ServerClass;
  class TransportServer extends Base {
    /** Where to connect; set right after construction. */
    target: SocketTarget | undefined;

    override sock(sasl: boolean, go: (socket: Socket) => void): void {
      const self = this as unknown as ServerInternals & TransportServer;
      if (self._socket && (self.connected || sasl)) {
        go(self._socket);
        return;
      }
      if (self._socket) {
        self.onConnect(go);
        return;
      }
      self.connected = false;
      const socket = openSocket(
        self.target!,
        () => {
          self.once('authenticated', () => {
            if (self._socket !== socket) return;
            self.connected = true;
            socket.setTimeout(0);
            self.timeoutSet = false;
            go(socket);
            for (const callback of self.connectCallbacks) callback(socket);
            self.connectCallbacks = [];
          });
          socket.on('data', (data: Buffer) => self.responseHandler(data));
          if (self.username && self.password) self.listSasl();
          else self.emit('authenticated');
        },
        (error) => self.error(error),
      );
      self._socket = socket;
      socket.on('close', () => {
        if (self._socket !== socket) return;
        self.connected = false;
        if (self.timeoutSet) {
          socket.setTimeout(0);
          self.timeoutSet = false;
        }
        self._socket = undefined;
      });
      self.timeoutSet = true;
      socket.setTimeout(self.options.conntimeout * 1000, () => {
        self.timeoutSet = false;
        if (!self.connected) {
          // memjs only ended it; a handshake that hangs must not keep the socket open.
          socket.destroy();
          if (self._socket === socket) self._socket = undefined;
          self.error(new Error('socket timed out connecting to server.'));
        }
      });
      socket.setKeepAlive(self.options.keepAlive, self.options.keepAliveDelay * 1000);
    }
  }
  classes.set(memjs, TransportServer);
  return TransportServer;
}
