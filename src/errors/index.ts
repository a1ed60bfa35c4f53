export { CodedError, codesOf, type CodedErrorOptions, type ErrorCodeDocs } from './coded-error.js';
