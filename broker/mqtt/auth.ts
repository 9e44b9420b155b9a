/**
 * CONNECT authentication: username + password against the user directory, anonymous clients only
 * from loopback unless allowAnonymous, and the Will topic checked against the user's ACL up front
 * (a will is published after the client is gone, when nobody can be told it was refused).
 */
import { BlockList, isIP, type Socket } from 'node:net'
import type { Client, ConnectPacket } from 'aedes'
import { hashPassword } from '../../src/auth/password.js'
import type { Logger } from '../../src/ports.js'
import { ANONYMOUS, mayPublish, ownerOf, principalForUser, type Principal } from './acl.js'
import { clientInternals } from './aedes-internals.js'
import type { UserDirectory } from './broker.js'
import type { PasswordCheck } from './password-check.js'

/** MQTT 3.1.1 CONNACK return codes; aedes maps them to the MQTT 5 reason codes (0x88, 0x86, 0x87). */
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
  log: Logger
  /** Who owns which client id's session (session-owners.ts); without it any user may take any client id. */
  sessions?: { claim(client: Client, owner: string): boolean; storedOwner(clientId: string): string | undefined; discard(clientId: string): Promise<void> }
}

type AuthDone = (error: (Error & { returnCode: number }) | null, success: boolean | null) => void

type Decision = { principal: Principal; passwordHash?: string } | { code: ConnackCode; reason: string }

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
    if (username === undefined) {
      // MQTT 5 allows a password without a username; it is still an attempt to authenticate.
      if (password !== undefined) return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'password without username' }
      const { address, proxied } = remoteOf(client)
      const trustLoopback = this.options.anonymousFromLoopback !== false
      if (!this.options.allowAnonymous && (!trustLoopback || proxied || !isLoopbackAddress(address))) {
        return { code: CONNACK.NOT_AUTHORIZED, reason: trustLoopback ? 'anonymous clients are accepted from loopback only' : 'anonymous clients are not accepted' }
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
      const ok = await this.options.passwords.check(username, password ?? new Uint8Array(0), storedHash)
      if (!user || !ok) return { code: CONNACK.BAD_USERNAME_OR_PASSWORD, reason: 'bad username or password' }
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
