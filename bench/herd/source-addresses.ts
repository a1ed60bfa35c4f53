// Source addresses for the herd's connections. Linux picks a connect()'s ephemeral port by scanning the local port
// range for one not yet used towards the same destination, and tries only half the range (one parity) first: past
// ~14,000 connections from 127.0.0.1 to one agent port every connect() walks thousands of ports (measured here:
// 19,000 connects cost 4.3 s of kernel CPU, against 0.45 s spread over 4 source addresses). A split herd of 10,000
// tracers holds 20,000 connections, so the generator, not the agent, would set the pace. Binding each connection to
// one of a few 127.x addresses gives every address a port space of its own; Linux routes all of 127.0.0.0/8 to the
// loopback interface. Where that is not so (macOS configures only 127.0.0.1), connections keep the default source.
import { createServer } from 'node:net';

/**
 * Connections per source address stay far below half the default range (28,232 ports), even with the `TIME_WAIT`
 * sockets earlier rounds leave for 60 s (a legacy split herd of 9,800 closes ~17,000 sockets on timeouts): with 8
 * addresses the third such round in a row saturated the generator's core in connect().
 */
export const SOURCE_ADDRESS_COUNT = 32;

/** `127.0.0.2 …` when the agent is on 127.0.0.1 and this host can bind them; otherwise none (the default source). */
export async function loopbackSourceAddresses(host: string, count = SOURCE_ADDRESS_COUNT): Promise<string[]> {
  if (host !== '127.0.0.1' || count < 1) return [];
  const addresses = Array.from({ length: count }, (_, i) => `127.0.0.${2 + i}`);
  return (await canBind(addresses.at(-1)!)) ? addresses : [];
}

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port: 0 }, () => server.close(() => resolve(true)));
  });
}
