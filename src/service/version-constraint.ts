// tracerVersion predicates are Masterminds/semver constraints in the reference (PROTOCOL.md §4.4): `,` or space for
// AND, `||` for OR, lenient versions (`1.2`, `v1.2.3`). They are adapted here to node-semver.
import semver from 'semver';
import { ServiceError } from './error.js';

const LENIENT_VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Parses a version the way Masterminds' NewVersion does; throws ServiceError (Unknown) when it cannot. */
export function parseLenientVersion(version: string): semver.SemVer {
  const m = LENIENT_VERSION.exec(version.trim());
  const parsed = m ? semver.parse(`${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`) : null;
  if (!parsed) throw new ServiceError('UNKNOWN', 'Invalid Semantic Version');
  return parsed;
}

export interface VersionConstraint {
  test(version: semver.SemVer): boolean;
}

/** Compiles a constraint; an unparsable one fails every request it is evaluated for (as in the reference). */
export function compileConstraint(constraint: string): VersionConstraint | ServiceError {
  const range = constraint
    .split('||')
    .map((alternative) => alternative.replace(/,/g, ' ').trim().replace(/\s+/g, ' '))
    .join(' || ');
  const valid = range !== '' && semver.validRange(range, { loose: true });
  if (!valid) return new ServiceError('UNKNOWN', `improper constraint: ${constraint}`);
  const compiled = new semver.Range(valid, { loose: true, includePrerelease: true });
  return { test: (version) => compiled.test(version) };
}
