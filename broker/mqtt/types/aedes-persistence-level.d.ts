/** aedes-persistence-level 9.2.0 ships no typings; this covers the async class aedes 2 drives. */
declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { Readable } from 'node:stream'
  import type { AbstractLevel } from 'abstract-level'

  type StoredPacket = Record<string, unknown> & { topic: string; brokerId?: string; brokerCounter?: number }

  class AsyncLevelPersistence {
    constructor(db: AbstractLevel<string | Buffer | Uint8Array, string, string>)
    setup(broker: unknown): Promise<void>
    storeRetained(packet: StoredPacket): Promise<void>
    createRetainedStream(pattern: string): Readable
    createRetainedStreamCombi(patterns: string[]): Readable
    subscriptionsByTopic(topicName: string): Promise<{ clientId: string; topic: string; qos: number; rap?: boolean }[]>
    outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void>
    outgoingEnqueueCombi(subs: { clientId: string; qos: number; rap?: boolean }[], packet: StoredPacket): Promise<unknown>
    outgoingUpdate(client: { id: string }, packet: StoredPacket): Promise<void>
    outgoingStream(client: { id: string }): Readable
    outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<StoredPacket | undefined>
    cleanSubscriptions(client: { id: string }): Promise<void>
    addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>
    removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>
    subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]>
    cleanIncoming(client: { id: string }): Promise<void>
    incomingGetPacket(client: { id: string }, packet: { messageId?: number }): Promise<StoredPacket>
    incomingStorePacket(client: { id: string }, packet: StoredPacket & { messageId?: number }): Promise<void>
    putWill(client: { id: string }, packet: StoredPacket): Promise<void>
    getWill(client: { id: string }): Promise<StoredPacket | undefined>
    delWill(client: { id: string }): Promise<StoredPacket | undefined>
    destroy(): Promise<void>
  }
  export = AsyncLevelPersistence
}
