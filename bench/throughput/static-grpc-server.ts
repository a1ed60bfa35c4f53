// gRPC's own limit for the throughput bench, as the static route is HTTP's: a grpc-js server with the agent's TLS
// certificate, server options and bearer-token check, answering ClientGetConfigs with reply bytes captured from the
// agent, from memory (the request is not decoded, as the static route does not parse its body). Run as a child:
//   node --import tsx bench/throughput/static-grpc-server.ts <ipc_cert.pem> <auth_token file> <reply file>
// It prints `listening grpc http://127.0.0.1:PORT` (the URL only carries the address).
import { readFileSync } from 'node:fs';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { DEFAULT_GRPC_LIMITS, grpcServerOptions, pemBlocks } from '../../src/grpc/index.js';
import { AGENT_SECURE_SERVICE } from '../../src/proto/index.js';

const [pemFile, tokenFile, replyFile] = process.argv.slice(2);
if (pemFile === undefined || tokenFile === undefined || replyFile === undefined) {
  throw new Error('usage: static-grpc-server.ts <ipc_cert.pem> <auth_token file> <reply file>');
}
const { certPem, keyPem } = pemBlocks(readFileSync(pemFile, 'utf8'));
if (certPem === undefined || keyPem === undefined) throw new Error(`${pemFile}: no certificate and key`);
const authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
const reply = readFileSync(replyFile);

const identity = (b: Buffer): Buffer => b;
const definition = {
  ClientGetConfigs: {
    path: `/${AGENT_SECURE_SERVICE}/ClientGetConfigs`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const implementation: UntypedServiceImplementation = {
  ClientGetConfigs: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    if (call.metadata.get('authorization')[0] !== authorization) {
      callback({ code: status.UNAUTHENTICATED, details: 'bad token' });
      return;
    }
    callback(null, reply);
  },
};

// The agent's server options (src/grpc/server.ts).
const server = new Server(grpcServerOptions(DEFAULT_GRPC_LIMITS));
server.addService(definition, implementation);
const tls = ServerCredentials.createSsl(
  null,
  [{ private_key: Buffer.from(keyPem), cert_chain: Buffer.from(certPem) }],
  false,
);
server.bindAsync('127.0.0.1:0', tls, (err, port) => {
  if (err) throw err;
  process.stdout.write(`listening grpc http://127.0.0.1:${port}\n`);
});
const stop = (): void => {
  server.tryShutdown(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
