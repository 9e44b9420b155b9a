/**
 * Telegram Bot API (https://core.telegram.org/bots/api#sendmessage): POST /bot<token>/sendMessage with JSON
 * chat_id and text. Plain text, no parse_mode: a sensor name with "_" or "*" would otherwise break Markdown.
 */
import type { Alert } from '../model.js'
import type { TelegramNotifier } from './types.js'

export function telegramRequest(n: TelegramNotifier, alert: Alert): Request {
  const lines = [alert.title, alert.body, ...(alert.click ? [alert.click] : [])]
  const body = {
    chat_id: n.chatId,
    text: lines.join('\n'),
    // Telegram has no priority; low-priority alerts arrive without a sound.
    ...(alert.priority <= 2 ? { disable_notification: true } : {}),
    // Callback buttons: Telegram hands the press to the bot's getUpdates (src/notify/telegram-actions.ts), so no
    // public address is needed. callback_data is the single-use token (at most 64 bytes; ours are 32).
    ...(alert.actions?.length ? { reply_markup: { inline_keyboard: [alert.actions.map((a) => ({ text: a.label, callback_data: a.token }))] } } : {}),
  }
  return new Request(`${n.apiBase.replace(/\/+$/, '')}/bot${n.botToken}/sendMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}
