// Goals of issue 9 (P5) for the soak.
export const SOAK_MAX_GROWTH_PERCENT = 10;
export const SOAK_MAX_RSS_BYTES_10K_CLIENTS = 200 * 1000 * 1000;
