/**
 * Correction to aedes 2.0.0-beta.1: a will waiting for its Will Delay Interval is not lost when the broker stops.
 *
 * Defect (aedes.js close, scheduleWill): close() clears the Will Delay Interval timers, and a client that close()
 * disconnects gets none (aedes emits `willDropped`). Those wills stay in the store, and aedes' will sweep publishes
 * the wills of an earlier run only every four heartbeats (four minutes) after a start: a device's will went out
 * minutes after the next start, or never if the node was not started again. The same held after a crash.
 * [MQTT-3.1.3-9] / MQTT 5 §3.1.2.5: the will is published once its delay has passed or its session ends.
 *
 * Correction, as Mosquitto does at a shutdown (will_delay__send_all):
 * - close() first publishes every will still waiting, then runs aedes' close; a client that close disconnects has
 *   its will published at once whatever its delay. close() calls back once those wills are published, so
 *   subscribers still connected receive them and persistent sessions have them queued before the store closes.
 * - publishLeftBehind(), after aedes.listen() and before the listeners start, publishes at once every will an
 *   earlier run left in the store (the process was killed, or a will could not be published at close): when its
 *   client's connection closed was lost with that process, and the start is the first moment the broker can act,
 *   as a graceful stop would have. No client of this run can have stored a will yet.
 * A will is published as aedes publishes one (authorizePublish, publish, then the stored will is deleted); a will
 * of an earlier run goes through authorizePublish with no client, as in aedes' sweep.
 */
import type { Client } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'
import type { BrokerPacket, Callback } from '../aedes-internals.js'

/** A will as the store keeps it: the packet, and whose it is. */
type WillPacket = BrokerPacket & { clientId?: string; brokerId?: string }

/** The parts of aedes this correction wraps or reads (aedes.js; the typings leave them out). */
export interface WillAedes {
  id: string
  closed: boolean
  delayedWills: Map<string, unknown>
  scheduleWill(client: Client, will: WillPacket, delaySeconds: number): void
  clearDelayedWill(clientId: string): void
  publishWill(client: Client, will: WillPacket): void
  close(callback?: () => void): void
  authorizePublish(client: Client | null, packet: WillPacket, callback: Callback): void
  publish(packet: WillPacket, client: Client | null, done: Callback): void
  emit(event: 'error', err: unknown): boolean
}

/** The store calls this correction makes. */
export interface WillStore {
  delWill(client: { id: string; brokerId?: string }): Promise<unknown>
  streamWill(brokers?: Record<string, number>): AsyncIterable<unknown>
}

export class DelayedWills {
  /** Wills waiting for their delay, with the client that left them. */
  private readonly waiting = new Map<string, { client: Client; will: WillPacket }>()
  private readonly publishing = new Set<Promise<void>>()
  private stopping = false

  constructor(
    private readonly aedes: WillAedes,
    private readonly store: WillStore,
    private readonly log: Logger,
  ) {
    const schedule = aedes.scheduleWill.bind(aedes)
    aedes.scheduleWill = (client, will, delaySeconds) => {
      if (this.stopping) {
        this.publish(client, client.id, will)
        return
      }
      schedule(client, will, delaySeconds)
      // aedes arms no timer for a takeover in flight, and publishes at once past its cap.
      if (aedes.delayedWills.has(client.id)) this.waiting.set(client.id, { client, will })
    }
    const clear = aedes.clearDelayedWill.bind(aedes)
    aedes.clearDelayedWill = (clientId) => {
      this.waiting.delete(clientId)
      clear(clientId)
    }
    aedes.publishWill = (client, will) => {
      if (this.waiting.get(client.id)?.client === client) this.waiting.delete(client.id)
      this.publish(client, client.id, will)
    }
    const close = aedes.close.bind(aedes)
    aedes.close = (callback = () => {}) => {
      if (aedes.closed || this.stopping) {
        close(callback)
        return
      }
      this.stopping = true
      for (const [clientId, { client, will }] of [...this.waiting]) {
        aedes.clearDelayedWill(clientId)
        this.publish(client, clientId, will)
      }
      void this.flush().then(() => close(() => void this.flush().then(callback)))
    }
  }

  /** Publishes every will an earlier run left in the store. After aedes.listen(), before the listeners start. */
  async publishLeftBehind(): Promise<void> {
    const wills: WillPacket[] = []
    for await (const will of this.store.streamWill()) wills.push(will as WillPacket)
    for (const will of wills) {
      if (typeof will.clientId === 'string') this.publish(null, will.clientId, will)
    }
    await this.flush()
    if (wills.length > 0) this.log.info({ wills: wills.length }, 'mqtt wills left by the previous run published')
  }

  /** Resolves once the wills being published are published and deleted from the store. */
  async flush(): Promise<void> {
    while (this.publishing.size > 0) await Promise.all(this.publishing)
  }

  private publish(client: Client | null, clientId: string, will: WillPacket): void {
    const done = new Promise<void>((resolve) => {
      const cleanup = () => {
        this.store.delWill({ id: clientId, brokerId: will.brokerId ?? this.aedes.id }).then(
          () => resolve(),
          (err: unknown) => {
            this.aedes.emit('error', err)
            resolve()
          },
        )
      }
      this.aedes.authorizePublish(client, will, (err) => {
        if (err) cleanup()
        else this.aedes.publish(will, client, cleanup)
      })
    })
    this.publishing.add(done)
    void done.then(() => this.publishing.delete(done))
  }
}
