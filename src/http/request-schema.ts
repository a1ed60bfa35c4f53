// The JSON shape of ClientGetConfigsRequest as Go's encoding/json sees the generated structs of
// pkg/proto/pbgo/core: JSON key = proto field name, property = protobufjs camelCase name, Go type names for
// error messages. Built once at module load; decoding walks these tables (PROTOCOL.md §2, §3.1).
// Hand-written (no reflection on the hot path or at start-up); test/http/request-schema.test.ts walks the protobufjs
// reflection of proto/remoteconfig.proto and fails when a field, name, kind or Go type here differs from it.

export type FieldKind = 'string' | 'bool' | 'uint64' | 'int64' | 'int32' | 'bytes' | 'message' | 'strings' | 'messages';

export interface FieldSchema {
  /** JSON key (proto field name) */
  readonly json: string;
  /** protobufjs property */
  readonly prop: string;
  readonly kind: FieldKind;
  /** Go type in `cannot unmarshal … of type X` */
  readonly goType: string;
  /** Go type of one element of a list or of a byte slice */
  readonly elemGoType: string;
  readonly message?: MessageSchema;
}

export interface MessageSchema {
  /** Go struct name in `Go struct field X.…` */
  readonly goName: string;
  readonly byName: ReadonlyMap<string, FieldSchema>;
  /** keyed by goFoldKey(json) */
  readonly byFold: ReadonlyMap<string, FieldSchema>;
}

const GO_PACKAGE = 'core';

/** Go's `foldName` (encoding/json, Go ≥ 1.21): ASCII upper-cased, other runes ToUpper(ToLower(r)). */
export function goFoldKey(key: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(key)) return key.toUpperCase();
  let out = '';
  for (const ch of key) {
    // the only non-ASCII runes whose fold is ASCII: Kelvin sign, long s, dotless i, dotted capital I
    if (ch === '\u212a') out += 'K';
    else if (ch === '\u017f') out += 'S';
    else if (ch === '\u0131' || ch === '\u0130') out += 'I';
    else out += ch.length === 1 && ch.charCodeAt(0) < 0x80 ? ch.toUpperCase() : ch;
  }
  return out;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

type FieldDef =
  | readonly [json: string, kind: Exclude<FieldKind, 'message' | 'messages'>]
  | readonly [json: string, kind: 'message' | 'messages', message: MessageSchema];

function message(goName: string, defs: readonly FieldDef[]): MessageSchema {
  const byName = new Map<string, FieldSchema>();
  const byFold = new Map<string, FieldSchema>();
  for (const def of defs) {
    const [json, kind] = def;
    const nested = def.length === 3 ? def[2] : undefined;
    const goType = goTypeOf(kind, nested);
    const elemGoType = kind === 'bytes' ? 'uint8' : goType.replace(/^\[\]\*?/, '');
    const field: FieldSchema = { json, prop: camelCase(json), kind, goType, elemGoType, message: nested };
    byName.set(json, field);
    byFold.set(goFoldKey(json), field);
  }
  return { goName, byName, byFold };
}

function goTypeOf(kind: FieldKind, nested: MessageSchema | undefined): string {
  switch (kind) {
    case 'string':
    case 'bool':
    case 'uint64':
    case 'int64':
      return kind;
    case 'int32':
      return `${GO_PACKAGE}.TaskState`;
    case 'bytes':
      return '[]uint8';
    case 'strings':
      return '[]string';
    case 'message':
      return `${GO_PACKAGE}.${nested?.goName ?? ''}`;
    case 'messages':
      return `[]*${GO_PACKAGE}.${nested?.goName ?? ''}`;
  }
}

const taskError = message('TaskError', [
  ['code', 'uint64'],
  ['message', 'string'],
]);
const packageStateTask = message('PackageStateTask', [
  ['id', 'string'],
  ['state', 'int32'],
  ['error', 'message', taskError],
]);
const packageState = message('PackageState', [
  ['package', 'string'],
  ['stable_version', 'string'],
  ['experiment_version', 'string'],
  ['task', 'message', packageStateTask],
  ['stable_config_version', 'string'],
  ['experiment_config_version', 'string'],
]);
const clientUpdater = message('ClientUpdater', [
  ['tags', 'strings'],
  ['packages', 'messages', packageState],
  ['available_disk_space', 'uint64'],
]);
const clientAgent = message('ClientAgent', [
  ['name', 'string'],
  ['version', 'string'],
  ['cluster_name', 'string'],
  ['cluster_id', 'string'],
  ['cws_workloads', 'strings'],
]);
const clientTracer = message('ClientTracer', [
  ['runtime_id', 'string'],
  ['language', 'string'],
  ['tracer_version', 'string'],
  ['service', 'string'],
  ['extra_services', 'strings'],
  ['env', 'string'],
  ['app_version', 'string'],
  ['tags', 'strings'],
  ['process_tags', 'strings'],
  ['container_tags', 'strings'],
]);
const configState = message('ConfigState', [
  ['id', 'string'],
  ['version', 'uint64'],
  ['product', 'string'],
  ['apply_state', 'uint64'],
  ['apply_error', 'string'],
]);
const clientState = message('ClientState', [
  ['root_version', 'uint64'],
  ['targets_version', 'uint64'],
  ['config_states', 'messages', configState],
  ['has_error', 'bool'],
  ['error', 'string'],
  ['backend_client_state', 'bytes'],
]);
const client = message('Client', [
  ['state', 'message', clientState],
  ['id', 'string'],
  ['products', 'strings'],
  ['is_tracer', 'bool'],
  ['client_tracer', 'message', clientTracer],
  ['is_agent', 'bool'],
  ['client_agent', 'message', clientAgent],
  ['last_seen', 'uint64'],
  ['capabilities', 'bytes'],
  ['is_updater', 'bool'],
  ['client_updater', 'message', clientUpdater],
]);
const targetFileHash = message('TargetFileHash', [
  ['algorithm', 'string'],
  ['hash', 'string'],
]);
const targetFileMeta = message('TargetFileMeta', [
  ['path', 'string'],
  ['length', 'int64'],
  ['hashes', 'messages', targetFileHash],
]);

export const CLIENT_GET_CONFIGS_REQUEST: MessageSchema = message('ClientGetConfigsRequest', [
  ['client', 'message', client],
  ['cached_target_files', 'messages', targetFileMeta],
]);

export const GO_REQUEST_TYPE = `${GO_PACKAGE}.ClientGetConfigsRequest`;
