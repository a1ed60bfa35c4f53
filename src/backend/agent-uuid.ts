// `agent_uuid` sent upstream: the reference sends the host ID (gopsutil HostInfo: DMI product UUID, else the
// machine ID); rc-agent derives it the same way once and keeps it in the data dir, so it survives store rebuilds
// and a container without those files still sends the same UUID after a restart.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFileAtomic } from './signed-source.js';

export const AGENT_UUID_FILE = 'agent_uuid';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AgentUuidSources {
  /** default `/sys/class/dmi/id/product_uuid` */
  readonly productUuidFile?: string;
  /** default `/etc/machine-id` */
  readonly machineIdFile?: string;
}

/** The persisted agent UUID of `dataDir`, created on first use. */
export function loadOrCreateAgentUuid(dataDir: string, sources: AgentUuidSources = {}): string {
  const file = join(dataDir, AGENT_UUID_FILE);
  const stored = readTrimmed(file)?.toLowerCase();
  if (stored !== undefined && UUID.test(stored)) return stored;
  const uuid = hostId(sources) ?? randomUUID();
  writePrivateFileAtomic(file, Buffer.from(`${uuid}\n`));
  return uuid;
}

function hostId(sources: AgentUuidSources): string | undefined {
  const product = readTrimmed(sources.productUuidFile ?? '/sys/class/dmi/id/product_uuid')?.toLowerCase();
  if (product !== undefined && UUID.test(product)) return product;
  const machine = readTrimmed(sources.machineIdFile ?? '/etc/machine-id')?.toLowerCase();
  // a 32-hex machine ID, formatted as a UUID like gopsutil does
  if (machine !== undefined && /^[0-9a-f]{32}$/.test(machine)) {
    return `${machine.slice(0, 8)}-${machine.slice(8, 12)}-${machine.slice(12, 16)}-${machine.slice(16, 20)}-${machine.slice(20)}`;
  }
  return undefined;
}

function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
