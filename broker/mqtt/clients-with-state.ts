/**
 * The client ids the broker's store may hold something for, kept in memory so that the store answers "nothing"
 * for every other client without reading LevelDB. A device that connects with a clean session, the common case,
 * has nothing stored; before this, each such connect read and cleared five key ranges (subscriptions, queue,
 * packet ids, extras, half-received QoS 2 messages), streamed an empty queue and looked up a will: ~40 KB of
 * iterators, streams and promises per connect, which a reconnect storm (a restart, a power cut) paid a thousand
 * times at once.
 *
 * An id is added before any write for that client starts, so a read that follows a write always goes to the
 * store, as before. It is forgotten only when the store has cleared the client's state and nothing was written
 * for that client meanwhile: the set holds no more ids than the store holds clients with state.
 */
export class ClientsWithState {
  /** Per client id, the number of its latest mark: a mark since a clear began makes the clear keep the id. */
  private readonly marks = new Map<string, number>()
  private marked = 0

  constructor(ids: Iterable<string> = []) {
    for (const id of ids) this.add(id)
  }

  /** Before a write for `clientId` starts. */
  add(clientId: string): void {
    this.marks.set(clientId, ++this.marked)
  }

  has(clientId: string): boolean {
    return this.marks.has(clientId)
  }

  /** Taken before a clear of the client's state starts; give it to `cleared` once that clear completed. */
  markOf(clientId: string): number | undefined {
    return this.marks.get(clientId)
  }

  /** The clear that began at `mark` completed: forgets the client unless something was written for it since. */
  cleared(clientId: string, mark: number | undefined): void {
    if (mark !== undefined && this.marks.get(clientId) === mark) this.marks.delete(clientId)
  }

  get size(): number {
    return this.marks.size
  }
}
