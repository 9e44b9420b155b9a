/**
 * Fuzz: generated MQTT 3.1.1 and 5 packets, valid and not, sent over TCP and WebSocket to a real
 * broker. No input may end the process; afterwards a fresh client still connects, publishes and
 * receives (issue 8). FUZZ_RUNS (default 200) and FUZZ_SEED replay a run: `npm run fuzz` runs 20000.
 */
import { createServer } from 'node:http'
import { connect as tcpConnect, type Socket } from 'node:net'
import fc from 'fast-check'
import { generate, type Packet } from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createUpgradeHandler } from '../websocket-upgrade.js'
import type { MqttBroker } from './broker.js'
import { Harness, StaticUsers, makeUser, nextMessage, sleep } from './fixtures/harness.js'
import { packet as rawPacket, props, str, u16, u32, varInt } from './fixtures/raw.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31)
/** How long one case waits for the broker's answer before hanging up. */
const SETTLE_MS = 15

const h = new Harness()
let broker: MqttBroker
let wsPort: number
const uncaught: unknown[] = []
const onUncaught = (err: unknown) => uncaught.push(err)

beforeAll(async () => {
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  broker = await h.broker({
    users: new StaticUsers([await makeUser('fuzz', 'pw', { publish: ['fuzz/#'], subscribe: ['fuzz/#'] })]),
    maxPacketBytes: 64 * 1024,
    maxConnectBytes: 4096,
  })
  const upgrades = createUpgradeHandler({
    paths: ['/mqtt', '/'],
    maxPacketBytes: 64 * 1024,
    handleWebSocket: (ws, req) => broker.handleWebSocket(ws, req),
    log: h.log,
  })
  const server = createServer()
  server.on('upgrade', (req, socket, head) => upgrades.handleUpgrade(req, socket, head))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.onCleanup(() => new Promise((r) => server.close(r)))
  h.onCleanup(() => upgrades.close())
  wsPort = (server.address() as { port: number }).port
})

afterAll(async () => {
  await h.cleanup()
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
})

// --- valid packets, through mqtt-packet's generate ---

const version = fc.constantFrom<3 | 4 | 5>(4, 5, 5, 3)
/** Names of Object.prototype members, on purpose in every field a client names (the broker keys maps by them). */
const protoName = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf')
const topicName = fc.oneof(fc.constantFrom('fuzz/a', 'fuzz/b/c', '$SYS/x', 'a/+/b', '#', '', 'fuzz/\u0000'), fc.string({ maxLength: 40 }), protoName)
const topicFilter = fc.oneof(
  fc.constantFrom('fuzz/#', 'fuzz/+/c', '#', '+', '$share/g/fuzz/#', '$SYS/#', 'a/#/b', ''),
  fc.string({ maxLength: 40 }),
  protoName,
  protoName.map((n) => `$share/${n}/${n}`),
)
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b))
const qos = fc.constantFrom<0 | 1 | 2>(0, 1, 2)
const messageId = fc.integer({ min: 0, max: 65535 })
const userProperties = fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), protoName), fc.string({ maxLength: 8 }), { maxKeys: 3 })
const u32arb = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat())

