/**
 * A bare MQTT client over a workerd WebSocket, playing the home node in the edge's tests: it sees every packet.
 *
 * Tests wait for each acknowledgement before the next packet whose order matters: vitest-pool-workers wraps every
 * Durable Object event in an async module import (kEnsureInstance in its test-internal.mjs), so frames sent back to
 * back can reach the object out of order under test. workerd itself delivers a socket's frames in order; the
 * end-to-end test against `wrangler dev` checks ordering of a burst.
 */
import { runInDurableObject } from 'cloudflare:test'
import mqttPacket, { type Packet } from 'mqtt-packet'
import type { LinkHub } from '../link/link-hub.js'
import { packetBuffer } from '../mqtt-codec.js'

export const EDGE_SECRET = 'worker-test-edge-secret-0123456789'
export const ADMIN = 'worker-test-admin-token-0123456789'

export interface TestHome {
  /** Every packet received, in order. */
  received: Packet[]
  /** WebSocket frames received (a frame may hold several packets). */
  frames(): number
  send(packet: Packet): void
  /** The next packet with this command not yet taken, waiting up to timeoutMs. */
  next<C extends Packet['cmd']>(cmd: C, timeoutMs?: number): Promise<Extract<Packet, { cmd: C }>>
  /** Resolves with the close code when the edge closes the socket. */
  closed: Promise<number>
  close(): void
}

export async function openLink(hub: DurableObjectStub, headers: Record<string, string> = {}): Promise<TestHome | Response> {
  const res = await hub.fetch('http://edge.test/v1/link', { headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'mqtt', ...headers } })
  const ws = res.webSocket
  if (!ws) return res
  // The standard default is 'blob', which workerd follows at this compatibility date.
  ws.binaryType = 'arraybuffer'
  ws.accept()
  const parser = mqttPacket.parser({ protocolVersion: 5 })
  const received: Packet[] = []
  const taken = new Set<Packet>()
  let notify: () => void = () => {}
  parser.on('packet', (p: Packet) => {
    received.push(p)
    notify()
  })
  parser.on('error', (err: Error) => console.error('test home: bad packet from the edge', err))
  let frames = 0
  ws.addEventListener('message', (e) => {
    frames++
    parser.parse(packetBuffer(new Uint8Array(e.data as ArrayBuffer)))
  })
  const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)))
  const home: TestHome = {
    received,
    frames: () => frames,
    send: (packet) => ws.send(mqttPacket.generate(packet, { protocolVersion: 5 })),
    async next(cmd, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = received.find((p) => p.cmd === cmd && !taken.has(p))
        if (found) {
          taken.add(found)
          return found as never
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no ${cmd} within ${timeoutMs} ms (got ${received.map((p) => p.cmd).join(', ')})`)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left)
          notify = () => {
            clearTimeout(t)
            resolve()
          }
        })
      }
    },
    closed,
    close: () => ws.close(1000, 'test done'),
  }
  return home
}

/** Links a test home with the edge secret as CONNECT password, and subscribes so that queued messages flow. */
export async function linkHome(hub: DurableObjectStub, options: { subscribe?: boolean; keepalive?: number } = {}): Promise<TestHome> {
  const home = await openLink(hub)
  if (home instanceof Response) throw new Error(`upgrade refused: ${home.status}`)
  home.send({
    cmd: 'connect',
    protocolVersion: 5,
    clientId: 'test-home',
    clean: true,
    keepalive: options.keepalive ?? 60,
    username: 'postbridge-home',
    password: bytes(EDGE_SECRET),
  })
  const connack = await home.next('connack')
  if (connack.reasonCode !== 0) throw new Error(`CONNACK ${connack.reasonCode}`)
  if (options.subscribe !== false) {
    home.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '#', qos: 1 }] })
    await home.next('suback')
  }
  return home
}

/** Calls the edge API on this hub with the admin token. */
export function api(hub: DurableObjectStub, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN}`)
  return hub.fetch(`http://edge.test${path}`, { ...init, headers })
}

/** Text as the Buffer mqtt-packet expects (passwords, payloads, correlation data in test packets). */
export const bytes = (s: string) => packetBuffer(new TextEncoder().encode(s))

export const text = (bytes: Uint8Array | string | undefined) => (typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes))

/** Retries an assertion until it passes or `timeoutMs` passes (for state that settles after acks are handled). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

/** Runs code inside the hub's Durable Object, typed as LinkHub (to move its clock, read its alarm). */
export function inHub<R>(hub: DurableObjectStub, fn: (instance: LinkHub, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(hub, (instance, state) => fn(instance as unknown as LinkHub, state))
}
