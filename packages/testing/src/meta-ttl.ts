import { connect } from 'node:net';

/**
 * Remaining TTL of `key` as memcached itself reports it, via the meta command `mg <key> t`
 * on the text protocol: seconds, -1 for "never expires", undefined when absent.
 */
export function metaTtl(host: string, port: number, key: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('mg timed out')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`mg ${key} t\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.endsWith('\r\n')) return;
      socket.end();
      if (reply.startsWith('EN')) return resolve(undefined);
      const match = /^HD.* t(-?\d+)/.exec(reply);
      if (!match) return reject(new Error(`unexpected mg reply: ${reply.trim()}`));
      resolve(Number(match[1]));
    });
  });
}