const connectPacket = fc
  .record({
    protocolVersion: version,
    clientId: fc.oneof(fc.constant(''), fc.string({ maxLength: 30 }), protoName),
    clean: fc.boolean(),
    keepalive: fc.integer({ min: 0, max: 65535 }),
    credentials: fc.option(
      fc.record({ username: fc.oneof(fc.constantFrom('fuzz', 'ghost', ''), protoName), password: fc.constantFrom('pw', 'wrong', '') }),
    ),
    will: fc.option(fc.record({ topic: topicName, payload: bytes(64), qos, retain: fc.boolean() })),
    properties: fc.option(
      fc.record(
        {
          sessionExpiryInterval: u32arb,
          receiveMaximum: fc.integer({ min: 0, max: 65535 }),
          maximumPacketSize: u32arb,
          topicAliasMaximum: fc.integer({ min: 0, max: 65535 }),
          requestResponseInformation: fc.boolean(),
          requestProblemInformation: fc.boolean(),
          userProperties,
          authenticationMethod: fc.string({ maxLength: 8 }),
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map(({ credentials, will, properties, ...rest }) => ({
    cmd: 'connect' as const,
    protocolId: rest.protocolVersion === 3 ? ('MQIsdp' as const) : ('MQTT' as const),
    ...rest,
    ...(credentials ? { username: credentials.username, password: Buffer.from(credentials.password) } : {}),
    ...(will ? { will } : {}),
    ...(properties && rest.protocolVersion === 5 ? { properties } : {}),
  }))

const publishProperties = fc.record(
  {
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: u32arb,
    topicAlias: fc.integer({ min: 0, max: 65535 }),
    responseTopic: topicName,
    correlationData: bytes(16),
    userProperties,
    subscriptionIdentifier: fc.integer({ min: 0, max: 268435455 }),
    contentType: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: [] },
)

const afterConnect: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    cmd: fc.constant('publish' as const),
    topic: topicName,
    payload: bytes(200),
    qos,
    retain: fc.boolean(),
    dup: fc.boolean(),
    messageId,
    properties: fc.option(publishProperties, { nil: undefined }),
  }),
  fc.record({
    cmd: fc.constant('subscribe' as const),
    messageId,
    subscriptions: fc.array(fc.record({ topic: topicFilter, qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) }), {
      minLength: 1,
      maxLength: 3,
    }),
    properties: fc.option(fc.record({ subscriptionIdentifier: fc.integer({ min: 0, max: 268435455 }), userProperties }, { requiredKeys: [] }), {
      nil: undefined,
    }),
  }),
  fc.record({ cmd: fc.constant('unsubscribe' as const), messageId, unsubscriptions: fc.array(topicFilter, { minLength: 1, maxLength: 3 }) }),
  fc.record({
    cmd: fc.constantFrom('puback' as const, 'pubrec' as const, 'pubrel' as const, 'pubcomp' as const),
    messageId,
    reasonCode: fc.constantFrom(0, 0x10, 0x80, 0x92),
  }),
  fc.constant({ cmd: 'pingreq' as const }),
  fc.record({
    cmd: fc.constant('disconnect' as const),
    reasonCode: fc.constantFrom(0, 4, 0x80),
    properties: fc.option(fc.record({ sessionExpiryInterval: u32arb, reasonString: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }), {
      nil: undefined,
    }),
  }),
  fc.record({
    cmd: fc.constant('auth' as const),
    reasonCode: fc.constantFrom(0, 0x18, 0x19),
    properties: fc.option(fc.record({ authenticationMethod: fc.string({ maxLength: 8 }) }), { nil: undefined }),
  }),
  connectPacket as fc.Arbitrary<Packet>,
) as fc.Arbitrary<Packet>

function encode(p: Packet, protocolVersion: number): Buffer {
  try {
    return generate(p, { protocolVersion })
  } catch {
    return Buffer.alloc(0) // a shape mqtt-packet refuses to write: nothing to send
  }
}

// --- invalid packets: repeated properties by hand, then byte mutations ---

const propertyEntry = fc.oneof(
  u32arb.map((v) => [0x11, ...u32(v)]), // session expiry interval
  u32arb.map((v) => [0x02, ...u32(v)]), // message expiry interval
  fc.integer({ min: 0, max: 65535 }).map((v) => [0x21, ...u16(v)]), // receive maximum
  fc.integer({ min: 0, max: 65535 }).map((v) => [0x23, ...u16(v)]), // topic alias
  fc.integer({ min: 0, max: 1 }).map((v) => [0x01, v]), // payload format indicator
  fc.integer({ min: 0, max: 300 }).map((v) => [0x0b, ...varInt(v)]), // subscription identifier
  fc.string({ maxLength: 6 }).map((v) => [0x1f, ...str(v)]), // reason string
  fc.oneof(fc.string({ maxLength: 6 }), protoName).map((v) => [0x26, ...str(v), ...str(v)]), // user property
  fc.integer({ min: 0, max: 255 }).map((v) => [v, 0]), // any identifier, valid or not
)
const propertySection = fc.array(propertyEntry, { maxLength: 5 }).map((entries) => props(...entries))
const handMade = fc.oneof(
  propertySection.map((p) => rawPacket(0x10, [...str('MQTT'), 5, 0x02, 0, 30, ...p, ...str('fz')])),
  propertySection.map((p) => rawPacket(0x30, [...str('fuzz/p'), ...p, 0x41])),
  propertySection.map((p) => rawPacket(0x82, [0, 1, ...p, ...str('fuzz/#'), 0])),
  propertySection.map((p) => rawPacket(0xe0, [0, ...p])),
  propertySection.map((p) => rawPacket(0x40, [0, 1, 0, ...p])),
)

type Mutation = (b: Buffer) => Buffer
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>((b) => b),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, v]) => (b: Buffer) => {
    const c = Buffer.from(b)
    if (c.length > 0) c[at % c.length] = v
    return c
  }),
  fc.nat().map((n) => (b: Buffer) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
  bytes(32).map((tail) => (b: Buffer) => Buffer.concat([b, tail])),
  // A wrong Remaining Length.
  fc
    .integer({ min: 0, max: 300_000 })
    .map((len) => (b: Buffer) => (b.length < 2 ? b : Buffer.concat([b.subarray(0, 1), Buffer.from(varInt(len)), b.subarray(2)]))),
)

