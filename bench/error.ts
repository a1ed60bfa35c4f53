// Errors of the benchmarks. Codes say which part of a run failed; `cause` keeps the original error.
import { CodedError, codesOf, type ErrorCodeDocs } from '../src/errors/index.js';

export const BENCH_ERROR_DOCS = {
  INVALID_OPTION: 'a command-line option is out of range or inconsistent',
  AGENT_START: 'the agent child did not print its `listening …` lines, or exited early',
  AGENT_NOT_READY: 'the agent never reported ready (`/readyz`)',
  BACKEND_START: 'the backend simulator failed to start',
  LOAD_GENERATOR: 'a load-generator worker or child failed',
  METRICS: '`/metrics` could not be read or parsed',
  REPORT: 'writing results or the report failed',
} as const satisfies ErrorCodeDocs<string>;

export type BenchErrorCode = keyof typeof BENCH_ERROR_DOCS;
export const BENCH_ERROR_CODES = codesOf(BENCH_ERROR_DOCS);

export class BenchError extends CodedError<BenchErrorCode> {
  override readonly name = 'BenchError';
}
