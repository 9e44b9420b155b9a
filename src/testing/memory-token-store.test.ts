import { MemoryTokenStore } from './memory-token-store.js'
import { describeTokenStore } from './token-store-contract.js'

describeTokenStore('memory', () => new MemoryTokenStore())
