/**
 * CONNECT authentication: username + password against the user directory, anonymous clients only
 * from loopback unless allowAnonymous, and the Will topic checked against the user's ACL up front
 * (a will is published after the client is gone, when nobody can be told it was refused).
 */
import { BlockList, isIP, type Socket } from 'node:net'
import type { Client, ConnectPacket } from 'aedes'
import { hashPassword } from '../../src/auth/password.js'
import type { Logger } from '../../src/ports/logger.js'
import { ANONYMOUS, mayPublish, ownerOf, principalForUser, type Principal } from './acl.js'
import { clientInternals } from './aedes-internals.js'
import type { MqttUser, UserDirectory } from './users.js'
import { LoginThrottle } from '../../src/auth/login-throttle.js'
import { refuseRateExceeded } from './aedes/connack-rate-exceeded.js'
import type { PasswordCheck } from './password-check.js'

/**
 * MQTT 3.1.1 CONNACK return codes; aedes maps them to the MQTT 5 reason codes (0x85, 0x88, 0x86, 0x87).
 * A refusal by the login throttle is 0x9F for MQTT 5 (aedes/connack-rate-exceeded.ts), 0x05 for 3.1.1.
 */
export const CONNACK = { IDENTIFIER_REJECTED: 2, SERVER_UNAVAILABLE: 3, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const
type ConnackCode = (typeof CONNACK)[keyof typeof CONNACK]

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** Whether the address is loopback: 127.0.0.0/8, ::1, or an IPv4-mapped 127.x (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const plain = address.split('%')[0]! // drop an IPv6 zone id
  const family = isIP(plain)
  if (family === 0) return false
  // BlockList also matches IPv4-mapped IPv6 addresses against the IPv4 subnet.
  return LOOPBACK.check(plain, family === 4 ? 'ipv4' : 'ipv6')
}

/** Headers a reverse proxy (nginx, Caddy, Traefik, Cloudflare, Akamai) adds: the request came through it. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip']

/**
 * Where a client connects from. Over WebSocket a proxy header means the peer is not who the socket
 * says: a proxy on this machine makes every client's socket look like loopback.
 */
export function remoteOf(client: Client): { address: string | undefined; proxied: boolean } {
  const req = clientInternals(client).req
  if (req) {
    const proxied = PROXY_HEADERS.some((name) => req.headers[name] !== undefined)
    return { address: req.socket?.remoteAddress, proxied }
  }
  return { address: (client.conn as Partial<Socket>).remoteAddress, proxied: false }
}

export interface AuthenticatorOptions {
  allowAnonymous: boolean
  /** false: anonymous clients are refused on loopback too (a reverse proxy or TCP tunnel on this host). Default true. */
  anonymousFromLoopback?: boolean
  users: UserDirectory
  passwords: PasswordCheck
  /** Repeated failures per source address and per username: back off, then refuse. Off when absent. */
  throttle?: LoginThrottle
  now?: () => number
  log: Logger
  /** The user a verified client certificate names (mosquitto's use_identity_as_username); no password then. */
  identityOf?(client: Client): string | undefined
  /** Who owns which client id's session (session-owners.ts); without it any user may take any client id. */
  sessions?: {
    claim(client: Client, owner: string): boolean
    storedOwner(clientId: string): string | undefined
    discard(clientId: string): Promise<void>
  }
}

/** Too many failed logins, or too many waiting: 0x9F for MQTT 5, 0x05 Not authorized for 3.1.1. */
function rateRefusal(reason: string): Decision {
  return { code: CONNACK.NOT_AUTHORIZED, reason, rateExceeded: true }
}

/** Whether the client's connection is still open (checks waiting for their turn are dropped otherwise). */
function isOpen(client: Client): boolean {
  return !(client as Client & { closed?: boolean }).closed && !client.conn.destroyed
}

type AuthDone = (error: (Error & { returnCode: number }) | null, success: boolean | null) => void

type Decision = { principal: Principal; passwordHash?: string } | { code: ConnackCode; reason: string; rateExceeded?: true }

export class Authenticator {
  private readonly principals = new WeakMap<Client, Principal>()
  private readonly wills = new WeakMap<Client, string>()
  private readonly passwordHashes = new WeakMap<Client, string>()
  private dummyHash: Promise<string> | undefined

  constructor(private readonly options: AuthenticatorOptions) {}

  /** The principal of an authenticated client. */
  principalOf(client: Client): Principal | undefined {
    return this.principals.get(client)
  }

  /** A user's ACL changed while the client is connected (user-watch.ts). */
  setPrincipal(client: Client, principal: Principal): void {
    this.principals.set(client, principal)
  }

  /** The stored hash of the password the client logged in with (undefined for anonymous clients). */
  passwordHashOf(client: Client): string | undefined {
    return this.passwordHashes.get(client)
  }

  /** aedes preConnect: remember the Will topic, which the authenticate hook does not receive. */
  noteConnect(client: Client, packet: ConnectPacket): void {
    if (packet.will) this.wills.set(client, packet.will.topic)
  }

  /** aedes' authenticate hook. */
  readonly authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: AuthDone): void => {
    this.decide(client, username, password).then(
      (decision) => {
        if ('principal' in decision) {
          this.principals.set(client, decision.principal)
          if (decision.passwordHash !== undefined) this.passwordHashes.set(client, decision.passwordHash)
          done(null, true)
          return
        }
        const { address } = remoteOf(client)
        // Never log the password, nor whether the username exists.
        this.options.log.warn({ clientId: client.id, username, remoteAddress: address, reason: decision.reason }, 'mqtt connect refused')
        if (decision.rateExceeded && client.version === 5) {
          refuseRateExceeded(client, decision.reason, done)
          return
        }
        done(Object.assign(new Error(decision.reason), { returnCode: decision.code }), false)
      },
      (err: unknown) => {
        this.options.log.error({ clientId: client.id, err }, 'mqtt authentication failed')
        done(Object.assign(new Error('server unavailable'), { returnCode: CONNACK.SERVER_UNAVAILABLE }), false)
      },
    )
  }

  private async decide(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Decision> {
    let principal: Principal
    let passwordHash: string | undefined
    const identity = this.options.identityOf?.(client)
    if (identity !== undefined) {
      // The CA vouched for the name; a username in CONNECT is ignored, as mosquitto does.
      const user = await this.options.users.find(identity).catch(() => undefined)
      if (!user) return { code: CONNACK.NOT_AUTHORIZED, reason: `certificate names "${identity}", who is not an MQTT user` }
      principal = principalForUser(user, client.id)
      passwordHash = user.passwordHash
    } else if (username === undefined) {
      // MQTT 5 allows a password without a username; it is still an attempt to authenticate.
      if (password !== undefined) return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'password without username' }
      const { address, proxied } = remoteOf(client)
      const trustLoopback = this.options.anonymousFromLoopback !== false
      if (!this.options.allowAnonymous && (!trustLoopback || proxied || !isLoopbackAddress(address))) {
        return {
          code: CONNACK.NOT_AUTHORIZED,
          reason: trustLoopback ? 'anonymous clients are accepted from loopback only' : 'anonymous clients are not accepted',
        }
      }
      principal = ANONYMOUS
    } else {
      let user: MqttUser | undefined
      try {
        user = await this.options.users.find(username)
      } catch (err) {
        this.options.log.error({ err, username }, 'mqtt user lookup failed')
        return { code: CONNACK.SERVER_UNAVAILABLE, reason: 'user directory unavailable' }
      }
      // An unknown user costs the same PBKDF2 run as a known one, so timing does not tell them apart.
      const storedHash = user?.passwordHash ?? (await this.unknownUserHash())
      const given = password ?? new Uint8Array(0)
      const { passwords, throttle } = this.options
      const now = this.options.now ?? Date.now
      const { address } = remoteOf(client)
      const keys = [`addr:${address ?? 'unknown'}`, `user:${username}`]
      // A password that already succeeded is never held back: a flood against a username must not lock its device out.
      const known = passwords.remembered(username, given, storedHash)
      if (throttle && known !== true) {
        const verdict = throttle.verdict(keys, now())
        if (verdict.kind === 'refuse') return rateRefusal('too many failed logins')
        if (verdict.kind === 'wait') {
          await new Promise((resolve) => setTimeout(resolve, verdict.ms))
          if (!isOpen(client)) return { code: CONNACK.SERVER_UNAVAILABLE, reason: 'connection closed while backing off' }
        }
      }
      const result =
        known === undefined
          ? await passwords.attempt(username, given, storedHash, {
              lane: address ?? 'unknown',
              isAlive: () => isOpen(client),
              isSuspect: () => throttle?.failing(keys[0]!, now()) ?? false,
            })
          : known
            ? 'ok'
            : 'wrong'
      if (result === 'busy') return rateRefusal('too many logins waiting')
      if (result === 'gone') return { code: CONNACK.SERVER_UNAVAILABLE, reason: 'connection closed before its password check' }
      if (!user || result === 'wrong') {
        throttle?.failed(keys, now())
        return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'bad username or password' }
      }
      throttle?.succeeded(`user:${username}`)
      principal = principalForUser(user, client.id)
      passwordHash = user.passwordHash
    }
    const willTopic = this.wills.get(client)
    if (willTopic !== undefined && !mayPublish(principal, willTopic)) {
      return { code: CONNACK.NOT_AUTHORIZED, reason: 'will topic not allowed' }
    }
    const sessions = this.options.sessions
    const storedOwner = sessions?.storedOwner(client.id)
    if (sessions && storedOwner && storedOwner !== ownerOf(principal) && !(await this.options.users.find(storedOwner))) {
      // The session of a user who was removed: nobody can resume it, so it ends and frees its client id.
      this.options.log.info({ clientId: client.id, owner: storedOwner }, 'mqtt session of a removed user discarded')
      await sessions.discard(client.id)
    }
    // Last, and with no await before it: the claim is the decision to let this client in.
    if (sessions && !sessions.claim(client, ownerOf(principal))) {
      return { code: CONNACK.IDENTIFIER_REJECTED, reason: 'client id in use by another user' }
    }
    return { principal, passwordHash }
  }

  private unknownUserHash(): Promise<string> {
    this.dummyHash ??= hashPassword(crypto.randomUUID())
    return this.dummyHash
  }
}
