// Tracer predicates (PROTOCOL.md §4.4): compiled once per snapshot, matched per request.
import type { IClient } from '../proto/index.js';
import { ServiceError } from './error.js';
import { compileConstraint, parseLenientVersion, type VersionConstraint } from './version-constraint.js';

/** One `tracer_predicates_v1` entry, precompiled when the snapshot is built. */
export interface CompiledPredicate {
  readonly clientId?: string;
  readonly service?: string;
  readonly environment?: string;
  readonly appVersion?: string;
  readonly language?: string;
  readonly runtimeId?: string;
  readonly tracerVersion?: VersionConstraint | ServiceError;
}

export function compilePredicates(
  custom: Readonly<Record<string, unknown>> | undefined,
): CompiledPredicate[] | undefined {
  const root = custom?.['tracer-predicates'] as { tracer_predicates_v1?: unknown } | undefined;
  const list = root?.tracer_predicates_v1;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const compiled = list.map((p: Record<string, unknown> | null): CompiledPredicate => {
    const tv = text(p?.tracerVersion);
    return {
      clientId: text(p?.clientID),
      service: text(p?.service),
      environment: text(p?.environment),
      appVersion: text(p?.appVersion),
      language: text(p?.language),
      runtimeId: text(p?.runtimeID),
      tracerVersion: tv === undefined ? undefined : compileConstraint(tv),
    };
  });
  // `[{}]` matches everyone, like null and [].
  return compiled.some(isEmptyPredicate) ? undefined : compiled;
}

function isEmptyPredicate(p: CompiledPredicate): boolean {
  return Object.values(p).every((v) => v === undefined);
}

/** OR over predicates, AND within one. Throws ServiceError for an unparsable tracer version or constraint. */
export function matchesPredicates(predicates: readonly CompiledPredicate[] | undefined, client: IClient): boolean {
  if (!predicates) return true;
  const tracer = client.isTracer ? client.clientTracer : undefined;
  for (const p of predicates) {
    if (p.clientId !== undefined && p.clientId !== client.id) continue;
    if (!tracer) {
      // Non-tracers match predicates whose clientID is empty or equal.
      return true;
    }
    if (p.runtimeId !== undefined && p.runtimeId !== tracer.runtimeId) continue;
    if (p.service !== undefined && p.service !== tracer.service) continue;
    if (p.environment !== undefined && p.environment !== tracer.env) continue;
    if (p.appVersion !== undefined && p.appVersion !== tracer.appVersion) continue;
    if (p.language !== undefined && p.language !== tracer.language) continue;
    if (p.tracerVersion !== undefined) {
      if (p.tracerVersion instanceof ServiceError) throw p.tracerVersion;
      if (!p.tracerVersion.test(parseLenientVersion(tracer.tracerVersion ?? ''))) continue;
    }
    return true;
  }
  return false;
}
