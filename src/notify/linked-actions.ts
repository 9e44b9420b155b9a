/**
 * Alert buttons pressed at the edge. The phone reaches the edge, the tokens live at home: the edge asks home over the
 * link (MQTT 5 request/reply on `postbridge/actions/use`, reply on `postbridge/reply/<id>`, which always goes up), and
 * answers with what home did. A request expires with its timeout, so a press made while home is away is refused
 * rather than run later, when nobody is looking.
 */
import type { Message } from '../ports/types.js'
import type { Bus, Unsubscribe } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import { timingSafeEqual, toBase64Url, utf8 } from '../util/bytes.js'
import type { ActionOutcome, ActionRecord, ActionService } from './actions.js'

export const ACTION_USE_TOPIC = 'postbridge/actions/use'
export const ACTION_PEEK_TOPIC = 'postbridge/actions/peek'
const REPLY_PREFIX = 'postbridge/reply/'

/** What home sends back: the outcome without the token's hash. */
type WireOutcome =
  | { ok: true; record: Omit<ActionRecord, 'hash'> }
  | { ok: false; reason: Exclude<ActionOutcome, { ok: true }>['reason']; record?: Omit<ActionRecord, 'hash'> }

const decoder = new TextDecoder()

function toWire(outcome: ActionOutcome): WireOutcome {
  const { hash: _hash, ...record } = outcome.record ?? ({} as ActionRecord)
  return outcome.ok ? { ok: true, record } : { ok: false, reason: outcome.reason, ...(outcome.record ? { record } : {}) }
}

/** The edge's side: `peek` and `use` answered by home. */
export class LinkedActions implements Pick<ActionService, 'peek' | 'use'> {
  constructor(private readonly o: { bus: Bus; timeoutMs: number; log: Logger }) {}

  peek(token: string): Promise<ActionOutcome> {
    return this.ask(ACTION_PEEK_TOPIC, token)
  }

  use(token: string): Promise<ActionOutcome> {
    return this.ask(ACTION_USE_TOPIC, token)
  }

  private async ask(topic: string, token: string): Promise<ActionOutcome> {
    const id = toBase64Url(crypto.getRandomValues(new Uint8Array(16)))
    const responseTopic = `${REPLY_PREFIX}${id}`
    const correlation = utf8(id)
    let settle: (m: Message | undefined) => void = () => {}
    const replied = new Promise<Message | undefined>((resolve) => (settle = resolve))
    const unsubscribe: Unsubscribe = await this.o.bus.subscribe([responseTopic], (m) => {
      if (m.properties?.correlationData && timingSafeEqual(m.properties.correlationData, correlation)) settle(m)
    })
    const timer = setTimeout(() => settle(undefined), this.o.timeoutMs)
    try {
      await this.o.bus.publish({
        topic,
        payload: utf8(token),
        qos: 1,
        retain: false,
        properties: { responseTopic, correlationData: correlation, messageExpiryInterval: Math.max(1, Math.ceil(this.o.timeoutMs / 1000)) },
      })
      const reply = await replied
      if (!reply) return { ok: false, reason: 'unavailable' }
      const wire = JSON.parse(decoder.decode(reply.payload)) as WireOutcome
      const record = wire.record ? ({ ...wire.record, hash: '' } as ActionRecord) : undefined
      return wire.ok ? { ok: true, record: record! } : { ok: false, reason: wire.reason, ...(record ? { record } : {}) }
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'alert action could not be asked of home')
      return { ok: false, reason: 'unavailable' }
    } finally {
      clearTimeout(timer)
      await unsubscribe()
    }
  }
}

/** Home's side: answers the edge's questions with the real ActionService. */
export async function answerLinkedActions(bus: Bus, actions: Pick<ActionService, 'peek' | 'use'>, log: Logger): Promise<Unsubscribe> {
  return bus.subscribe([ACTION_USE_TOPIC, ACTION_PEEK_TOPIC], (m) => {
    const responseTopic = m.properties?.responseTopic
    const correlationData = m.properties?.correlationData
    if (!responseTopic?.startsWith(REPLY_PREFIX) || !correlationData) return
    const token = decoder.decode(m.payload)
    void (async () => {
      const outcome = m.topic === ACTION_USE_TOPIC ? await actions.use(token) : await actions.peek(token)
      await bus.publish({
        topic: responseTopic,
        payload: utf8(JSON.stringify(toWire(outcome))),
        qos: 1,
        retain: false,
        properties: { correlationData },
      })
    })().catch((err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'alert action from the edge not answered'))
  })
}
