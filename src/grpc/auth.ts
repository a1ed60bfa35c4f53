// `authorization: Bearer <auth_token>` on every AgentSecure call (PROTOCOL.md §1), compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

export type AuthFailure = 'missing' | 'invalid';

/** go-grpc-middleware's AuthFromMD: `<scheme> <token>`, scheme compared case-insensitively. */
function bearerToken(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const space = value.indexOf(' ');
  if (space < 0 || value.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  return value.slice(space + 1);
}

export function createTokenCheck(token: string): (metadata: Metadata) => AuthFailure | undefined {
  const expected = Buffer.from(token, 'utf8');
  return (metadata) => {
    const given = bearerToken(metadata);
    if (given === undefined) return 'missing';
    const bytes = Buffer.from(given, 'utf8');
    return bytes.length === expected.length && timingSafeEqual(bytes, expected) ? undefined : 'invalid';
  };
}

export const AUTH_FAILURE_DETAILS: Readonly<Record<AuthFailure, string>> = {
  missing: 'Request unauthenticated with bearer',
  invalid: 'invalid auth token',
};
