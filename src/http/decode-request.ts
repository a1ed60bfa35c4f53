// `/v0.7/config` body → IClientGetConfigsRequest with Go encoding/json semantics (PROTOCOL.md §3.1):
// case-insensitive keys (exact match first), unknown keys ignored, `null` leaves the zero value, a wrong type,
// fraction or negative unsigned fails, bytes as padded base64 or a number array. One JSON.parse, then a walk
// over the prebuilt schema tables; the first error in document order wins, as in Go.
// Numbers: Go decides on the literal (`1.0` and `1E2` are not integers to it) and reads 64-bit integers exactly.
// JSON.parse loses both, so a body holding a fraction or exponent literal, or a 64-bit field beyond 2^53, or any
// number Go would reject, is parsed again keeping each number's literal (rare: tracers send small integers).
// An integer beyond 2^53 is a `Long` (protobufjs encodes it exactly, upstream and over gRPC) although the generated
// types say `number`: the service reads these fields through Number(), and NaN equals no version, as no snapshot
// version that large exists for Go either.
import Long from 'long';
import type { IClientGetConfigsRequest } from '../proto/index.js';
import { JsonDecodeError } from './error.js';
import { decodeGoBase64 } from './go-base64.js';
import { goJsonSyntaxMessage } from './go-json-syntax.js';
import { parseJsonKeepingNumbers, NumberLiteral } from './json-number-literals.js';
import {
  CLIENT_GET_CONFIGS_REQUEST,
  GO_REQUEST_TYPE,
  goFoldKey,
  type FieldSchema,
  type MessageSchema,
} from './request-schema.js';
import { MessagePool, StringPool } from './string-pool.js';

type JsonObject = Record<string, unknown>;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UNSIGNED_LITERAL = /^\d+$/;
const SIGNED_LITERAL = /^-?\d+$/;
// a number literal with a fraction or an exponent after a key or in an array; `"version:1.0.0"` in a tag does not
// match (a string that does, e.g. `"a\":1.5"` or `"a,1.5"`, only costs the slow path)
const NON_INTEGER_LITERAL = /(?:"\s*:|[[,])\s*-?\d+[.eE]/;
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

/** Thrown by the fast walk at a number it cannot judge from its double: walk again with the literals. */
class NeedsLiterals extends Error {}
const NEEDS_LITERALS = new NeedsLiterals();

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
      if (v instanceof NumberLiteral) return 'number';
      return Array.isArray(v) ? 'array' : 'object';
  }
}

function typeError(
  value: string,
  owner: MessageSchema,
  field: FieldSchema,
  w: Walk,
  goType = field.goType,
): JsonDecodeError {
  return new JsonDecodeError(
    'JSON_TYPE',
    `json: cannot unmarshal ${value} into Go struct field ${fieldName(owner, field, w)} of type ${goType}`,
  );
}

/** `Struct.path.to.field` as Go's errors name a field. */
function fieldName(owner: MessageSchema, field: FieldSchema, w: Walk): string {
  return `${owner.goName}.${w.path.length === 0 ? field.json : `${w.path.join('.')}.${field.json}`}`;
}

function str(s: string, w: Walk): string {
  return w.fixSurrogates ? s.replace(LONE_SURROGATE, '\ufffd') : s;
}

/** String fields whose values repeat across tracers, per Go struct: their values go through `pool`. */
const POOLED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Client: ['products'],
  ClientState: ['error'],
  ConfigState: ['id', 'product', 'apply_error'],
  ClientTracer: [
    'language',
    'tracer_version',
    'service',
    'env',
    'app_version',
    'extra_services',
    'tags',
    'process_tags',
    'container_tags',
  ],
  ClientAgent: ['name', 'version', 'cluster_name', 'cluster_id'],
  TargetFileMeta: ['path'],
  TargetFileHash: ['algorithm', 'hash'],
};

/** Calls `visit` with every field of `root` and of the messages under it, each message once. */
function forEachField(root: MessageSchema, visit: (schema: MessageSchema, field: FieldSchema) => void): void {
  const seen = new Set<MessageSchema>();
  const walk = (schema: MessageSchema): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    for (const field of schema.byName.values()) {
      visit(schema, field);
      if (field.message !== undefined) walk(field.message);
    }
  };
  walk(root);
}

const POOLED = new Set<FieldSchema>();
forEachField(CLIENT_GET_CONFIGS_REQUEST, (schema, field) => {
  if (POOLED_FIELDS[schema.goName]?.includes(field.json) === true) POOLED.add(field);
});
/** One pool for the process (every HTTP decode): exported for the tests. */
export const requestStringPool = new StringPool();
const pool = requestStringPool;

/**
 * Messages whose values repeat across tracers, whole, with the field that finds them in their pool: the config states
 * a tracer acknowledges and the files it caches are the same for every tracer of a service (3 of each: ~1.5 KB of
 * objects per tracer, 15 MB at 10,000).
 */
