// RC capability bits and the product each belongs to, so a request advertises only the capabilities of the products
// it carries. Bit numbers are dd-trace-js 5.132's (remote_config/capabilities.js); owners are the products whose
// handler is registered next to each `updateCapabilities` call in dd-trace-js.

/** Capability bits by name (wire facts, dd-trace-js remote_config/capabilities.js). */
export const RC_CAPABILITY = {
  ASM_ACTIVATION: 1n << 1n,
  ASM_IP_BLOCKING: 1n << 2n,
  ASM_DD_RULES: 1n << 3n,
  ASM_EXCLUSIONS: 1n << 4n,
  ASM_REQUEST_BLOCKING: 1n << 5n,
  ASM_RESPONSE_BLOCKING: 1n << 6n,
  ASM_USER_BLOCKING: 1n << 7n,
  ASM_CUSTOM_RULES: 1n << 8n,
  ASM_CUSTOM_BLOCKING_RESPONSE: 1n << 9n,
  ASM_TRUSTED_IPS: 1n << 10n,
  APM_TRACING_SAMPLE_RATE: 1n << 12n,
  APM_TRACING_LOGS_INJECTION: 1n << 13n,
  APM_TRACING_HTTP_HEADER_TAGS: 1n << 14n,
  APM_TRACING_CUSTOM_TAGS: 1n << 15n,
  ASM_PROCESSOR_OVERRIDES: 1n << 16n,
  ASM_CUSTOM_DATA_SCANNERS: 1n << 17n,
  ASM_EXCLUSION_DATA: 1n << 18n,
  APM_TRACING_ENABLED: 1n << 19n,
  ASM_RASP_SQLI: 1n << 21n,
  ASM_RASP_LFI: 1n << 22n,
  ASM_RASP_SSRF: 1n << 23n,
  ASM_RASP_SHI: 1n << 24n,
  APM_TRACING_SAMPLE_RULES: 1n << 29n,
  ASM_AUTO_USER_INSTRUM_MODE: 1n << 31n,
  ASM_ENDPOINT_FINGERPRINT: 1n << 32n,
  ASM_SESSION_FINGERPRINT: 1n << 33n,
  ASM_NETWORK_FINGERPRINT: 1n << 34n,
  ASM_HEADER_FINGERPRINT: 1n << 35n,
  ASM_RASP_CMDI: 1n << 37n,
  APM_TRACING_ENABLE_DYNAMIC_INSTRUMENTATION: 1n << 38n,
  APM_TRACING_ENABLE_CODE_ORIGIN: 1n << 40n,
  APM_TRACING_ENABLE_LIVE_DEBUGGING: 1n << 41n,
  ASM_DD_MULTICONFIG: 1n << 42n,
  ASM_TRACE_TAGGING_RULES: 1n << 43n,
  ASM_EXTENDED_DATA_COLLECTION: 1n << 44n,
  APM_TRACING_MULTICONFIG: 1n << 45n,
  FFE_FLAG_CONFIGURATION_RULES: 1n << 46n,
  SDK_CONFIGURATION: 1n << 49n,
} as const;

const C = RC_CAPABILITY;
const union = (...bits: bigint[]): bigint => bits.reduce((acc, b) => acc | b, 0n);

/** Capability bit 46, FFE_FLAG_CONFIGURATION_RULES. */
export const FFE_FLAG_CONFIGURATION_RULES = C.FFE_FLAG_CONFIGURATION_RULES;

/**
 * The capabilities dd-trace-js 5.132 advertises with default settings (APM_TRACING multiconfig and per-setting bits,
 * ASM activation, SDK_CONFIGURATION): `AiNAoAjwAg==`. With FFE over remote config it adds bit 46: `AmNAoAjwAg==`.
 */
export const DD_TRACE_JS_CAPABILITIES = 0x022340a008f002n;

