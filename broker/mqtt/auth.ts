/**
 * CONNECT authentication: username + password against the user directory, anonymous clients only
 * from loopback unless allowAnonymous, and the Will topic checked against the user's ACL up front
 * (a will is published after the client is gone, when nobody can be told it was refused).
 */
import { BlockList, isIP, type Socket } from 'node:net'
import type { Client, ConnectPacket } from 'aedes'
import { hashPassword } from '../../src/auth/password.js'
import type { Logger } from '../../src/ports.js'
import { ANONYMOUS, mayPublish, principalForUser, type Principal } from './acl.js'
import { clientInternals } from './aedes-internals.js'
import type { UserDirectory } from './broker.js'
import { LoginThrottle } from '../../src/auth/login-throttle.js'
import { refuseRateExceeded } from './aedes/connack-rate-exceeded.js'
import type { PasswordCheck } from './password-check.js'

/**
 * MQTT 3.1.1 CONNACK return codes; aedes maps them to the MQTT 5 reason codes (0x88, 0x86, 0x87).
 * A refusal by the login throttle is 0x9F for MQTT 5 (aedes/connack-rate-exceeded.ts), 0x05 for 3.1.1.
 */
export const CONNACK = { SERVER_UNAVAILABLE: 3, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const
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

/** Where a client connects from. Over WebSocket a proxy header means the peer is not who the socket says. */
export function remoteOf(client: Client): { address: string | undefined; proxied: boolean } {
  const req = clientInternals(client).req
  if (req) {
    const h = req.headers
    const proxied = h['x-forwarded-for'] !== undefined || h['forwarded'] !== undefined || h['x-real-ip'] !== undefined
    return { address: req.socket?.remoteAddress, proxied }
  }
  return { address: (client.conn as Partial<Socket>).remoteAddress, proxied: false }
}

export interface AuthenticatorOptions {
  allowAnonymous: boolean
  users: UserDirectory
  passwords: PasswordCheck
  /** Repeated failures per source address and per username: back off, then refuse. Off when absent. */
  throttle?: LoginThrottle
  now?: () => number
  log: Logger
  /** The user a verified client certificate names (mosquitto's use_identity_as_username); no password then. */
  identityOf?(client: Client): string | undefined
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

type Decision = { principal: Principal } | { code: ConnackCode; reason: string; rateExceeded?: true }

export class Authenticator {
  private readonly principals = new WeakMap<Client, Principal>()
  private readonly wills = new WeakMap<Client, string>()
  private dummyHash: Promise<string> | undefined

  constructor(private readonly options: AuthenticatorOptions) {}

  /** The principal of an authenticated client. */
  principalOf(client: Client): Principal | undefined {
    return this.principals.get(client)
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
    const identity = this.options.identityOf?.(client)
    if (identity !== undefined) {
      // The CA vouched for the name; a username in CONNECT is ignored, as mosquitto does.
      const user = await this.options.users.find(identity).catch(() => undefined)
      if (!user) return { code: CONNACK.NOT_AUTHORIZED, reason: `certificate names "${identity}", who is not an MQTT user` }
      principal = principalForUser(user, client.id)
    } else if (username === undefined) {
      // MQTT 5 allows a password without a username; it is still an attempt to authenticate.
      if (password !== undefined) return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'password without username' }
      const { address, proxied } = remoteOf(client)
      if (!this.options.allowAnonymous && (proxied || !isLoopbackAddress(address))) {
        return { code: CONNACK.NOT_AUTHORIZED, reason: 'anonymous clients are accepted from loopback only' }
      }
      principal = ANONYMOUS
    } else {
      let user
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
      const result = known === undefined ? await passwords.attempt(username, given, storedHash, {
              lane: address ?? 'unknown',
              isAlive: () => isOpen(client),
              isSuspect: () => throttle?.failing(keys[0]!, now()) ?? false,
            }) : known ? 'ok' : 'wrong'
      if (result === 'busy') return rateRefusal('too many logins waiting')
      if (result === 'gone') return { code: CONNACK.SERVER_UNAVAILABLE, reason: 'connection closed before its password check' }
      if (!user || result === 'wrong') {
        throttle?.failed(keys, now())
        return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'bad username or password' }
      }
      throttle?.succeeded(`user:${username}`)
      principal = principalForUser(user, client.id)
    }
    const willTopic = this.wills.get(client)
    if (willTopic !== undefined && !mayPublish(principal, willTopic)) {
      return { code: CONNACK.NOT_AUTHORIZED, reason: 'will topic not allowed' }
    }
    return { principal }
  }

  private unknownUserHash(): Promise<string> {
    this.dummyHash ??= hashPassword(crypto.randomUUID())
    return this.dummyHash
  }
}
