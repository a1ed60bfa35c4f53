// Public surface of the repository signer: a signing RC backend for the config and director repositories.
export {
  RepositorySigner,
  type CurrentMetas,
  type RepoName,
  type RepoSignerOptions,
  type SignerFile,
  type SignerKeysJson,
  type SignerVersions,
  type TopRole,
} from './repository-signer.js';
export { generateKeyPair, keyId, keyPairFromSeed, signHex, type KeyType, type SignerKeyPair } from './keys.js';
export { SignerError, SIGNER_ERROR_CODES, type SignerErrorCode } from './error.js';
