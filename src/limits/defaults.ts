/**
 * The HTTP API's resource limits and their defaults, written once: src/config.ts takes its defaults from here, and a
 * runtime that passes only the older limits (the edge) gets these. Sized for a Raspberry Pi with 1 GB of memory.
 */
import type { ApiLimits } from '../ports/types.js'

export const API_LIMIT_DEFAULTS = {
  /** A JSON body (publish envelope, token, webhook, sensor, notifier): a 256 KiB payload as base64 fits. */
  maxJsonBytes: 512 * 1024,
  /** A POST /v1/publish/bulk body. */
  maxBulkBytes: 2 * 1024 * 1024,
  /** Bytes of messages one SSE stream may hold for a reader that falls behind, before the stream is dropped. */
  sseBufferBytes: 1024 * 1024,
  /** Open SSE streams, all tokens together and per token. */
  maxStreams: 64,
  maxStreamsPerToken: 8,
  /** /v1/request calls waiting for a reply, all tokens together and per token. */
  maxRequests: 256,
  maxRequestsPerToken: 32,
  /** Retained messages per page of GET /v1/retained, by default and at most, and the page's byte cap. */
  retainedPageSize: 100,
  maxRetainedPageSize: 1000,
  retainedPageBytes: 1024 * 1024,
} as const

export type FullApiLimits = Required<ApiLimits>

/** The limits of deps with every optional one filled from the defaults. */
export function fullLimits(limits: ApiLimits): FullApiLimits {
  return { ...API_LIMIT_DEFAULTS, ...definedOnly(limits) } as FullApiLimits
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
