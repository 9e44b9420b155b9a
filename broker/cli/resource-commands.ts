/**
 * `postbridge webhook|sensor|notifier|client ...`: what a user manages over the API, from the shell. Each command
 * calls the running node's API (broker/cli/api-client.ts), prints one tab-separated line per item, or the API's own
 * JSON with --json, and has --help.
 */
import { parseArgs } from 'node:util'
import type { Config } from '../../src/config.js'
import { ApiCallError, apiTarget, callApi, withToken } from './api-client.js'

type Item = Record<string, unknown>
type Out = (line: string) => void

interface Action {
  usage: string
  /** What it makes belongs to the token that makes it (a webhook): a one-off token would take it along when revoked. */
  needsOwnToken?: boolean
  /** Flags beyond --node, --token, --json. */
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>
  positionals?: number
  run(api: (method: string, path: string, body?: unknown) => Promise<Response>, values: Record<string, unknown>, args: string[]): Promise<unknown>
  /** Lines for a person; the JSON answer is printed instead with --json. */
  show(result: unknown): string[]
}

interface Resource {
  what: string
  actions: Record<string, Action>
}

const cell = (v: unknown) => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v))
const rows = (items: Item[], columns: string[]) => items.map((i) => columns.map((c) => cell(i[c])).join('\t'))
const json = async (res: Response) => (res.status === 204 ? undefined : ((await res.json()) as unknown))
const id = (args: string[]) => encodeURIComponent(args[0]!)

const list = (path: string, key: string, columns: string[]): Action => ({
  usage: `list [--json]          one line per item: ${columns.join(', ')}`,
  run: async (api) => json(await api('GET', path)),
  show: (r) => rows(((r as Record<string, Item[]>)[key] ?? []) as Item[], columns),
})

const remove = (path: string, verb = 'remove', method = 'DELETE'): Action => ({
  usage: `${verb} ID`,
  positionals: 1,
  run: async (api, _v, args) => json(await api(method, `${path}/${id(args)}`)),
  show: () => ['done'],
})

export const RESOURCES: Record<string, Resource> = {
  webhook: {
    what: 'webhooks (MQTT messages carried out as signed HTTP requests)',
    actions: {
      list: list('/v1/webhooks', 'webhooks', ['id', 'filter', 'url', 'enabled', 'pending', 'dead']),
      add: {
        usage: 'add --filter FILTER --url URL [--secret whsec_...] --token TOKEN   (the secret is shown once)',
        needsOwnToken: true,
        options: { filter: { type: 'string' }, url: { type: 'string' }, secret: { type: 'string' } },
        run: async (api, v) => {
          if (!v.filter || !v.url) throw new ApiCallError('webhook add needs --filter and --url')
          return json(await api('POST', '/v1/webhooks', { filter: v.filter, url: v.url, ...(v.secret ? { secret: v.secret } : {}) }))
        },
        show: (r) => rows([r as Item], ['id', 'filter', 'url', 'secret']),
      },
      remove: remove('/v1/webhooks'),
    },
  },
  sensor: {
    what: 'door sensors',
    actions: {
      list: list('/v1/sensors', 'sensors', ['id', 'name', 'topic', 'state', 'battery', 'online', 'lastSeen']),
      add: {
        usage: 'add --id ID --name NAME --topic TOPIC [--heartbeat 24h] [--notify NOTIFIER]...',
        options: {
          id: { type: 'string' },
          name: { type: 'string' },
          topic: { type: 'string' },
          heartbeat: { type: 'string' },
          notify: { type: 'string', multiple: true },
        },
        run: async (api, v) => {
          if (!v.id || !v.name || !v.topic) throw new ApiCallError('sensor add needs --id, --name and --topic')
          const body = {
            id: v.id,
            name: v.name,
            topic: v.topic,
            ...(v.heartbeat ? { heartbeat: v.heartbeat } : {}),
            ...(v.notify ? { notify: v.notify } : {}),
          }
          return json(await api('POST', '/v1/sensors', body))
        },
        show: (r) => rows([r as Item], ['id', 'name', 'topic']),
      },
      remove: remove('/v1/sensors'),
    },
  },
  notifier: {
    what: 'phone alert channels (ntfy, Gotify, Pushover, Telegram, webhook)',
    actions: {
      list: list('/v1/notifiers', 'notifiers', ['id', 'type', 'source']),
      test: {
        usage: 'test ID                send a test alert and say how the provider answered',
        positionals: 1,
        run: async (api, _v, args) => json(await api('POST', `/v1/notifiers/${id(args)}/test`)),
        show: (r) => {
          const t = r as { ok: boolean; status?: number; error?: string }
          return [`${t.ok ? 'delivered' : 'failed'}${t.status !== undefined ? ` (HTTP ${t.status})` : ''}${t.error ? `: ${t.error}` : ''}`]
        },
      },
      remove: remove('/v1/notifiers'),
    },
  },
  client: {
    what: 'connected MQTT clients',
    actions: {
      list: list('/v1/clients', 'clients', ['clientId', 'username', 'address', 'protocolVersion', 'connectedAt', 'subscriptions']),
      disconnect: remove('/v1/clients', 'disconnect'),
    },
  },
}

export function resourceUsage(name: string): string {
  const r = RESOURCES[name]!
  const lines = Object.values(r.actions).map((a) => `  postbridge ${name} ${a.usage}`)
  return `${name}: ${r.what}, through the running node's API\n${lines.join('\n')}\n\nOptions: --node URL (the node's API, default: this config's HTTP address), --token TOKEN (or POSTBRIDGE_TOKEN;\nwithout one a one-off admin token is made in the data directory), --json (the API's answer as JSON).`
}

export async function resourceCommand(
  name: string,
  config: Config,
  args: string[],
  env: Record<string, string | undefined>,
  out: Out,
): Promise<void> {
  const resource = RESOURCES[name]!
  const [sub, ...rest] = args
  if (!sub || sub === '--help' || sub === 'help' || rest.includes('--help')) {
    out(resourceUsage(name))
    return
  }
  const action = resource.actions[sub]
  if (!action) throw new ApiCallError(`unknown ${name} command "${sub}" (postbridge ${name} --help)`)
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...action.options, node: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
    })
  } catch (err) {
    throw new ApiCallError(`${name} ${sub}: ${(err as Error).message}`)
  }
  const { values, positionals } = parsed
  if (positionals.length !== (action.positionals ?? 0)) throw new ApiCallError(`usage: postbridge ${name} ${action.usage}`)
  const target = apiTarget(config, env, {
    ...(typeof values.node === 'string' ? { url: values.node } : {}),
    ...(typeof values.token === 'string' ? { token: values.token } : {}),
  })
  if (action.needsOwnToken && !target.token) {
    throw new ApiCallError(
      `${name} ${sub} needs --token (or POSTBRIDGE_TOKEN): a ${name} belongs to the token that creates it, and is disabled when that token is revoked`,
    )
  }
  const result = await withToken(config, target, (token) =>
    action.run((method, path, body) => callApi(target, token, method, path, body), values, positionals),
  )
  if (values.json) out(JSON.stringify(result ?? { ok: true }, null, 2))
  else for (const line of action.show(result)) out(line)
}
