// ClientGetConfigsResponse → the bytes Go's json.Marshal writes for the generated struct (PROTOCOL.md §3.1):
// proto field order, proto field names, omitempty, padded base64, numeric enum, no trailing newline.
import { pb, type IClientGetConfigsResponse, type IFile } from '../proto/index.js';
import { base64OfBytes as base64Cache, httpBodyOfFrozenReply as frozenReplyCache } from '../service/index.js';
import { goJsonString } from './go-json-string.js';

// The service hands every client the same snapshot byte arrays, so each is base64-encoded once
// (src/service/frozen-caches.ts).

function base64(bytes: Uint8Array): string {
  let s = base64Cache.get(bytes);
  if (s === undefined) {
    s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    base64Cache.set(bytes, s);
  }
  return s;
}

/** A []byte element: nil is `null`, empty is `""` (only list elements are not omitted). */
function bytesElement(bytes: Uint8Array | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'null';
  return bytes.byteLength === 0 ? '""' : '"' + base64(bytes) + '"';
}

function file(f: IFile | null | undefined): string {
  if (f === null || f === undefined) return 'null';
  let out = '{';
  if (f.path) out += '"path":' + goJsonString(f.path);
  if (f.raw && f.raw.byteLength > 0) out += (out.length > 1 ? ',' : '') + '"raw":"' + base64(f.raw) + '"';
  return out + '}';
}

// The service shares frozen replies between clients (first polls of the same products, `{}` for every client up to
// date): encode each once, to the bytes written on the socket (src/service/frozen-caches.ts).

/** The exact response body of `/v0.7/config`; an empty response is `{}` (2 bytes, PROTOCOL.md §7). */
export function encodeClientGetConfigsResponse(r: IClientGetConfigsResponse): string {
  return encode(r);
}

/** encodeClientGetConfigsResponse as UTF-8 bytes, encoded once per frozen (shared) response. */
export function encodeClientGetConfigsResponseBytes(r: IClientGetConfigsResponse): Buffer {
  if (!Object.isFrozen(r)) return Buffer.from(encode(r), 'utf8');
  let body = frozenReplyCache.get(r);
  if (body === undefined) {
    body = Buffer.from(encode(r), 'utf8');
    frozenReplyCache.set(r, body);
  }
  return body;
}

function encode(r: IClientGetConfigsResponse): string {
  let out = '';
  const { roots, targets, targetFiles, clientConfigs, configStatus } = r;
  if (roots && roots.length > 0) {
    out += ',"roots":[';
    for (let i = 0; i < roots.length; i++) out += (i > 0 ? ',' : '') + bytesElement(roots[i]);
    out += ']';
  }
  if (targets && targets.byteLength > 0) out += ',"targets":"' + base64(targets) + '"';
  if (targetFiles && targetFiles.length > 0) {
    out += ',"target_files":[';
    for (let i = 0; i < targetFiles.length; i++) out += (i > 0 ? ',' : '') + file(targetFiles[i]);
    out += ']';
  }
  if (clientConfigs && clientConfigs.length > 0) {
    out += ',"client_configs":[';
    for (let i = 0; i < clientConfigs.length; i++) out += (i > 0 ? ',' : '') + goJsonString(clientConfigs[i] ?? '');
    out += ']';
  }
  // numeric, as Go marshals the enum; a protobufjs enum name (fromObject input) is mapped back to its number
  const status =
    typeof configStatus === 'string' ? (pb.ConfigStatus[configStatus] as number | undefined) : configStatus;
  if (status) out += ',"config_status":' + String(status);
  return out === '' ? '{}' : '{' + out.slice(1) + '}';
}
