/** What the core needs from a runtime. Each port has one real adapter per runtime and an in-memory fake in testing/. */

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

export type Unsubscribe = () => Promise<void>

export interface SubscribeOptions {
  /**
   * MQTT 5 Retain As Published [MQTT-3.8.3-3]: keep the retain flag a message was published with. Without it a live
   * message arrives with retain false, as to any subscriber. The edge link needs it to mirror retained state.
   */
  retainAsPublished?: boolean
}

/**
 * The MQTT side: a broker in process (home), the link (edge), or an external broker. Every adapter passes
 * describeBus (src/testing/bus-contract.ts), which holds it to this:
 * - Retain: a live message reaches a subscriber with retain false, unless it subscribed with Retain As Published
 *   [MQTT-3.3.1-9] [MQTT-3.3.1-12]; an empty retained message clears the topic, and clearRetained is one.
 * - subscribe refuses an invalid filter (rejects) before anything is subscribed.
 * - A subscriber that throws is isolated: the others still get the message, and the bus goes on.
 * - Each message reaches a subscription once, however many of its filters match.
 * - One publisher's messages at one QoS reach subscribers in publish order [MQTT-4.6.0-6].
 * - Where the bus owns the broker (the embedded aedes broker, the memory fake), onMessage has run for every
 *   subscriber before publish resolves, and before an MQTT client's PUBACK. Webhook durability depends on it: the
 *   dispatcher writes its outbox row inside onMessage, so an acknowledged message is in the outbox. A client of
 *   another broker (external broker, BROKER_URL, the edge over the link) hears a message after the broker
 *   acknowledged it, so there a crash between the two can lose a webhook delivery.
 */
export interface Bus {
  /** Resolves once the broker accepted the message; for qos >= 1 it is in the broker's persistent store. */
  publish(message: Message): Promise<PublishReceipt>
  /** Calls onMessage for each message matching any of the filters until the returned function is called. */
  subscribe(topicFilters: string[], onMessage: (message: Message) => void, options?: SubscribeOptions): Promise<Unsubscribe>
  /** Retained messages whose topic matches the filter. */
  retained(topicFilter: string): Promise<Message[]>
  /** Optional: the same, one at a time, so a caller keeps only what it needs (GET /v1/retained pages). */
  eachRetained?(topicFilter: string, onMessage: (message: Message) => void): Promise<void>
  /** Removes the retained message of a topic name (an empty retained publish). */
  clearRetained(topicName: string): Promise<void>
  /** Runtime facts for /v1/health and /metrics. */
  status(): BusStatus
}

