// `/v0.7/config` body → IClientGetConfigsRequest with Go encoding/json semantics (PROTOCOL.md §3.1):
// case-insensitive keys (exact match first), unknown keys ignored, `null` leaves the zero value, a wrong type,
// fraction or negative unsigned fails, bytes as padded base64 or a number array. One JSON.parse, then a walk
// over the prebuilt schema tables; the first error in document order wins, as in Go.
import type { IClientGetConfigsRequest } from '../proto/index.js';
import { JsonDecodeError } from './error.js';
import { decodeGoBase64 } from './go-base64.js';
import { goJsonSyntaxMessage } from './go-json-syntax.js';
import {
  CLIENT_GET_CONFIGS_REQUEST,
  GO_REQUEST_TYPE,
  goFoldKey,
  type FieldSchema,
  type MessageSchema,
} from './request-schema.js';

type JsonObject = Record<string, unknown>;

// 2^64 − 1 is not a double: JSON.parse reads it (and 2^64, which Go rejects) as 2^64
const UINT64_MAX = 2 ** 64;
const INT64_LIMIT = 9223372036854775808;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
// a \uD800–\uDFFF escape may leave a lone surrogate, which Go decodes as U+FFFD
const SURROGATE_ESCAPE = /\\u[dD][89abcdefABCDEF]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

interface Walk {
  /** JSON names of the enclosing fields (Go's errorContext.FieldStack) */
  readonly path: string[];
  readonly fixSurrogates: boolean;
}

/** Go's description of a JSON value in UnmarshalTypeError. */
function kindOf(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    default:
      return Array.isArray(v) ? 'array' : 'object';
  }
}

function numberText(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function typeError(
  value: string,
  owner: MessageSchema,
  field: FieldSchema,
  w: Walk,
  goType = field.goType,
): JsonDecodeError {
  const path = w.path.length === 0 ? field.json : `${w.path.join('.')}.${field.json}`;
  return new JsonDecodeError(
    'JSON_TYPE',
    `json: cannot unmarshal ${value} into Go struct field ${owner.goName}.${path} of type ${goType}`,
  );
}

function str(s: string, w: Walk): string {
  return w.fixSurrogates ? s.replace(LONE_SURROGATE, '\ufffd') : s;
}

function isInteger(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function decodeBytes(v: unknown, owner: MessageSchema, field: FieldSchema, w: Walk): Uint8Array {
  if (typeof v === 'string') {
    const decoded = decodeGoBase64(v);
    if (typeof decoded === 'number')
      throw new JsonDecodeError('JSON_BASE64', `illegal base64 data at input byte ${decoded}`);
    return decoded;
  }
  if (!Array.isArray(v)) throw typeError(kindOf(v), owner, field, w);
  // a JSON number array decodes element by element into uint8 (libdatadog sends bytes this way, §7)
  const out = Buffer.allocUnsafe(v.length);
  for (let i = 0; i < v.length; i++) {
    const b: unknown = v[i];
    if (b === null) out[i] = 0;
    else if (typeof b === 'number') {
      if (!isInteger(b, 0, 255) || Object.is(b, -0))
        throw typeError(`number ${numberText(b)}`, owner, field, w, field.elemGoType);
      out[i] = b;
    } else throw typeError(kindOf(b), owner, field, w, field.elemGoType);
  }
  return out;
}

function decodeMessage(obj: JsonObject, schema: MessageSchema, target: JsonObject, w: Walk): void {
  for (const key in obj) {
    const field = schema.byName.get(key) ?? schema.byFold.get(goFoldKey(key));
    if (field === undefined) continue;
    const v = obj[key];
    if (v === null) {
      // null leaves scalars alone and resets pointers and slices
      if (field.kind === 'message' || field.kind === 'messages' || field.kind === 'strings' || field.kind === 'bytes') {
        if (field.prop in target) delete target[field.prop];
      }
      continue;
    }
    switch (field.kind) {
      case 'string':
        if (typeof v !== 'string') throw typeError(kindOf(v), schema, field, w);
        target[field.prop] = str(v, w);
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw typeError(kindOf(v), schema, field, w);
        target[field.prop] = v;
        break;
      case 'uint64':
        if (typeof v !== 'number') throw typeError(kindOf(v), schema, field, w);
        if (!isInteger(v, 0, UINT64_MAX) || Object.is(v, -0))
          throw typeError(`number ${numberText(v)}`, schema, field, w);
        target[field.prop] = v;
        break;
      case 'int64':
        if (typeof v !== 'number') throw typeError(kindOf(v), schema, field, w);
        if (!isInteger(v, -INT64_LIMIT, INT64_LIMIT - 1)) throw typeError(`number ${numberText(v)}`, schema, field, w);
        target[field.prop] = v;
        break;
      case 'int32':
        if (typeof v !== 'number') throw typeError(kindOf(v), schema, field, w);
        if (!isInteger(v, INT32_MIN, INT32_MAX)) throw typeError(`number ${numberText(v)}`, schema, field, w);
        target[field.prop] = v;
        break;
      case 'bytes':
        target[field.prop] = decodeBytes(v, schema, field, w);
        break;
      case 'strings': {
        if (!Array.isArray(v)) throw typeError(kindOf(v), schema, field, w);
        const out: string[] = new Array<string>(v.length);
        for (let i = 0; i < v.length; i++) {
          const s: unknown = v[i];
          if (typeof s === 'string') out[i] = str(s, w);
          else if (s === null) out[i] = '';
          else throw typeError(kindOf(s), schema, field, w, field.elemGoType);
        }
        target[field.prop] = out;
        break;
      }
      case 'message': {
        const nested = field.message as MessageSchema;
        if (typeof v !== 'object' || Array.isArray(v)) throw typeError(kindOf(v), schema, field, w);
        // a repeated key (other case) decodes into the same struct, as Go does through the pointer
        const existing = target[field.prop] as JsonObject | undefined;
        const child: JsonObject = existing ?? {};
        w.path.push(field.json);
        decodeMessage(v as JsonObject, nested, child, w);
        w.path.pop();
        target[field.prop] = child;
        break;
      }
      case 'messages': {
        const nested = field.message as MessageSchema;
        if (!Array.isArray(v)) throw typeError(kindOf(v), schema, field, w);
        const out: JsonObject[] = new Array<JsonObject>(v.length);
        w.path.push(field.json);
        for (let i = 0; i < v.length; i++) {
          const el: unknown = v[i];
          const child: JsonObject = {};
          if (el !== null) {
            if (typeof el !== 'object' || Array.isArray(el)) {
              w.path.pop();
              throw typeError(kindOf(el), schema, field, w, field.elemGoType);
            }
            decodeMessage(el as JsonObject, nested, child, w);
          }
          out[i] = child;
        }
        w.path.pop();
        target[field.prop] = out;
        break;
      }
    }
  }
}

/** Throws JsonDecodeError with Go's message (sent back with a 400). */
export function decodeClientGetConfigsRequest(body: string | Uint8Array): IClientGetConfigsRequest {
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    throw new JsonDecodeError('JSON_SYNTAX', goJsonSyntaxMessage(bytes) ?? 'invalid JSON', { cause });
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new JsonDecodeError(
      'JSON_TYPE',
      `json: cannot unmarshal ${kindOf(parsed)} into Go value of type ${GO_REQUEST_TYPE}`,
    );
  }
  const request: JsonObject = {};
  const walk: Walk = { path: [], fixSurrogates: SURROGATE_ESCAPE.test(text) };
  decodeMessage(parsed as JsonObject, CLIENT_GET_CONFIGS_REQUEST, request, walk);
  return request;
}
