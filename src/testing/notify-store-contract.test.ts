import { MemoryNotifierStore } from './memory-notifier-store.js'
import { MemorySensorStore } from './memory-sensor-store.js'
import { describeNotifierStore, describeSensorStore } from './notify-store-contract.js'

describeSensorStore('memory', () => new MemorySensorStore())
describeNotifierStore('memory', () => new MemoryNotifierStore())
