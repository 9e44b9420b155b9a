import { describeBus } from './bus-contract.js'
import { MemoryBus } from './memory-bus.js'

describeBus('memory', async () => ({ bus: new MemoryBus(), deliversBeforeAck: true, close: async () => {} }))