export interface BusStatus {
  kind: 'embedded' | 'link' | 'external' | 'memory'
  connected: boolean
  clients?: number
  messagesIn?: number
  messagesOut?: number
  detail?: Record<string, unknown>
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

export interface TokenStore {
  create(record: TokenRecord): Promise<void>
  get(id: string): Promise<TokenRecord | undefined>
  list(): Promise<TokenRecord[]>
  /** True when a token was removed. */
  revoke(id: string): Promise<boolean>
  touch?(id: string, at: number): Promise<void>
}

export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Prometheus-style counters kept by the core (routes) and read by /metrics. */
export interface Metrics {
  countRequest(route: string, method: string, status: number): void
  render(extra: MetricLine[]): string
}

export interface MetricLine {
  name: string
  help: string
  type: 'counter' | 'gauge'
  value: number
  labels?: Record<string, string>
}

export interface Deps {
  bus: Bus
  tokens: TokenStore
  now(): number
  /** Keeps a background task alive after the response (waitUntil on Workers). */
  defer(task: Promise<unknown>): void
  log: Logger
  metrics: Metrics
  limits: ApiLimits
  /** Generates ids; crypto.randomUUID by default. */
  newId?(): string
  /** Optional: metric lines of features (webhook deliveries, link state) for /metrics. */
  metricLines?(): MetricLine[]
  /** Optional: extra facts for /v1/health (link state, store). */
  health?(): Promise<Record<string, unknown>> | Record<string, unknown>
  /** Optional: door sensors and phone alerts (src/notify/); /v1/sensors and /v1/notifiers answer 501 without it. */
  notify?: import('./notify/ports.js').NotifyService
  /** Optional: ends the streams, request waits and webhooks of a revoked token (src/auth/revocation.ts). */
  tokenWatch?: import('./auth/revocation.js').TokenWatch
  /** Optional: webhooks (src/webhooks/); the /v1/webhooks routes answer 501 without it. */
  webhooks?: import('./webhooks/ports.js').WebhookService
  /** Optional: the buttons of phone alerts; /v1/actions answers 501 without it. */
  actions?: Pick<import('./notify/actions.js').ActionService, 'peek' | 'use'>
  /** Optional: a consistent snapshot of the node's data; GET /v1/backup answers 501 without it. */
  backup?: BackupSource
  /** Optional: the broker's connected MQTT clients; /v1/clients answers 501 without it (external broker, edge). */
  clients?: ClientDirectory
  /** Optional: MQTT users kept by this node; /v1/mqtt-users answers 501 without it. */
  mqttUsers?: MqttUserAdmin
  /** Optional: the dashboard's files, served at `/` and `/ui/`; `/` answers 404 without them. */
  dashboard?: DashboardAssets
}

/** A backup taken while the node runs: one file that `postbridge restore` puts back into an empty data directory. */
export interface BackupSource {
  /** The media type of the file, e.g. application/vnd.sqlite3. */
  contentType: string
  /**
   * Takes the snapshot; the stream is the file. `omitTokenIds` are left out of the copy (a one-off token that
   * downloads the backup must not live on in it).
   */
  create(opts?: { omitTokenIds?: string[] }): Promise<ReadableStream<Uint8Array>>
}

/** One file of the dashboard, held in memory (the whole dashboard is under 100 KiB gzipped). */
export interface DashboardAsset {
  body: Uint8Array
  /** The same bytes gzipped, sent to browsers that accept gzip. */
  gzip?: Uint8Array
  contentType: string
}

/** The dashboard's files by path: `index.html` (served at `/`) and `ui/...` (served at `/ui/...`). */
export interface DashboardAssets {
  /** May be async: at the edge the files would come from a binding. */
  get(path: string): DashboardAsset | undefined | Promise<DashboardAsset | undefined>
}

/** One connected MQTT client, as GET /v1/clients shows it. */
export interface ClientInfo {
  clientId: string
  /** Absent for anonymous clients. */
  username?: string
  /** Remote address and port, e.g. `127.0.0.1:51234`. */
  address?: string
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  protocolVersion?: number
  /** ms since epoch when the CONNACK was sent. */
  connectedAt?: number
  /** Seconds; 0 means none. */
  keepAliveSeconds?: number
  subscriptions: number
  transport?: 'tcp' | 'websocket'
}

/** The broker's client list, and a way to end one connection. */
export interface ClientDirectory {
  list(): ClientInfo[]
  /** Closes the connection (MQTT 5: DISCONNECT 0x98 Administrative action); false when no such client is connected. */
  disconnect(clientId: string): Promise<boolean>
}

/** An MQTT user without its password hash. */
export interface MqttUserInfo {
  username: string
  publish: string[]
  subscribe: string[]
  /** 'config': declared in the config file, read-only here. */
  source: 'config' | 'api'
}

/** The MQTT users of this node: a user added here can connect at once; removal refuses new connections. */
export interface MqttUserAdmin {
  list(): Promise<MqttUserInfo[]>
  /** False when the username is taken. */
  create(user: { username: string; passwordHash: string; publish: string[]; subscribe: string[] }): Promise<boolean>
  /** 'declared': the user comes from the config file and stays. */
  remove(username: string): Promise<'removed' | 'absent' | 'declared'>
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
