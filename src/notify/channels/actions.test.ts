import { describe, expect, it } from 'vitest'
import type { Alert } from '../model.js'
import { gotifyRequest } from './gotify.js'
import { ntfyRequest } from './ntfy.js'
import { pushoverRequest } from './pushover.js'
import { telegramRequest } from './telegram.js'

const alert: Alert = {
  id: 'a1',
  title: 'Back door opened',
  body: 'at 21:03',
  priority: 4,
  tags: ['door'],
  at: 0,
  actions: [
    { label: 'Turn on porch light', url: 'https://pi/v1/actions/tok1', token: 'tok1' },
    { label: 'I know', url: 'https://pi/v1/actions/tok2', token: 'tok2' },
  ],
}

describe("alert buttons in each provider's documented shape", () => {
  it('ntfy: http actions that POST the URL and clear the notification', async () => {
    const body = await ntfyRequest({ id: 'n', type: 'ntfy', server: 'https://ntfy.sh', topic: 't' } as never, alert).json()
    expect(body.actions).toEqual([
      { action: 'http', label: 'Turn on porch light', url: 'https://pi/v1/actions/tok1', method: 'POST', clear: true },
      { action: 'http', label: 'I know', url: 'https://pi/v1/actions/tok2', method: 'POST', clear: true },
    ])
  })

  it('telegram: one row of callback buttons carrying the tokens', async () => {
    const body = await telegramRequest(
      { id: 't', type: 'telegram', botToken: 'x', chatId: 1, apiBase: 'https://api.telegram.org' } as never,
      alert,
    ).json()
    expect(body.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Turn on porch light', callback_data: 'tok1' },
          { text: 'I know', callback_data: 'tok2' },
        ],
      ],
    })
  })

  it('pushover and gotify: the first button as the supplementary URL', async () => {
    const form = new URLSearchParams(
      await pushoverRequest({ id: 'p', type: 'pushover', appToken: 'a', userKey: 'u', apiBase: 'https://api.pushover.net' } as never, alert).text(),
    )
    expect(form.get('url')).toBe('https://pi/v1/actions/tok1')
    expect(form.get('url_title')).toBe('Turn on porch light')
    const gotify = await gotifyRequest({ id: 'g', type: 'gotify', server: 'https://g', token: 'k' } as never, alert).json()
    expect(gotify.extras['client::notification'].click.url).toBe('https://pi/v1/actions/tok1')
  })

  it('adds nothing to an alert without buttons', async () => {
    const plain = { ...alert, actions: undefined }
    const body = await ntfyRequest({ id: 'n', type: 'ntfy', server: 'https://ntfy.sh', topic: 't' } as never, plain).json()
    expect(body.actions).toBeUndefined()
  })
})
