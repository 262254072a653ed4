import { connect } from 'node:net';

/** memcached's own counters (`stats` on the text protocol), by name, as text: `cmd_get`, `get_hits`, `curr_items`, … */
export function serverStats(host: string, port: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('stats timed out')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write('stats\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.endsWith('END\r\n')) return;
      socket.end();
      const stats: Record<string, string> = {};
      for (const line of reply.split('\r\n')) {
        const [mark, name, value] = line.split(' ');
        if (mark === 'STAT' && name !== undefined && value !== undefined) stats[name] = value;
      }
      resolve(stats);
    });
  });
}
