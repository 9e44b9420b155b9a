/**
 * Broker statistics under `$SYS/broker/...`, in mosquitto's topic names and formats, so that tools and
 * dashboards written for mosquitto's $SYS tree read Postbridge unchanged. Published retained, like
 * mosquitto's, all at start and then every `intervalMs` those whose value changed since this run last published
 * them (uptime every time), as mosquitto does: an idle node publishes one message per interval, not ~25. Readable
 * only by users whose ACL names `$SYS` (acl.ts).
 *
 * messages/received and messages/sent count PUBLISH packets (from clients; to clients), as
 * publish/messages/* do in mosquitto (mosquitto's messages/* also count the other packet types).
 * The load figures are mosquitto's: a per-minute rate, smoothed exponentially over 1, 5 and 15 minutes.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Aedes } from 'aedes'
import type { Logger } from '../../src/ports/logger.js'

export interface SysStatsOptions {
  aedes: Aedes
  intervalMs: number
  /** PUBLISH packets handed to clients so far. */
  sent(): number
  /** The broker store, whose retained messages are counted; it keeps no `$SYS` message of an earlier run. */
  store: { countRetained(): Promise<number> }
  log: Logger
}

const WINDOWS_MIN = [1, 5, 15] as const

/** Postbridge's version, from the package.json above this file (source and build trees alike). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'postbridge' && pkg.version) return pkg.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}

/** One exponentially smoothed per-minute rate per window (mosquitto's sys_tree.c calc_load). */
class Load {
  private readonly values = WINDOWS_MIN.map(() => 0)
  private last = 0

  update(total: number, elapsedS: number): number[] {
    const perMinute = elapsedS > 0 ? ((total - this.last) * 60) / elapsedS : 0
    this.last = total
    WINDOWS_MIN.forEach((minutes, i) => {
      const exponent = Math.exp(-elapsedS / (minutes * 60))
      this.values[i] = perMinute + exponent * (this.values[i]! - perMinute)
    })
    return this.values
  }
}

/**
 * Starts publishing; returns the function that stops it, which resolves once a tick under way has finished (so the
 * broker is not closed under its publishes and store reads). intervalMs 0: nothing is published, and there are no
 * statistics to read (the store keeps `$SYS` messages for the life of the process only).
 */
export function startSysStats(options: SysStatsOptions): () => Promise<void> {
  const { aedes, log } = options
  if (options.intervalMs <= 0) return async () => {}
  const startedAt = Date.now()
  const version = `postbridge version ${packageVersion()}`
  let received = 0
  let connections = 0
  let maximumConnected = 0
  const onPublish = (_packet: unknown, client: unknown) => {
    if (client) received++
  }
  const onClient = () => connections++
  aedes.on('publish', onPublish)
  aedes.on('client', onClient)
  const load = { received: new Load(), sent: new Load(), connections: new Load() }
  let lastAt = startedAt

  // A tick's publishes are kept, so stopping can wait for them: a broker closed under them answers each with an error.
  const pending: Promise<void>[] = []
  /** Per topic, the value this run last published: the retained message subscribers already have. */
  const published = new Map<string, string>()
  const publish = (topic: string, value: string | number, always = false) => {
    const text = String(value)
    if (!always && published.get(topic) === text) return
    published.set(topic, text)
    pending.push(
      new Promise<void>((resolve) =>
        aedes.publish({ cmd: 'publish', topic: `$SYS/broker/${topic}`, payload: Buffer.from(text), qos: 0, retain: true, dup: false }, (err) => {
          if (err) {
            log.warn({ err, topic }, 'mqtt $SYS publish failed')
            // Not retained then: the next tick publishes it again.
            if (published.get(topic) === text) published.delete(topic)
          }
          resolve()
        }),
      ),
    )
  }

  const tick = async () => {
    const now = Date.now()
    const elapsedS = (now - lastAt) / 1000
    lastAt = now
    const connected = aedes.connectedClients
    maximumConnected = Math.max(maximumConnected, connected)
    const sent = options.sent()
    publish('version', version)
    publish('uptime', `${Math.floor((now - startedAt) / 1000)} seconds`, true)
    publish('clients/connected', connected)
    publish('clients/active', connected)
    publish('clients/maximum', maximumConnected)
    publish('messages/received', received)
    publish('messages/sent', sent)
    publish('publish/messages/received', received)
    publish('publish/messages/sent', sent)
    const loads = {
      received: load.received.update(received, elapsedS),
      sent: load.sent.update(sent, elapsedS),
      connections: load.connections.update(connections, elapsedS),
    }
    WINDOWS_MIN.forEach((minutes, i) => {
      publish(`load/messages/received/${minutes}min`, loads.received[i]!.toFixed(2))
      publish(`load/messages/sent/${minutes}min`, loads.sent[i]!.toFixed(2))
      publish(`load/publish/received/${minutes}min`, loads.received[i]!.toFixed(2))
      publish(`load/publish/sent/${minutes}min`, loads.sent[i]!.toFixed(2))
      publish(`load/connections/${minutes}min`, loads.connections[i]!.toFixed(2))
    })
    // Counted once this tick's retained messages are stored, and with the count's own message from the first tick
    // on, so that an idle broker's count does not change at the second tick.
    await Promise.all(pending.splice(0))
    const countKept = published.has('retained messages/count')
    const retained = (await options.store.countRetained()) + (countKept ? 0 : 1)
    if (!stopped) publish('retained messages/count', retained)
    await Promise.all(pending.splice(0))
  }

  let stopped = false
  let ticking: Promise<void> = Promise.resolve()
  const run = () => {
    ticking = tick().catch((err: unknown) => log.warn({ err }, 'mqtt $SYS statistics failed'))
  }
  run()
  const timer = setInterval(() => {
    if (!stopped) run()
  }, options.intervalMs)
  timer.unref()
  return () => {
    stopped = true
    clearInterval(timer)
    aedes.off('publish', onPublish)
    aedes.off('client', onClient)
    return ticking
  }
}
