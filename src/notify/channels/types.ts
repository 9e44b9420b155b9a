/** Notifier settings per provider, with secrets already resolved from `env:NAME`. */
import type { NotifierSpec } from '../config.js'

export type NtfyNotifier = Extract<NotifierSpec, { type: 'ntfy' }>
export type GotifyNotifier = Extract<NotifierSpec, { type: 'gotify' }>
export type PushoverNotifier = Extract<NotifierSpec, { type: 'pushover' }>
export type TelegramNotifier = Extract<NotifierSpec, { type: 'telegram' }>
export type WebhookNotifier = Extract<NotifierSpec, { type: 'webhook' }>
