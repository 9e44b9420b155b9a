/**
 * Which webhook URLs Postbridge will POST to. http(s) only. Loopback and link-local targets are refused unless
 * `webhooks.allowPrivate` is true: loopback reaches services on this very machine that were never exposed (the
 * API itself, databases, the router's admin page through a local proxy), and link-local holds cloud metadata
 * endpoints (169.254.169.254) and unconfigured devices. LAN addresses (10/8, 172.16/12, 192.168/16, fc00::/7) are
 * allowed: Home Assistant and Node-RED live there, and that is what a home system is for.
 */
import type { Resolver } from './ports.js'

export type AddressClass = 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'other'

export interface UrlPolicy {
  allowPrivate: boolean
  /**
   * How the runtime that answers spells the setting that allows private targets, for the refusal's wording
   * (default `webhooks.allowPrivate: true`, the home node's key; the edge names its Worker variable).
   */
  allowPrivateSetting?: string
  /** Absent on runtimes that cannot resolve names (the Worker); literal addresses are still checked. */
  resolve?: Resolver
}

const MAX_URL_LENGTH = 2048

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN))
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined
}

/** Eight 16-bit groups of an IPv6 address (an embedded IPv4 tail allowed), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  let address = text.split('%')[0]! // a zone id (fe80::1%eth0) does not change the class
  const lastColon = address.lastIndexOf(':')
  const last = address.slice(lastColon + 1)
  if (last.includes('.')) {
    // ::ffff:127.0.0.1 -> ::ffff:7f00:1
    const v4 = parseIpv4(last)
    if (!v4) return undefined
    address = `${address.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`
  }
  const halves = address.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)))
  const head = toGroups(halves[0]!)
  if (halves.length === 1) return head.length === 8 && head.every(Number.isInteger) ? head : undefined
  const tail = toGroups(halves[1]!)
  const missing = 8 - head.length - tail.length
  if (missing < 1) return undefined
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail]
  return groups.every(Number.isInteger) ? groups : undefined
}

function classifyIpv4(b: number[]): AddressClass {
  if (b[0] === 127) return 'loopback'
  if (b[0] === 169 && b[1] === 254) return 'link-local'
  // 0.0.0.0/8 is "this host" and connects to the local machine on Linux.
  if (b[0] === 0) return 'unspecified'
  if (b[0]! >= 224) return 'multicast' // 224/4 multicast and 240/4 reserved, 255.255.255.255 broadcast
  return 'other'
}

/** The class of an IP literal (IPv4, or IPv6 without brackets), or undefined when the text is not one. */
export function classifyAddress(text: string): AddressClass | undefined {
  const v4 = parseIpv4(text)
  if (v4) return classifyIpv4(v4)
  if (!text.includes(':')) return undefined
  const g = parseIpv6(text)
  if (!g) return undefined
  const isZero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0)
  if (isZero(0, 8)) return 'unspecified'
  if (isZero(0, 7) && g[7] === 1) return 'loopback'
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
  const mapped = isZero(0, 5) && g[5] === 0xffff
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && isZero(2, 6)
  if (mapped || nat64) return classifyIpv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff])
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local'
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast'
  return 'other'
}

/** The home node's spelling of the setting that allows private targets. */
export const HOME_ALLOW_PRIVATE_SETTING = 'webhooks.allowPrivate: true'

function refusal(address: string, cls: AddressClass, policy: UrlPolicy): string | undefined {
  if (cls === 'multicast') return `${address} is a multicast or broadcast address`
  if (policy.allowPrivate || cls === 'other') return undefined
  return `${address} is a ${cls} address; set ${policy.allowPrivateSetting ?? HOME_ALLOW_PRIVATE_SETTING} to allow it`
}

/** Syntax only: why `raw` cannot be a webhook URL, or undefined. No DNS. */
export function checkUrlSyntax(raw: string): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `url is longer than ${MAX_URL_LENGTH} characters`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'url is not an absolute URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url must be http or https, not ${url.protocol.replace(/:$/, '')}`
  // fetch refuses URLs with credentials; headers carry them instead.
  if (url.username || url.password) return 'url must not hold a user name or password; send credentials in headers'
  return undefined
}

/**
 * Why the URL is refused, or undefined when Postbridge may POST to it. Names are resolved through the policy's
 * resolver; a name that does not resolve now is let through (delivery checks again and fails until it does).
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<string | undefined> {
  const syntax = checkUrlSyntax(raw)
  if (syntax) return syntax
  // WHATWG URL parsing already turned 0x7f.1, 2130706433 and friends into dotted quads.
  const host = new URL(raw).hostname.replace(/^\[(.*)\]$/, '$1')
  const literal = classifyAddress(host)
  if (literal) return refusal(host, literal, policy)
  const name = host.toLowerCase().replace(/\.$/, '')
  // RFC 6761 §6.3: localhost names are loopback whatever DNS says.
  if (name === 'localhost' || name.endsWith('.localhost')) return refusal(name, 'loopback', policy)
  if (policy.allowPrivate || !policy.resolve) return undefined
  let addresses: string[]
  try {
    addresses = await policy.resolve(name)
  } catch {
    return undefined
  }
  for (const address of addresses) {
    const reason = refusal(address, classifyAddress(address) ?? 'other', { ...policy, allowPrivate: false })
    if (reason) return `${name} resolves to ${reason}`
  }
  return undefined
}