const SHARED_MESSAGES: Readonly<Record<string, string>> = { ConfigState: 'id', TargetFileMeta: 'path' };
/** String lists that repeat whole (a tracer's products, its services and process tags), as `Struct.json_name`. */
const SHARED_LISTS: Readonly<Record<string, readonly string[]>> = {
  Client: ['products'],
  ClientTracer: ['extra_services', 'process_tags'],
};
/** The pools of whole messages and lists, one per message type or list field: exported for the tests. */
export const requestMessagePools = new Map<string, MessagePool>();
/** The message pool and key field of each shared message type, and the pool of each shared list field. */
const MESSAGE_POOLS = new Map<MessageSchema, { readonly pool: MessagePool; readonly key: string }>();
const LIST_POOLS = new Map<FieldSchema, MessagePool>();
forEachField(CLIENT_GET_CONFIGS_REQUEST, (schema, field) => {
  const keyField = SHARED_MESSAGES[schema.goName];
  if (keyField !== undefined && !MESSAGE_POOLS.has(schema)) {
    const key = schema.byName.get(keyField);
    if (key === undefined) throw new Error(`no field ${keyField} in ${schema.goName}`);
    const pool = new MessagePool();
    requestMessagePools.set(schema.goName, pool);
    MESSAGE_POOLS.set(schema, { pool, key: key.prop });
  }
  if (SHARED_LISTS[schema.goName]?.includes(field.json) === true) {
    const pool = new MessagePool();
    requestMessagePools.set(`${schema.goName}.${field.json}`, pool);
    LIST_POOLS.set(field, pool);
  }
});

/** `child`, or the pooled message equal to it when its type is shared and its key field is set. */
function sharedMessage(schema: MessageSchema, child: JsonObject): JsonObject {
  const shared = MESSAGE_POOLS.get(schema);
  if (shared === undefined) return child;
  const key = child[shared.key];
  return typeof key === 'string' ? shared.pool.intern(key, child) : child;
}

/** Every empty list of a decoded request (most tracers send several): one frozen array. */
const EMPTY_LIST: never[] = Object.freeze([]) as unknown as never[];

/** The pooled fields, as `Struct.json_name` (tests check each names a field of the schema). */
export function pooledFieldNames(): string[] {
  const names: string[] = [];
  forEachField(CLIENT_GET_CONFIGS_REQUEST, (schema, field) => {
    if (POOLED.has(field)) names.push(`${schema.goName}.${field.json}`);
  });
  return names.sort();
}

/** Tags naming one process (`runtime-id:…`, `_dd.rc.client_id:…`) never repeat: they stay out of the pool. */
function pooledElement(s: string): string {
  return s.startsWith('runtime-id:') || s.startsWith('_dd.rc.client_id:') ? s : pool.intern(s);
}

function isInteger(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

/** Go's strconv.ParseUint/ParseInt on the literal: a number, exact; a Long beyond 2^53; undefined if rejected. */
function integerOfLiteral(text: string, signed: boolean, min: bigint, max: bigint): number | Long | undefined {
  if (!(signed ? SIGNED_LITERAL : UNSIGNED_LITERAL).test(text)) return undefined;
  const n = Number(text);
  if (Number.isSafeInteger(n)) return n >= Number(min) && n <= Number(max) ? n + 0 : undefined;
  const big = BigInt(text);
  if (big < min || big > max) return undefined;
  return Long.fromString(text, !signed);
}

/** A 64-bit or 32-bit integer field: a JSON.parse double when it is exactly the literal's value, else the literal. */
function integerField(v: unknown, schema: MessageSchema, field: FieldSchema, w: Walk): number | Long {
  if (typeof v === 'number') {
    // only safe integers are certainly the literal's value (and -0 is not an unsigned literal)
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (field.kind === 'uint64' ? v >= 0 : field.kind === 'int64' || isInteger(v, INT32_MIN, INT32_MAX)) return v;
    }
    throw NEEDS_LITERALS;
  }
  if (!(v instanceof NumberLiteral)) throw typeError(kindOf(v), schema, field, w);
  const value =
    field.kind === 'uint64'
      ? integerOfLiteral(v.text, false, 0n, UINT64_MAX)
      : field.kind === 'int64'
        ? integerOfLiteral(v.text, true, INT64_MIN, INT64_MAX)
        : integerOfLiteral(v.text, true, BigInt(INT32_MIN), BigInt(INT32_MAX));
  if (value === undefined) throw typeError(`number ${v.text}`, schema, field, w);
  return value;
}

/** Byte values this small (capabilities, an empty backend_client_state) repeat across tracers: one copy of each. */
const SHARED_BYTES_MAX_LENGTH = 64;
const SHARED_BYTES_MAX_ENTRIES = 4096;
const sharedBytes = new Map<string, Buffer>();

