// A raw TCP connection to a loopback port, for tests that hold connections open or watch the server close them.
import { connect, type Socket } from 'node:net';

/** Resolves once connected; `socket.closed` turns true once it is closed (by either side). */
export function openRawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
