/**
 * The client's Receive Maximum: at most that many QoS 1/2 PUBLISH packets in flight to it.
 *
 * aedes 2.0.0-beta.1 reads the property from CONNECT (`client.receiveMaximum`) and ignores it: a
 * client that said 2 got every queued QoS 1 message at once. [MQTT-3.3.4-9]: the server does not
 * send more than Receive Maximum QoS 1 and QoS 2 PUBLISH packets for which it has not received a
 * PUBACK, a PUBCOMP, or a PUBREC with a reason code of 0x80 or greater.
 *
 * A gate sits under the delivery window (delivery-window.ts), in front of aedes' deliverQoS. It hands
 * out the packet identifier itself (aedes keeps an identifier already on the packet), so it knows which
 * acknowledgement frees which slot. Messages beyond the quota wait in order, counted by the delivery
 * window as not yet written: the window's bounds and slow-subscriber cut-off apply to them as well.
 *
 * A resumed session's stored queue is written by aedes' emptyQueue, outside deliverQoS; each stored
 * message passes through the store's outgoingUpdate first, so that is where the replay waits for a slot
 * (a stored PUBREL too: its QoS 2 message is in flight until PUBCOMP).
 * A message aedes decides not to send (expired, not authorized, too large: see packet-size.ts) is
 * cleared with outgoingClearMessageId or never forwarded, and frees its slot.
 */
import type { EventEmitter } from 'node:events'
import type { BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'

/** MQTT 5 reason codes below 0x80 are successes. */
const FAILURE = 0x80
/** Receive Maximum when the client sends none, and the largest it can send. */
const NO_LIMIT = 65535

interface AckPacket {
  cmd: string
  messageId?: number
  reasonCode?: number
}

/** What the gate reads of a packet going through the store. */
interface StorePacket {
  cmd?: unknown
  qos?: number
  messageId?: unknown
}

/** The store methods the replay path goes through. */
export interface GatedStore {
  outgoingUpdate(client: { id: string }, packet: StorePacket): Promise<unknown>
  outgoingClearMessageId(client: { id: string }, packet: StorePacket): Promise<unknown>
}

class Gate {
  /** Packet identifiers in flight; the value says whether aedes actually wrote the packet. */
  readonly inFlight = new Map<number, boolean>()
  private readonly waiting: (() => void)[] = []
  private closed = false
  /** True from a session-resuming CONNECT until aedes has replayed the stored queue. */
  replaying = false

  constructor(
    private readonly client: ClientInternals & { _nextId: number },
    readonly max: number,
  ) {}

  private get full(): boolean {
    return !this.closed && this.inFlight.size >= this.max
  }

  /** Runs `start` now if a slot is free and no one waits, else in turn. */
  whenFree(start: () => void): void {
    if (!this.full && this.waiting.length === 0) start()
    else this.waiting.push(start)
  }

  /** The next packet identifier not in flight, advancing aedes' own counter the same way it does. */
  nextId(): number {
    for (;;) {
      const id = this.client._nextId
      this.client._nextId = id >= 65535 ? 1 : id + 1
      if (!this.inFlight.has(id)) return id
    }
  }

  release(id: number | undefined): void {
    if (id !== undefined && this.inFlight.delete(id)) this.pump()
  }

  close(): void {
    this.closed = true
    this.pump() // the waiting deliveries fail fast on the closed connection and call back
  }

  private pump(): void {
    while (this.waiting.length > 0 && !this.full) this.waiting.shift()!()
  }
}

export class ReceiveMaximum {
  private readonly gates = new WeakMap<object, Gate>()

  constructor(store: GatedStore) {
    const outgoingUpdate = store.outgoingUpdate.bind(store)
    const outgoingClearMessageId = store.outgoingClearMessageId.bind(store)
    // Clients without a gate (no Receive Maximum, or MQTT 3.1.1) go straight to the store: these are on
    // every QoS 1 delivery and acknowledgement.
    store.outgoingUpdate = (client, packet) => {
      const gate = this.gates.get(client)
      // A stored QoS 1/2 PUBLISH, or the PUBREL of a QoS 2 message the client has not completed: both
      // count until PUBACK / PUBCOMP. (A PUBREL for a message already counted is the live QoS 2 flow.)
      const counts = (packet.cmd === 'publish' && (packet.qos ?? 0) > 0) || packet.cmd === 'pubrel'
      if (!gate?.replaying || !counts || typeof packet.messageId !== 'number' || gate.inFlight.has(packet.messageId))
        return outgoingUpdate(client, packet)
      const id = packet.messageId
      return new Promise<void>((resolve) =>
        gate.whenFree(() => {
          gate.inFlight.set(id, true)
          resolve()
        }),
      ).then(() => outgoingUpdate(client, packet))
    }
    store.outgoingClearMessageId = (client, packet) => {
      const gate = this.gates.get(client)
      if (!gate) return outgoingClearMessageId(client, packet)
      return outgoingClearMessageId(client, packet).then((cleared) => {
        if (typeof packet.messageId === 'number') gate.release(packet.messageId)
        return cleared
      })
    }
  }

  /**
   * Gates the client's deliverQoS. Call it from aedes' preConnect hook, before the delivery window
   * captures deliverQoS. Does nothing unless an MQTT 5 CONNECT carries a Receive Maximum below 65535.
   */
  install(client: ClientInternals, connect: { protocolVersion?: number; clean?: boolean; properties?: { receiveMaximum?: number } }): void {
    const max = connect.properties?.receiveMaximum
    // 0 is a Protocol Error that aedes refuses itself [MQTT-3.1.2-22].
    if (connect.protocolVersion !== 5 || max === undefined || max < 1 || max >= NO_LIMIT) return
    const gate = new Gate(client as ClientInternals & { _nextId: number }, max)
    this.gates.set(client, gate)
    gate.replaying = connect.clean === false
    client.once('connected', () => (gate.replaying = false))
    client.conn.once('close', () => gate.close())

    const parser = (client as unknown as { _parser: EventEmitter })._parser
    parser.on('packet', (packet: AckPacket) => {
      if (packet.cmd === 'puback' || packet.cmd === 'pubcomp' || (packet.cmd === 'pubrec' && (packet.reasonCode ?? 0) >= FAILURE)) {
        gate.release(packet.messageId)
      }
    })

    const deliverQoS: DeliverFn = client.deliverQoS
    client.deliverQoS = (packet, done) => {
      if (packet.qos === 0) {
        deliverQoS(packet, done)
        return
      }
      gate.whenFree(() => {
        const id = gate.nextId()
        gate.inFlight.set(id, false)
        // Each subscriber gets its own copy of the packet (aedes' handlePacketSubscription).
        packet.messageId = id
        deliverQoS(packet, () => {
          // Not written (no-local, a duplicate, not forwarded): the slot is free again.
          if (gate.inFlight.get(id) === false) gate.release(id)
          done()
        })
      })
    }
  }

  /** aedes is about to write `packet` to `client` (called from authorizeForward). */
  forwarded(client: object, packet: BrokerPacket): void {
    const gate = this.gates.get(client)
    if (gate && packet.messageId !== undefined && gate.inFlight.has(packet.messageId)) gate.inFlight.set(packet.messageId, true)
  }
}