/**
 * A small decoded value as a shared buffer of its own. A decoded request outlives its body (request cache, client
 * tracker), and a small Buffer is a slice of Node's 8 KiB allocation pool: keeping it would keep the whole pool —
 * request bodies included — alive. Nothing writes to a decoded request's bytes.
 */
function ownBytes(bytes: Buffer): Buffer {
  if (bytes.length > SHARED_BYTES_MAX_LENGTH) return bytes;
  const key = bytes.toString('latin1');
  let shared = sharedBytes.get(key);
  if (shared === undefined) {
    shared = Buffer.allocUnsafeSlow(bytes.length);
    bytes.copy(shared);
    if (sharedBytes.size < SHARED_BYTES_MAX_ENTRIES) sharedBytes.set(key, shared);
  }
  return shared;
}

function decodeBytes(v: unknown, owner: MessageSchema, field: FieldSchema, w: Walk): Uint8Array {
  if (typeof v === 'string') {
    const decoded = decodeGoBase64(v);
    if (typeof decoded === 'number') {
      // Go's message, then the field (Go's own error does not say which field it was)
      throw new JsonDecodeError(
        'JSON_BASE64',
        `illegal base64 data at input byte ${decoded} in Go struct field ${fieldName(owner, field, w)} of type ${field.goType}`,
      );
    }
    return ownBytes(decoded);
  }
  if (!Array.isArray(v)) throw typeError(kindOf(v), owner, field, w);
  // a JSON number array decodes element by element into uint8 (libdatadog sends bytes this way, §7)
  const out = Buffer.allocUnsafe(v.length);
  for (let i = 0; i < v.length; i++) {
    const b: unknown = v[i];
    if (b === null) out[i] = 0;
    else if (typeof b === 'number') {
      if (!isInteger(b, 0, 255) || Object.is(b, -0)) throw NEEDS_LITERALS;
      out[i] = b;
    } else if (b instanceof NumberLiteral) {
      const n = integerOfLiteral(b.text, false, 0n, 255n);
      if (n === undefined) throw typeError(`number ${b.text}`, owner, field, w, field.elemGoType);
      out[i] = n as number;
    } else throw typeError(kindOf(b), owner, field, w, field.elemGoType);
  }
  return ownBytes(out);
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
        target[field.prop] = POOLED.has(field) ? pool.intern(str(v, w)) : str(v, w);
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw typeError(kindOf(v), schema, field, w);
        target[field.prop] = v;
        break;
      case 'uint64':
      case 'int64':
      case 'int32':
        target[field.prop] = integerField(v, schema, field, w);
        break;
      case 'bytes':
        target[field.prop] = decodeBytes(v, schema, field, w);
        break;
      case 'strings': {
        if (!Array.isArray(v)) throw typeError(kindOf(v), schema, field, w);
        if (v.length === 0) {
          target[field.prop] = EMPTY_LIST;
          break;
        }
        const out: string[] = new Array<string>(v.length);
        const pooled = POOLED.has(field);
        for (let i = 0; i < v.length; i++) {
          const s: unknown = v[i];
          if (typeof s === 'string') out[i] = pooled ? pooledElement(str(s, w)) : str(s, w);
          else if (s === null) out[i] = '';
          else throw typeError(kindOf(s), schema, field, w, field.elemGoType);
        }
        const lists = LIST_POOLS.get(field);
        target[field.prop] = lists === undefined ? out : lists.intern(out.join('\n'), out);
        break;
      }
      case 'message': {
        const nested = field.message as MessageSchema;
        if (typeof v !== 'object' || Array.isArray(v) || v instanceof NumberLiteral)
          throw typeError(kindOf(v), schema, field, w);
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
        if (v.length === 0) {
          target[field.prop] = EMPTY_LIST;
          break;
        }
        const out: JsonObject[] = new Array<JsonObject>(v.length);
        w.path.push(field.json);
        for (let i = 0; i < v.length; i++) {
          const el: unknown = v[i];
          const child: JsonObject = {};
          if (el !== null) {
            if (typeof el !== 'object' || Array.isArray(el) || el instanceof NumberLiteral) {
              w.path.pop();
              throw typeError(kindOf(el), schema, field, w, field.elemGoType);
            }
            decodeMessage(el as JsonObject, nested, child, w);
          }
          out[i] = sharedMessage(nested, child);
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
  const fixSurrogates = SURROGATE_ESCAPE.test(text);
  if (!NON_INTEGER_LITERAL.test(text)) {
    const request: JsonObject = {};
    try {
      decodeMessage(parsed as JsonObject, CLIENT_GET_CONFIGS_REQUEST, request, { path: [], fixSurrogates });
      return request;
    } catch (e) {
      if (!(e instanceof NeedsLiterals)) throw e;
    }
  }
  const request: JsonObject = {};
  const literals = parseJsonKeepingNumbers(text) as JsonObject;
  decodeMessage(literals, CLIENT_GET_CONFIGS_REQUEST, request, { path: [], fixSurrogates });
  return request;
}
