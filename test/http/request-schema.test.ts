// The proto is the schema: the hand-written JSON tables the HTTP decoder walks (src/http/request-schema.ts) must say
// what proto/remoteconfig.proto says about ClientGetConfigsRequest and every message below it. The tables stay
// hand-written (static, no reflection at load time); this test walks the protobufjs reflection of the .proto files and
// fails on any difference: a field missing on either side, its JSON name, its protobufjs property, its kind
// (scalar type, repeated, message, enum) or the Go type names the error messages use.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import t from 'tap';
import { pb } from '../../src/proto/index.js';
import { CLIENT_GET_CONFIGS_REQUEST, GO_REQUEST_TYPE, type MessageSchema } from '../../src/http/request-schema.js';

const PROTO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto', 'remoteconfig.proto');
const GO_PACKAGE = 'core';

/** Field names as written in the .proto: the JSON keys of Go's generated structs. */
const protoRoot = new protobuf.Root().loadSync(PROTO, { keepCase: true });

/** The kind the decoder tables use for a reflected field, or a description of what they cannot express. */
function kindOf(field: protobuf.Field): string {
  const resolved = field.resolve().resolvedType;
  if (field instanceof protobuf.MapField) return `map<${field.keyType}, ${field.type}>`;
  if (resolved instanceof protobuf.Type) return field.repeated ? 'messages' : 'message';
  if (resolved instanceof protobuf.Enum) return field.repeated ? `repeated enum ${resolved.name}` : 'int32';
  if (field.repeated) return field.type === 'string' ? 'strings' : `repeated ${field.type}`;
  return field.type;
}

/** Go's type for a reflected field, as encoding/json names it in `cannot unmarshal … of type X`. */
function goTypeOf(field: protobuf.Field): string {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return `${field.repeated ? '[]*' : ''}${GO_PACKAGE}.${resolved.name}`;
  if (resolved instanceof protobuf.Enum) return `${GO_PACKAGE}.${resolved.name}`;
  if (field.type === 'bytes') return '[]uint8';
  return `${field.repeated ? '[]' : ''}${field.type}`;
}

/** Every difference between the reflected message `type` (and, recursively, its messages) and `schema`. */
function differences(type: protobuf.Type, schema: MessageSchema, seen = new Set<string>()): string[] {
  const where = type.name;
  if (seen.has(where)) return [];
  seen.add(where);
  const out: string[] = [];
  if (schema.goName !== type.name) out.push(`${where}: Go struct name ${schema.goName}, proto says ${type.name}`);
  const ctor = (pb as unknown as Record<string, { prototype: object } | undefined>)[type.name];
  if (!ctor) out.push(`${where}: no generated class pb.${type.name}`);
  for (const field of type.fieldsArray) {
    const at = `${where}.${field.name}`;
    const hand = schema.byName.get(field.name);
    if (!hand) {
      out.push(`${at}: in the proto, missing from the hand schema`);
      continue;
    }
    const prop = protobuf.util.camelCase(field.name); // what pbjs names the property
    if (hand.json !== field.name) out.push(`${at}: JSON name ${hand.json}, proto says ${field.name}`);
    if (hand.prop !== prop) out.push(`${at}: property ${hand.prop}, protobufjs says ${prop}`);
    if (ctor && !(hand.prop in ctor.prototype)) out.push(`${at}: pb.${type.name} has no property ${hand.prop}`);
    const kind = kindOf(field);
    if (hand.kind !== kind) out.push(`${at}: kind ${hand.kind}, proto says ${kind}`);
    const goType = goTypeOf(field);
    if (hand.goType !== goType) out.push(`${at}: Go type ${hand.goType}, proto says ${goType}`);
    const nested = field.resolve().resolvedType;
    if (nested instanceof protobuf.Type) {
      if (!hand.message) out.push(`${at}: no nested schema for ${nested.name}`);
      else out.push(...differences(nested, hand.message, seen));
    } else if (hand.message) {
      out.push(`${at}: a nested schema for a field that is not a message`);
    }
  }
  for (const json of schema.byName.keys()) {
    if (!type.fields[json]) out.push(`${where}.${json}: in the hand schema, not in the proto`);
  }
  return out;
}

t.test('the hand schema of ClientGetConfigsRequest is the proto, field by field, recursively', (t) => {
  const request = protoRoot.lookupType('datadog.config.ClientGetConfigsRequest');
  const seen = new Set<string>();
  t.same(differences(request, CLIENT_GET_CONFIGS_REQUEST, seen), [], 'no difference');
  t.equal(GO_REQUEST_TYPE, `${GO_PACKAGE}.${request.name}`);
  // the walk reached every message of the request (a guard against the walk itself stopping early)
  t.same([...seen].sort(), [
    'Client',
    'ClientAgent',
    'ClientGetConfigsRequest',
    'ClientState',
    'ClientTracer',
    'ClientUpdater',
    'ConfigState',
    'PackageState',
    'PackageStateTask',
    'TargetFileHash',
    'TargetFileMeta',
    'TaskError',
  ]);
  t.end();
});

t.test('the walk reports a divergence (it can fail)', (t) => {
  // a copy of the proto in which ClientTracer gained a field, renamed `env` and made `service` repeated
  const root = protobuf.Root.fromJSON(protoRoot.toJSON());
  const tracer = root.lookupType('datadog.config.ClientTracer');
  tracer.add(new protobuf.Field('new_field', 99, 'string'));
  tracer.remove(tracer.fields.env!);
  tracer.add(new protobuf.Field('environment', 98, 'string'));
  tracer.remove(tracer.fields.service!);
  tracer.add(new protobuf.Field('service', 97, 'string', 'repeated'));
  root.resolveAll();
  const diffs = differences(root.lookupType('datadog.config.ClientGetConfigsRequest'), CLIENT_GET_CONFIGS_REQUEST);
  t.same(diffs.sort(), [
    'ClientTracer.env: in the hand schema, not in the proto',
    'ClientTracer.environment: in the proto, missing from the hand schema',
    'ClientTracer.new_field: in the proto, missing from the hand schema',
    'ClientTracer.service: Go type string, proto says []string',
    'ClientTracer.service: kind string, proto says strings',
  ]);
  t.end();
});
