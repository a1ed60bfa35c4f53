// Request validation of the reference agent's `validateRequest` (PROTOCOL.md §4.1): same order, same messages,
// all InvalidArgument.
import { parseConfigPath } from '../uptane/index.js';
import type { IClientGetConfigsRequest, IClient } from '../proto/index.js';
import { invalidArgument } from './error.js';

const REQ = 'is a required field for client config update requests';
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Products are forwarded upstream for every active client: an absurd list is refused, not amplified. */
export const MAX_CLIENT_PRODUCTS = 64;
export const MAX_PRODUCT_NAME_LENGTH = 128;

export function validateRequest(request: IClientGetConfigsRequest): IClient {
  const client = request.client;
  if (!client) throw invalidArgument(`client ${REQ}`);
  if (!client.state) throw invalidArgument(`client.state ${REQ}`);
  if (!client.state.rootVersion) {
    throw invalidArgument(
      'client.state.root_version must be >= 1 (clients must start with the base TUF director root)',
    );
  }
  if (client.isAgent && !client.clientAgent) {
    throw invalidArgument('client.client_agent is a required field for agent client config update requests');
  }
  if (client.isTracer && !client.clientTracer) {
    throw invalidArgument('client.client_tracer is a required field for tracer client config update requests');
  }
  if (client.isUpdater && !client.clientUpdater) {
    throw invalidArgument('client.client_updater is a required field for updater client config update requests');
  }
  const flags = Number(Boolean(client.isTracer)) + Number(Boolean(client.isAgent)) + Number(Boolean(client.isUpdater));
  if (flags > 1)
    throw invalidArgument('client.is_tracer, client.is_agent, and client.is_updater are mutually exclusive');
  if (flags === 0) {
    throw invalidArgument('agents only support remote config updates from tracer or agent or updater at this time');
  }
  if (!client.id) throw invalidArgument(`client.id ${REQ}`);
  const products = client.products ?? [];
  if (products.length > MAX_CLIENT_PRODUCTS) {
    throw invalidArgument(
      `client.products has ${products.length} entries; at most ${MAX_CLIENT_PRODUCTS} are accepted`,
    );
  }
  products.forEach((p, i) => {
    if (p.length > MAX_PRODUCT_NAME_LENGTH) {
      throw invalidArgument(`client.products[${i}] is ${p.length} characters long; at most ${MAX_PRODUCT_NAME_LENGTH}`);
    }
  });
  if (client.isTracer) {
    if (client.clientAgent) throw invalidArgument('client.client_agent must not be set if client.is_tracer is true');
    if (client.id === client.clientTracer?.runtimeId) {
      throw invalidArgument('client.id must be different from client.client_tracer.runtime_id');
    }
    if (!client.clientTracer?.language) {
      throw invalidArgument(
        'client.client_tracer.language is a required field for tracer client config update requests',
      );
    }
  }
  if (client.isAgent && client.clientTracer) {
    throw invalidArgument('client.client_tracer must not be set if client.is_agent is true');
  }
  const cached = request.cachedTargetFiles ?? [];
  cached.forEach((file, i) => {
    if (!file.path) throw invalidArgument(`cached_target_files[${i}].path ${REQ}`);
    try {
      parseConfigPath(file.path);
    } catch (err) {
      throw invalidArgument(`cached_target_files[${i}].path is not a valid path: ${(err as Error).message}`);
    }
    if (!file.length) throw invalidArgument(`cached_target_files[${i}].length must be >= 1 (no empty file allowed)`);
    // The literal %d reproduces the reference's message (an upstream formatting bug).
    if (!file.hashes || file.hashes.length === 0) throw invalidArgument(`cached_target_files[%d].hashes ${REQ}`);
    file.hashes.forEach((hash, j) => {
      if (!hash.algorithm) throw invalidArgument(`cached_target_files[${i}].hashes[${j}].algorithm ${REQ}`);
      if (!hash.hash) throw invalidArgument(`cached_target_files[${i}].hashes[${j}].hash ${REQ}`);
      // Deviation: the reference fails later with Unknown `encoding/hex: …`, naming no field.
      if (!HEX.test(hash.hash)) throw invalidArgument(`cached_target_files[${i}].hashes[${j}].hash is not hex-encoded`);
    });
  });
  return client;
}
