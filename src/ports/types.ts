/** Data the ports carry: messages, token scopes and records, API limits. Plain types, no behaviour. */

export type Qos = 0 | 1 | 2

/** MQTT 5 publish properties that Postbridge carries end to end. */
export interface MessageProperties {
  contentType?: string
  payloadFormatIndicator?: boolean
  messageExpiryInterval?: number
  responseTopic?: string
  correlationData?: Uint8Array
  userProperties?: Record<string, string | string[]>
}

export interface Message {
  topic: string
  payload: Uint8Array
  qos: Qos
  retain: boolean
  properties?: MessageProperties
}

export interface PublishReceipt {
  /** Unique id of this message inside Postbridge (not the MQTT packet id). */
  id: string
  /** Set when the message was stored for later delivery (the edge while home is offline): the route answers 202. */
  queued?: boolean
}

export interface Scope {
  /** Topic filters the token may publish to. */
  publish: string[]
  /** Topic filters the token may read (retained, subscribe, request replies). */
  read: string[]
  admin: boolean
}

export interface TokenRecord {
  id: string
  name: string
  /** hex SHA-256 of the whole token; tokens are 256-bit random so a fast hash is enough. */
  hash: string
  scope: Scope
  createdAt: number
  lastUsedAt?: number
}

export interface ApiLimits {
  maxPayloadBytes: number
  /** Longest a /v1/request call may wait for a reply. */
  maxRequestTimeoutMs: number
  defaultRequestTimeoutMs: number
  maxBulk: number
  // The bounds below are optional for runtimes that predate them; src/limits/defaults.ts fills them.
  /** Largest JSON body (413 beyond), checked before it is buffered. */
  maxJsonBytes?: number
  /** Largest POST /v1/publish/bulk body. */
  maxBulkBytes?: number
  /** Bytes one SSE stream may hold for a slow reader before it is dropped. */
  sseBufferBytes?: number
  maxStreams?: number
  maxStreamsPerToken?: number
  /** Concurrent /v1/request waits. */
  maxRequests?: number
  maxRequestsPerToken?: number
  retainedPageSize?: number
  maxRetainedPageSize?: number
  retainedPageBytes?: number
}
