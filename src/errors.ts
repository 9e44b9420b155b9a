/** The catalog of every error the HTTP API answers with, rendered as RFC 9457 problem+json. */

/** Where the documentation lives; an entry's `doc` is a page under it and a heading anchor on that page. */
export const DOCS_BASE = 'https://github.com/postbridge/postbridge/blob/main/'

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 431 | 500 | 501 | 503 | 504,
    readonly title: string,
    /** The page and heading that explain this error, e.g. `docs/http-api.md#topics` (errors.test.ts checks it exists). */
    readonly doc: string,
    readonly detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ? `${title}: ${detail}` : title)
  }

  /** The same error with a detail for this occurrence. */
  with(detail: string, extra?: Record<string, unknown>): ApiError {
    return new ApiError(this.code, this.status, this.title, this.doc, detail, extra)
  }

  get type(): string {
    return `${DOCS_BASE}${this.doc}`
  }

  toProblem(): Record<string, unknown> {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...this.extra,
    }
  }
}

/** Every answer the API gives is one of the entries below (errors.test.ts checks that each is used). */
function apiError(code: number, status: ApiError['status'], title: string, doc: string): ApiError {
  return new ApiError(code, status, title, doc)
}

export const errInvalidRequest = apiError(40001, 400, 'request is invalid', 'docs/http-api.md#errors')
export const errTopicInvalid = apiError(40002, 400, 'topic name is invalid', 'docs/mqtt.md#topics')
export const errFilterInvalid = apiError(40003, 400, 'topic filter is invalid', 'docs/mqtt.md#topics')
export const errQosInvalid = apiError(40004, 400, 'qos must be 0, 1 or 2', 'docs/http-api.md#publishing')
export const errJsonMalformed = apiError(40005, 400, 'body is not valid JSON', 'docs/http-api.md#errors')
export const errPayloadEncoding = apiError(40006, 400, 'payload does not match its encoding', 'docs/http-api.md#publishing')
export const errTimeoutInvalid = apiError(40007, 400, 'timeout is invalid', 'docs/http-api.md#request-reply')
export const errUrlInvalid = apiError(40008, 400, 'url is invalid', 'docs/webhooks.md#which-urls-are-allowed-and-why')
export const errUrlRefused = apiError(40009, 400, 'url points to a refused address', 'docs/webhooks.md#which-urls-are-allowed-and-why')
export const errMalformedRequest = apiError(40050, 400, 'request is not valid HTTP', 'docs/http-api.md#errors')
export const errUnauthorized = apiError(40101, 401, 'a valid bearer token is required', 'docs/http-api.md#authentication')
export const errForbidden = apiError(40301, 403, 'token scope does not allow this', 'docs/http-api.md#authentication')
export const errNotFound = apiError(40401, 404, 'not found', 'docs/http-api.md#errors')
export const errNoRetained = apiError(40402, 404, 'no retained message on this topic', 'docs/http-api.md#retained-messages')
export const errConflict = apiError(40901, 409, 'already exists', 'docs/http-api.md#errors')
export const errWebhookDeclared = apiError(
  40902,
  409,
  'webhook is declared in the config file',
  'docs/webhooks.md#declaring-webhooks-in-the-config-file',
)
export const errDeclaredInConfig = apiError(40903, 409, 'declared in the config file', 'docs/door-sensors.md#http-api')
export const errUserDeclared = apiError(40990, 409, 'mqtt user is declared in the config file', 'docs/mqtt.md#mqtt-devices-users-and-acls')
export const errNotifierInUse = apiError(40904, 409, 'notifier is used by sensors', 'docs/door-sensors.md#http-api')
export const errWebhookOwnerRevoked = apiError(40950, 409, 'the token that created this webhook was revoked', 'docs/http-api.md#authentication')
export const errWebhooksPerToken = apiError(40970, 409, 'too many webhooks for this token', 'docs/http-api.md#limits')
export const errActionUsed = apiError(41001, 410, 'this action was already used', 'docs/door-sensors.md#alert-actions')
export const errActionExpired = apiError(41002, 410, 'this action has expired', 'docs/door-sensors.md#alert-actions')
export const errPayloadTooLarge = apiError(41301, 413, 'payload is larger than the limit', 'docs/http-api.md#publishing')
export const errUnsupportedMediaType = apiError(41501, 415, 'unsupported media type', 'docs/http-api.md#errors')
export const errHeadersTooLarge = apiError(43150, 431, 'request headers are larger than the limit', 'docs/http-api.md#errors')
export const errStreamsPerToken = apiError(42970, 429, 'too many open streams for this token', 'docs/http-api.md#limits')
export const errRequestsPerToken = apiError(42971, 429, 'too many requests waiting for a reply for this token', 'docs/http-api.md#limits')
/** A bug of ours: logged with the request id, answered without internals. */
export const errInternal = apiError(50010, 500, 'internal error', 'docs/http-api.md#errors')
/** The Worker's variables are wrong: every request answers this until they are fixed. */
export const errEdgeMisconfigured = apiError(50011, 500, 'edge misconfigured', 'docs/edge.md#edge-configuration')
export const errNotAvailable = apiError(50101, 501, 'not available on this runtime', 'docs/http-api.md#errors')
export const errBusUnavailable = apiError(50301, 503, 'the broker is not accepting messages', 'docs/http-api.md#errors')
export const errStreamsFull = apiError(50370, 503, 'too many open streams', 'docs/http-api.md#limits')
export const errRequestsFull = apiError(50371, 503, 'too many requests waiting for a reply', 'docs/http-api.md#limits')
export const errReplyTimeout = apiError(50401, 504, 'no reply before the timeout', 'docs/http-api.md#request-reply')
