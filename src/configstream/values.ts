// JSON values ⇄ google.protobuf.Value (the type of ConfigSetting.value).
import type { IProtoValue } from '../proto/index.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toProtoValue(value: unknown): IProtoValue {
  if (value === null || value === undefined) return { nullValue: 0 };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number')
    return Number.isFinite(value) ? { numberValue: value } : { stringValue: String(value) };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'bigint') return { stringValue: value.toString() };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  if (value instanceof Date) return { stringValue: value.toISOString() };
  if (value instanceof Uint8Array) return { stringValue: Buffer.from(value).toString('base64') };
  if (typeof value === 'object') {
    const fields: Record<string, IProtoValue> = {};
    for (const [k, v] of Object.entries(value)) fields[k] = toProtoValue(v);
    return { structValue: { fields } };
  }
  return { stringValue: typeof value === 'symbol' ? value.toString() : 'unsupported value' };
}

export function fromProtoValue(value: IProtoValue | null | undefined): JsonValue {
  if (value === null || value === undefined) return null;
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  if (value.numberValue !== undefined && value.numberValue !== null) return value.numberValue;
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.listValue) return (value.listValue.values ?? []).map(fromProtoValue);
  if (value.structValue) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value.structValue.fields ?? {})) out[k] = fromProtoValue(v);
    return out;
  }
  return null;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
