// Public surface of the repository signer: a signing RC backend for the config and director repositories.
export { RepositorySigner, type SignerKeysJson } from './repository-signer.js';