/** dd-trace-js appsec enableWafUpdate(): one set for its three WAF products. */
const ASM_WAF = union(
  C.ASM_IP_BLOCKING,
  C.ASM_USER_BLOCKING,
  C.ASM_DD_RULES,
  C.ASM_EXCLUSIONS,
  C.ASM_REQUEST_BLOCKING,
  C.ASM_RESPONSE_BLOCKING,
  C.ASM_CUSTOM_RULES,
  C.ASM_CUSTOM_BLOCKING_RESPONSE,
  C.ASM_TRUSTED_IPS,
  C.ASM_PROCESSOR_OVERRIDES,
  C.ASM_CUSTOM_DATA_SCANNERS,
  C.ASM_EXCLUSION_DATA,
  C.ASM_ENDPOINT_FINGERPRINT,
  C.ASM_SESSION_FINGERPRINT,
  C.ASM_NETWORK_FINGERPRINT,
  C.ASM_HEADER_FINGERPRINT,
  C.ASM_DD_MULTICONFIG,
  C.ASM_TRACE_TAGGING_RULES,
  C.ASM_EXTENDED_DATA_COLLECTION,
  C.ASM_RASP_SQLI,
  C.ASM_RASP_SSRF,
  C.ASM_RASP_LFI,
  C.ASM_RASP_SHI,
  C.ASM_RASP_CMDI,
);

/**
 * The capabilities each product owns in dd-trace-js. Products it polls without capabilities (AGENT_CONFIG,
 * AGENT_TASK, LIVE_DEBUGGING) own none.
 */
export const DD_TRACE_JS_PRODUCT_CAPABILITIES: Readonly<Record<string, bigint>> = Object.freeze({
  // config/remote_config.js: multiconfig, the legacy per-setting bits, SDK_CONFIGURATION (delivered as APM_TRACING)
  APM_TRACING: union(
    C.APM_TRACING_MULTICONFIG,
    C.APM_TRACING_ENABLED,
    C.APM_TRACING_SAMPLE_RATE,
    C.APM_TRACING_SAMPLE_RULES,
    C.APM_TRACING_CUSTOM_TAGS,
    C.APM_TRACING_HTTP_HEADER_TAGS,
    C.APM_TRACING_LOGS_INJECTION,
    C.APM_TRACING_ENABLE_DYNAMIC_INSTRUMENTATION,
    C.APM_TRACING_ENABLE_LIVE_DEBUGGING,
    C.APM_TRACING_ENABLE_CODE_ORIGIN,
    C.SDK_CONFIGURATION,
  ),
  // appsec/remote_config.js enable()
  ASM_FEATURES: union(C.ASM_ACTIVATION, C.ASM_AUTO_USER_INSTRUM_MODE),
  ASM: ASM_WAF,
  ASM_DD: ASM_WAF,
  ASM_DATA: ASM_WAF,
  // openfeature/remote_config.js
  FFE_FLAGS: C.FFE_FLAG_CONFIGURATION_RULES,
});

/**
 * Which capability bits a product owns: a table, or a function (undefined = not known). Products it does not know
 * fall back to {@link DD_TRACE_JS_PRODUCT_CAPABILITIES}; map a product to `0n` to give it none.
 */
export type RcProductCapabilities = Readonly<Record<string, bigint>> | ((product: string) => bigint | undefined);

export function productCapabilities(product: string, lookup: RcProductCapabilities | undefined): bigint {
  const own =
    typeof lookup === 'function' ? lookup(product) : lookup !== undefined ? lookupOwn(lookup, product) : undefined;
  return own ?? lookupOwn(DD_TRACE_JS_PRODUCT_CAPABILITIES, product) ?? 0n;
}

function lookupOwn(table: Readonly<Record<string, bigint>>, product: string): bigint | undefined {
  return Object.hasOwn(table, product) ? table[product] : undefined;
}

export interface LaneCapabilities {
  readonly fast: bigint;
  readonly standard: bigint;
}

/**
 * Splits what the client advertises between its two requests (seed open question 4): the fast-lane request carries
 * only the bits its products own; the standard request carries every other bit, so both together advertise exactly
 * what one legacy request would. A bit owned by products of both lanes goes on both.
 */
export function splitCapabilities(
  total: bigint,
  fastProducts: readonly string[],
  standardProducts: readonly string[],
  lookup: RcProductCapabilities | undefined,
): LaneCapabilities {
  const owned = (products: readonly string[]) => union(...products.map((p) => productCapabilities(p, lookup)));
  const fastOwned = owned(fastProducts);
  const onlyFast = fastOwned & ~owned(standardProducts);
  return { fast: total & fastOwned, standard: total & ~onlyFast };
}

/** The inverse of `encodeCapabilities` for bytes: big-endian, any length. */
export function decodeCapabilities(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}
