// Free TCP ports on 127.0.0.1 for a child process that cannot be told to bind port 0 and report back.

import { createServer, type Server } from 'node:net';

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. All listeners are held
 * open together (so the ports differ) and closed before returning; another process may still take
 * one before the caller binds it, so callers retry a start that fails on a bound port.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listen gave no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
