import { MemoryWebhookStore } from './memory-webhook-store.js'
import { describeWebhookStore } from './webhook-store-contract.js'

describeWebhookStore('memory', () => new MemoryWebhookStore())
