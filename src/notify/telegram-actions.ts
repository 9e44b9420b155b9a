/**
 * Telegram callback buttons without a public address: the bot long-polls getUpdates for button presses
 * (https://core.telegram.org/bots/api#getupdates), uses the single-use token in the callback data, and answers the
 * press so the phone shows what happened (answerCallbackQuery).
 */
import type { Logger } from '../ports/logger.js'
import type { ActionService } from './actions.js'
import type { TelegramNotifier } from './channels/types.js'

export interface TelegramActionsOptions {
  notifier: TelegramNotifier
  actions: Pick<ActionService, 'use'>
  fetch: typeof fetch
  log: Logger
  /** Long-poll length asked of Telegram; the request waits up to this for a press. */
  pollSeconds?: number
  /** Pause after a failed poll before the next. */
  retryMs?: number
}

interface Update {
  update_id: number
  callback_query?: { id: string; data?: string }
}

const ANSWERS = {
  used: 'Already used',
  expired: 'Expired',
  unknown: 'Unknown action',
  failed: 'Failed, try again',
  unavailable: 'Failed, try again',
} as const

export class TelegramActionPoller {
  private offset = 0
  private readonly abort = new AbortController()
  private running: Promise<void> | undefined

  constructor(private readonly o: TelegramActionsOptions) {}

  private url(method: string): string {
    return `${this.o.notifier.apiBase.replace(/\/+$/, '')}/bot${this.o.notifier.botToken}/${method}`
  }

  private async call(method: string, body: unknown): Promise<unknown> {
    const res = await this.o.fetch(this.url(method), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: this.abort.signal,
    })
    const json = (await res.json()) as { ok?: boolean; result?: unknown; description?: string }
    if (!res.ok || !json.ok) throw new Error(`telegram ${method}: ${res.status} ${json.description ?? ''}`.trim())
    return json.result
  }

  start(): void {
    this.running ??= this.loop()
  }

  async close(): Promise<void> {
    this.abort.abort()
    await this.running
  }

  private async loop(): Promise<void> {
    const pollSeconds = this.o.pollSeconds ?? 25
    while (!this.abort.signal.aborted) {
      try {
        const updates = (await this.call('getUpdates', {
          offset: this.offset,
          timeout: pollSeconds,
          allowed_updates: ['callback_query'],
        })) as Update[]
        for (const u of updates) {
          this.offset = Math.max(this.offset, u.update_id + 1)
          if (u.callback_query) await this.press(u.callback_query)
        }
      } catch (err) {
        if (this.abort.signal.aborted) return
        // The token is part of the URL: log the notifier, never the error's URL.
        this.o.log.warn(
          { notifierId: this.o.notifier.id, err: err instanceof Error ? err.message.replace(this.o.notifier.botToken, '***') : 'error' },
          'telegram button poll failed',
        )
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.o.retryMs ?? 5000)
          this.abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
        })
      }
    }
  }

  private async press(query: { id: string; data?: string }): Promise<void> {
    const outcome = query.data ? await this.o.actions.use(query.data) : ({ ok: false, reason: 'unknown' } as const)
    const text = outcome.ok ? `Done: ${outcome.record.label}` : ANSWERS[outcome.reason]
    await this.call('answerCallbackQuery', { callback_query_id: query.id, text }).catch((err: unknown) =>
      this.o.log.debug(
        { notifierId: this.o.notifier.id, err: String(err).replace(this.o.notifier.botToken, '***') },
        'telegram answerCallbackQuery failed',
      ),
    )
  }
}
