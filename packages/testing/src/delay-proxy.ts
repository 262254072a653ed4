import { connect } from 'node:net';
import { startFaultServer, type FaultServer } from './tracked-server.js';

/**
 * A loopback TCP proxy in front of a memcached that holds back the binary-protocol answers
 * to requests for one key by `delayMs`, passing every other answer at once (out of order,
 * as the opaque field allows). It injects "one slow request" for fault tests.
 */
export function startDelayProxy(target: { host: string; port: number }, slowKey: string, delayMs: number): Promise<FaultServer> {
  return startFaultServer((client, track) => {
    const upstream = connect(target);
    track(upstream);
    const slowOpaques = new Set<number>();
    let fromClient: Buffer = Buffer.alloc(0);
    let fromServer: Buffer = Buffer.alloc(0);
    client.on('data', (chunk) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      for (const frame of takeFrames(fromClient, (rest) => (fromClient = rest))) {
        const keyStart = 24 + frame.readUInt8(4);
        const key = frame.subarray(keyStart, keyStart + frame.readUInt16BE(2)).toString();
        if (key === slowKey) slowOpaques.add(frame.readUInt32BE(12));
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      for (const frame of takeFrames(fromServer, (rest) => (fromServer = rest))) {
        if (slowOpaques.has(frame.readUInt32BE(12))) setTimeout(() => client.writable && client.write(frame), delayMs);
        else client.write(frame);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
}

function takeFrames(buffer: Buffer, keep: (rest: Buffer) => void): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (buffer.length - at >= 24) {
    const length = 24 + buffer.readUInt32BE(at + 8);
    if (buffer.length - at < length) break;
    frames.push(buffer.subarray(at, at + length));
    at += length;
  }
  keep(buffer.subarray(at));
  return frames;
}
