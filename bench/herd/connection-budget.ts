// File descriptors a herd needs. Every emulated tracer lane holds a connection, and each end of a connection is a
// descriptor: the agent's side counts against its connection cap (src/http/connection-limit.ts, derived from the
// open-file limit), the generator's side against each generator process's own limit. A herd that cannot fit would
// measure refused connections and retries, not the agent, so it is refused before it starts; generator processes
// are added until each one's share fits.
import { BenchError } from '../error.js';
import { maxConnectionsFor } from '../../src/http/index.js';
import { populationLanes } from './populations.js';
import type { HerdScenarioSpec } from './herd-types.js';

/** A generator process's descriptors besides its sockets (stdio, IPC, the loader's files), with room to spare. */
const GENERATOR_RESERVED_FILE_DESCRIPTORS = 256;

/** Connections one agent holds at most in a scenario: its share of the tracers times their lanes. */
export function connectionsPerAgent(
  spec: HerdScenarioSpec,
  tracers: number,
  replicas: number,
  products: readonly string[],
): number {
  const perAgent = Math.ceil(tracers / (spec.fleet === undefined ? 1 : replicas));
  return perAgent * populationLanes(spec.population, products).length;
}

/** Throws when some scenario needs more connections than an agent here may hold. */
export function checkAgentConnections(
  specs: readonly HerdScenarioSpec[],
  tracers: number,
  replicas: number,
  products: readonly string[],
  fileLimit: number | undefined,
): void {
  const cap = maxConnectionsFor(fileLimit);
  for (const spec of specs) {
    const needed = connectionsPerAgent(spec, tracers, replicas, products);
    if (needed <= cap) continue;
    const lanes = populationLanes(spec.population, products).length;
    throw new BenchError(
      'INVALID_OPTION',
      `${spec.population} tracers hold ${lanes} connection(s) each: ${tracers} of them open ${needed} connections ` +
        `to one agent, and an agent here holds at most ${cap} (open-file limit ${fileLimit ?? 'unknown'}, see ` +
        `README "Tuning"); raise the hard limit (ulimit -Hn, systemd LimitNOFILE) or run at most ` +
        `${Math.floor(cap / lanes) * (spec.fleet === undefined ? 1 : replicas)} tracers`,
    );
  }
}

/** At least `requested`, and enough that each process's connections fit its open-file limit. */
export function generatorProcsFor(requested: number, connections: number, fileLimit: number | undefined): number {
  if (fileLimit === undefined || !Number.isFinite(fileLimit)) return requested;
  const perProcess = Math.max(1, fileLimit - GENERATOR_RESERVED_FILE_DESCRIPTORS);
  return Math.max(requested, Math.ceil(connections / perProcess));
}
