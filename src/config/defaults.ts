/** Defaults shared by the home node's config and the edge's settings, written once. */

/** Largest publish body the API accepts (413 beyond it): room for a JSON state or a small image, not a firmware. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024
/** How long /v1/request waits for a reply when the caller does not say. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000
/** The longest /v1/request may wait at home. */
export const DEFAULT_MAX_REQUEST_TIMEOUT_MS = 60_000
/** The longest /v1/request may wait at the edge: a Durable Object request should not hold on much longer. */
export const EDGE_MAX_REQUEST_TIMEOUT_MS = 30_000
/** Messages in one POST /v1/publish/bulk. */
export const DEFAULT_MAX_BULK = 1000
