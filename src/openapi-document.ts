/**
 * What the generated OpenAPI document needs beyond the route schemas, for clients that consume it: servers, a
 * licence, and an operationId per operation (code generators and Postman name their calls from it).
 */

/** Where the API is served; the document is the same for the home node and the Worker. */
export const SERVERS = [
  { url: 'http://raspberrypi.local:8080', description: 'A home node (the HTTP port defaults to 8080)' },
  {
    url: 'https://postbridge.{account}.workers.dev',
    description: 'The edge Worker',
    variables: { account: { default: 'your-account', description: 'Your workers.dev subdomain' } },
  },
]

export const LICENSE = { name: 'MIT', identifier: 'MIT' }

/** Chosen names, by "METHOD path"; an operation missing here gets one derived from its method and path. */
const OPERATION_IDS: Record<string, string> = {
  'GET /v1/health': 'getHealth',
  'GET /metrics': 'getMetrics',
  'POST /v1/publish/bulk': 'publishBulk',
  'POST /v1/publish': 'publishEnvelope',
  'POST /v1/publish/{topic}': 'publishToTopic',
  'GET /v1/retained': 'listRetained',
  'GET /v1/retained/{topic}': 'getRetained',
  'DELETE /v1/retained/{topic}': 'clearRetained',
  'POST /v1/request/{topic}': 'requestReply',
  'GET /v1/subscribe': 'subscribe',
  'POST /v1/tokens': 'createToken',
  'GET /v1/tokens': 'listTokens',
  'DELETE /v1/tokens/{id}': 'revokeToken',
  'POST /v1/webhooks': 'createWebhook',
  'GET /v1/webhooks': 'listWebhooks',
  'GET /v1/webhooks/{id}': 'getWebhook',
  'PATCH /v1/webhooks/{id}': 'updateWebhook',
  'DELETE /v1/webhooks/{id}': 'deleteWebhook',
  'GET /v1/webhooks/{id}/deliveries': 'listWebhookDeliveries',
  'POST /v1/webhooks/{id}/test': 'testWebhook',
  'POST /v1/webhooks/{id}/replay': 'replayWebhook',
  'GET /v1/sensors': 'listSensors',
  'POST /v1/sensors': 'createSensor',
  'GET /v1/sensors/{id}': 'getSensor',
  'PUT /v1/sensors/{id}': 'replaceSensor',
  'DELETE /v1/sensors/{id}': 'deleteSensor',
  'GET /v1/sensors/{id}/events': 'listSensorEvents',
  'GET /v1/notifiers': 'listNotifiers',
  'POST /v1/notifiers': 'createNotifier',
  'GET /v1/notifiers/{id}': 'getNotifier',
  'PUT /v1/notifiers/{id}': 'replaceNotifier',
  'DELETE /v1/notifiers/{id}': 'deleteNotifier',
  'POST /v1/notifiers/{id}/test': 'testNotifier',
  'GET /v1/notifiers/{id}/deliveries': 'listNotifierDeliveries',
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

/** `post /v1/webhooks/{id}/test` -> `postWebhooksByIdTest`. */
function derivedOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

/** Adds an operationId to every operation that has none (in place), and returns the document. */
export function withOperationIds<T extends { paths?: object }>(doc: T): T {
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, unknown> | undefined>)) {
    for (const method of METHODS) {
      const op = item?.[method] as { operationId?: string } | undefined
      if (op && op.operationId === undefined) op.operationId = OPERATION_IDS[`${method.toUpperCase()} ${path}`] ?? derivedOperationId(method, path)
    }
  }
  return doc
}
