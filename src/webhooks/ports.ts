/** The ports of webhook delivery: the store (webhooks, outbox, attempts log), timers, DNS, and the service the routes call. */

/** Why a hook was disabled by Postbridge rather than by a person. */
export type DisabledReason = 'gone' | 'revoked'

export interface WebhookRecord {
  /** `wh_...` for hooks made through the API; the `id` written in the config file for declared ones. */
  id: string
  topicFilter: string
  url: string
  /** `whsec_<base64>`; never shown after creation. */
  secret: string
  /** Extra request headers (e.g. Authorization for Home Assistant). Values are secrets too: only names are shown. */
  headers: Record<string, string>
  enabled: boolean
  /** Set when delivery (not a person) disabled the hook: the receiver answered 410 Gone, or its token was revoked. */
  disabledReason?: DisabledReason
  source: 'api' | 'config'
  /** Token id that created it (API hooks). */
  createdBy?: string
  createdAt: number
  updatedAt: number
}

/** A message matched for one webhook, before the store gave it a sequence number. */
export interface NewOutboxEntry {
  webhookId: string
  /** `webhook-id` header and body `id`: the same on every retry, so receivers can drop duplicates. */
  messageId: string
  topicName: string
  /** The exact JSON bytes to send (as text): rendered once so that every retry signs the same body. */
  body: string
  createdAt: number
}

export interface OutboxEntry extends NewOutboxEntry {
  /** Store-wide increasing number: the delivery order within a webhook. */
  seq: number
  /** Attempts made so far. */
  attempts: number
  /** Not before this time (ms since epoch); 0 for "now". */
  nextAttemptAt: number
  state: 'pending' | 'dead'
}

export type AttemptOutcome = 'delivered' | 'retry' | 'dead' | 'gone' | 'test'

/** One POST, as the deliveries endpoint lists it. */
export interface AttemptRecord {
  webhookId: string
  messageId: string
  topicName: string
  /** 1 for the first try of a message. */
  attempt: number
  at: number
  durationMs: number
  /** The HTTP status, when the receiver answered. */
  status?: number
  /** Network error, timeout or policy refusal, when it did not. */
  error?: string
  outcome: AttemptOutcome
}

export interface EnqueueResult {
  /** The rows appended, with their seqs. */
  entries: OutboxEntry[]
  /** Pending rows made dead because their hook's outbox passed maxBytesPerHook. */
  evicted: { webhookId: string; seq: number }[]
}

/** What an attempt does to its outbox row. */
export type RowChange =
  | { seq: number; kind: 'delivered' }
  | { seq: number; kind: 'retry'; attempts: number; nextAttemptAt: number }
  | { seq: number; kind: 'dead'; attempts: number }

/** An attempt to log and, unless it was a test, the change to its row: applied together. */
export interface Settlement {
  attempt: AttemptRecord
  row?: RowChange
}

/** Webhooks, their outbox and the attempts log. Each adapter passes describeWebhookStore in src/testing/. */
export interface WebhookStore {
  listWebhooks(): Promise<WebhookRecord[]>
  getWebhook(id: string): Promise<WebhookRecord | undefined>
  /** Inserts or replaces the hook. */
  putWebhook(record: WebhookRecord): Promise<void>
  /** Removes the hook with its outbox rows and attempts; false when there was none. */
  deleteWebhook(id: string): Promise<boolean>
  /**
   * Appends the entries in one transaction, seqs increasing in the order given. Once the promise resolves they
   * survive a crash; adapters that can (SQLite) commit before returning, so a caller need not await to be durable.
   * Entries of a webhook that no longer exists are dropped. Entries with one messageId share one stored copy of
   * the body. With maxBytesPerHook, a hook whose pending bodies pass it has its oldest pending rows made dead (each
   * logged as a dead attempt), and its oldest dead rows deleted while they pass it too; the row just appended stays.
   */
  enqueue(entries: NewOutboxEntry[], options?: { maxBytesPerHook?: number; now?: number }): Promise<EnqueueResult>
  /**
   * Pending rows of a webhook with seq > afterSeq, oldest first: at most `limit`, and with maxBytes only as many as
   * their bodies (UTF-8) fit in, the first one whatever its size.
   */
  pending(webhookId: string, afterSeq: number, limit: number, maxBytes?: number): Promise<OutboxEntry[]>
  /** Applies the settlements in order, in one transaction; rows or hooks deleted meanwhile are skipped. */
  settle(settlements: Settlement[]): Promise<void>
  /** Newest first. */
  attempts(webhookId: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]>
  /** Dead rows become pending again with a fresh attempt budget; pending rows waiting for a retry become due now. */
  requeue(webhookId: string, now: number): Promise<number>
  counts(webhookId: string): Promise<{ pending: number; dead: number }>
  /** Keeps the newest `keepAttempts` attempts of each webhook. */
  prune(keepAttempts: number): Promise<void>
  /** How many message bodies are stored (one per message, whatever the number of hooks it matched). */
  storedBodyCount(): Promise<number>
}

/** Addresses a host name resolves to. Node passes dns.lookup; a runtime that cannot resolve passes none. */
export type Resolver = (hostname: string) => Promise<string[]>

/** The webhook as the API shows it: no secret, header names only. */
export interface WebhookView {
  id: string
  filter: string
  url: string
  headerNames: string[]
  enabled: boolean
  disabledReason?: DisabledReason
  source: 'api' | 'config'
  /** Token id that created it; absent for hooks from the config file, which belong to admins. Not shown by the API. */
  owner?: string
  createdAt: number
  updatedAt: number
  pending: number
  dead: number
}

export interface WebhookInput {
  filter: string
  url: string
  secret?: string
  headers?: Record<string, string>
  enabled?: boolean
}

export type WebhookPatch = Partial<WebhookInput>

export interface TestResult {
  ok: boolean
  status?: number
  error?: string
  durationMs: number
}

/** What the /v1/webhooks routes need; errors are ApiErrors. Access control stays in the routes. */
export interface WebhookService {
  create(input: WebhookInput, createdBy: string): Promise<{ webhook: WebhookView; secret: string }>
  list(): Promise<WebhookView[]>
  get(id: string): Promise<WebhookView | undefined>
  /** A new URL drops the stored headers and secret unless the patch gives them: `secret` is set when one was generated. */
  update(id: string, patch: WebhookPatch): Promise<{ webhook: WebhookView; secret?: string }>
  remove(id: string): Promise<boolean>
  deliveries(id: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]>
  /** Sends a test message now, outside the outbox, and says how the receiver answered. */
  test(id: string): Promise<TestResult>
  /** Re-queues dead deliveries and makes waiting retries due now; resolves with the number of rows re-queued. */
  replay(id: string): Promise<number>
  /** Disables every enabled hook the token created (it was revoked); resolves with how many. */
  disableOwnedBy(tokenId: string): Promise<number>
  /** Token ids that own an enabled hook. */
  activeOwners(): string[]
}
