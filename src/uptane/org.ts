// Org binding (PROTOCOL.md §5.5 F1, reference `verifyOrg`): config snapshot `custom.org_uuid` against the stored
// UUID, and director paths against the RC key's org ID.
import { parseConfigPath } from './config-path.js';
import { isObject } from './envelope.js';
import { UptaneError } from './error.js';
import type { TrustedState } from './types.js';

export interface OrgCheck {
  /** the UUID stored for the current config root version (or just read from `/api/v0.1/org`) */
  readonly storedOrgUuid?: string;
  /** org ID of the RC key; 0 or absent skips the path check */
  readonly orgId?: number;
}

export function verifyOrg(state: TrustedState, opts: OrgCheck): void {
  const snapshot = state.config.snapshot;
  if (snapshot === undefined) {
    throw new UptaneError('SNAPSHOT_CUSTOM', 'could not obtain snapshot custom: no config snapshot in local store');
  }
  const custom = snapshot.signed.custom;
  let orgUuid: string | undefined;
  if (custom !== undefined && custom !== null) {
    if (!isObject(custom)) {
      throw new UptaneError(
        'SNAPSHOT_CUSTOM',
        `could not parse snapshot custom: json: cannot unmarshal ${typeof custom} into Go value of type uptane.snapshotCustomData`,
      );
    }
    const raw = custom.org_uuid;
    if (raw !== undefined && raw !== null && typeof raw !== 'string') {
      throw new UptaneError(
        'SNAPSHOT_CUSTOM',
        `could not parse snapshot custom: json: cannot unmarshal ${typeof raw} into Go struct field snapshotCustomData.org_uuid of type string`,
      );
    }
    orgUuid = raw ?? undefined;
  }
  // An absent org_uuid skips the check: the reference's last-resort unlock.
  if (orgUuid !== undefined) {
    if (opts.storedOrgUuid === undefined) {
      throw new UptaneError('ORG_UUID_UNAVAILABLE', 'could not obtain stored/remote orgUUID: org UUID unavailable');
    }
    if (orgUuid !== opts.storedOrgUuid) {
      throw new UptaneError(
        'ORG_UUID_MISMATCH',
        `stored/remote OrgUUID and snapshot OrgUUID do not match: stored=${opts.storedOrgUuid} received=${orgUuid}`,
      );
    }
  }
  if (opts.orgId === undefined || opts.orgId === 0) return;
  for (const path of state.directorTargets.keys()) {
    const p = parseConfigPath(path);
    if (p.source !== 'employee' && p.orgId !== opts.orgId) {
      throw new UptaneError(
        'ORG_ID_MISMATCH',
        `director target '${path}' does not have the correct orgID. ${p.orgId} != ${opts.orgId}`,
      );
    }
  }
}