const chunk = (protocolVersion: number) =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: afterConnect.map((p) => encode(p, protocolVersion)) },
        { weight: 1, arbitrary: handMade },
        { weight: 1, arbitrary: bytes(64) },
      ),
      mutation,
    )
    .map(([b, m]) => m(b))

const session = version.chain((v) =>
  fc.record({
    transport: fc.constantFrom<'tcp' | 'ws'>('tcp', 'ws'),
    connect: fc.option(
      connectPacket.map((c) => encode({ ...c, protocolVersion: v, protocolId: v === 3 ? 'MQIsdp' : 'MQTT' } as Packet, v)),
      { freq: 5 },
    ),
    rest: fc.array(chunk(v), { maxLength: 6 }),
  }),
)

// --- transports ---

interface Sink {
  send(b: Buffer): void
  closed(): boolean
  close(): void
}

async function openTcp(): Promise<Sink> {
  const socket: Socket = tcpConnect(broker.tcpPort, '127.0.0.1')
  let closed = false
  socket.on('error', () => {})
  socket.on('close', () => (closed = true))
  await new Promise<void>((resolve) => (socket.once('connect', resolve), socket.once('close', resolve)))
  return { send: (b) => void (closed || socket.write(b)), closed: () => closed, close: () => socket.destroy() }
}

async function openWs(): Promise<Sink> {
  const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/mqtt`, ['mqtt'])
  let closed = false
  ws.on('error', () => {})
  ws.on('close', () => (closed = true))
  await new Promise<void>((resolve) => (ws.once('open', resolve), ws.once('close', resolve)))
  return {
    send: (b) => {
      if (!closed && ws.readyState === WebSocket.OPEN && b.length > 0) ws.send(b)
    },
    closed: () => closed,
    close: () => ws.terminate(),
  }
}

/** Object.prototype as it was before any packet: nothing a client sends may add to it. */
const prototypeMembers = Object.getOwnPropertyNames(Object.prototype)

describe('fuzz', () => {
  it(
    'survives generated MQTT 3.1.1 and 5 packets, valid and invalid, over TCP and WebSocket, and still serves',
    async () => {
      console.info(`fuzz: seed ${SEED}, runs ${RUNS} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} npx vitest run fuzz)`)
      const t0 = performance.now()
      await fc.assert(
        fc.asyncProperty(session, async ({ transport, connect, rest }) => {
          const sink = transport === 'tcp' ? await openTcp() : await openWs()
          try {
            if (connect) sink.send(connect)
            for (const b of rest) sink.send(b)
            await sleep(SETTLE_MS)
          } finally {
            sink.close()
          }
          if (uncaught.length > 0) throw new Error(`the broker let an exception escape: ${String(uncaught[0])}`)
        }),
        { seed: SEED, numRuns: RUNS },
      )
      console.info(`fuzz: ${RUNS} sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

      // Still answering, over both transports. Anonymous (loopback): the fuzz's wrong passwords may
      // rightly have this address and the user 'fuzz' backing off by now (mqtt.loginThrottle).
      const tcp = await h.client(broker.tcpPort, { protocolVersion: 5 })
      const ws = await h.client(wsPort, { protocolVersion: 4, protocol: 'ws', path: '/mqtt' })
      await tcp.subscribeAsync('fuzz/after', { qos: 1 })
      const got = nextMessage(tcp, 'fuzz/after')
      await ws.publishAsync('fuzz/after', 'alive', { qos: 1 })
      expect((await got).payload).toBe('alive')
      expect(uncaught).toEqual([])
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeMembers)
    },
    Math.max(60_000, RUNS * 200),
  )
})
