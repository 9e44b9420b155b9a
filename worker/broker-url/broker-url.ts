/**
 * `BROKER_URL`: the Worker as a direct MQTT client of a broker that is already public (a cloud broker, mosquitto with
 * TLS), instead of the link to a home node. Pure: it reads the vars and returns the target, or throws the ConfigError
 * of the home config naming the variable.
 */
import { ConfigError } from '../../src/config.js'

/** The Worker's vars for this mode (BROKER_USERNAME and BROKER_PASSWORD are best set as secrets). */
export interface BrokerUrlVars {
  BROKER_URL?: string
  BROKER_USERNAME?: string
  BROKER_PASSWORD?: string
}

export interface BrokerTarget {
  hostname: string
  port: number
  /** mqtts://: TLS from the first byte (`secureTransport: 'on'`). */
  tls: boolean
  username?: string
  password?: string
  /** The URL for logs and /v1/health: scheme, host and port, never a credential. */
  shownUrl: string
}

/** Default ports of MQTT over TCP and over TLS (IANA). */
const DEFAULT_PORT = { 'mqtt:': 1883, 'mqtts:': 8883 } as const

/** True when the Worker should talk MQTT straight to a broker: BROKER_URL is set and not blank. */
export function hasBrokerUrl(vars: BrokerUrlVars): boolean {
  return vars.BROKER_URL !== undefined && vars.BROKER_URL !== ''
}

/**
 * Checks BROKER_URL (and BROKER_USERNAME / BROKER_PASSWORD); throws a ConfigError whose problem names the variable.
 * @example parseBrokerUrl({ BROKER_URL: 'mqtts://user:pw@broker.example:8883' }).tls // true
 */
export function parseBrokerUrl(vars: BrokerUrlVars): BrokerTarget {
  const problem = (text: string) => new ConfigError([text])
  const raw = (vars.BROKER_URL ?? '').trim()
  const shown = redact(raw)
  if (raw === '') throw problem('BROKER_URL is not set')
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw problem(`BROKER_URL: "${shown}" is not a URL (use mqtt://host:1883 or mqtts://host:8883)`)
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') {
    throw problem(`BROKER_URL: scheme "${url.protocol.replace(/:$/, '')}" is not supported (use mqtt:// or mqtts://)`)
  }
  // IPv6 literals come bracketed from URL; connect() takes the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (hostname === '') throw problem(`BROKER_URL: "${shown}" has no host name`)
  if (url.port === '0') throw problem(`BROKER_URL: "${shown}" has port 0`)
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw problem(`BROKER_URL: "${shown}" has a path, query or fragment; give only mqtt(s)://[user:password@]host[:port]`)
  }
  const urlUser = decodeOrUndefined(url.username)
  const urlPassword = decodeOrUndefined(url.password)
  if (urlUser === null || urlPassword === null) throw problem('BROKER_URL: the username or password is not valid percent-encoding')
  if (urlUser !== undefined && vars.BROKER_USERNAME) throw problem('BROKER_URL has a username and BROKER_USERNAME is set too: give it in one place')
  if (urlPassword !== undefined && vars.BROKER_PASSWORD)
    throw problem('BROKER_URL has a password and BROKER_PASSWORD is set too: give it in one place')
  const port = url.port === '' ? DEFAULT_PORT[url.protocol] : Number(url.port)
  const username = urlUser ?? (vars.BROKER_USERNAME || undefined)
  const password = urlPassword ?? (vars.BROKER_PASSWORD || undefined)
  const target: BrokerTarget = {
    hostname,
    port,
    tls: url.protocol === 'mqtts:',
    shownUrl: `${url.protocol}//${url.hostname}:${port}`,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  }
  return target
}

/** undefined when empty, null when the percent-encoding is broken. */
function decodeOrUndefined(part: string): string | undefined | null {
  if (part === '') return undefined
  try {
    return decodeURIComponent(part)
  } catch {
    return null
  }
}

/** The value for an error message, with anything between "//" and "@" (a username and password) hidden. */
function redact(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@')
}
