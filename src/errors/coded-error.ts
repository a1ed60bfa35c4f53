// The one error base: a code saying what failed (each folder has its own code union), a message for people, and the
// original error as the ES2022 `cause`. A leaf module: it imports nothing, so every folder (and bench) may use it.

/** Code → what it means. Each folder exports one; its code union is `keyof typeof` it, so no code goes undocumented. */
export type ErrorCodeDocs<Code extends string> = Readonly<Record<Code, string>>;

export interface CodedErrorOptions {
  readonly cause?: unknown;
}

export abstract class CodedError<Code extends string> extends Error {
  /** The subclass name (`ServiceError`, …): what logs and `String(err)` show. */
  abstract override readonly name: string;

  constructor(
    readonly code: Code,
    message: string,
    options?: CodedErrorOptions,
  ) {
    // No own `cause` when there is none, as with `new Error(message)`.
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** The codes of a docs record, in the order they are documented. */
export function codesOf<Code extends string>(docs: ErrorCodeDocs<Code>): readonly Code[] {
  // Object.keys is typed string[]; the keys of a Record<Code, …> literal are exactly its codes.
  return Object.freeze(Object.keys(docs) as Code[]);
}
