/** The MqttUserAdmin port over the SQLite user store: the config file's users are listed but not changed. */
import type { MqttUserAdmin } from '../../src/ports/mqtt-users.js'
import type { MqttUser } from '../mqtt/users.js'
import type { SqliteUserStore } from './users-sqlite.js'

export function createMqttUserAdmin(store: SqliteUserStore, declared: readonly MqttUser[]): MqttUserAdmin {
  const fromConfig = new Set(declared.map((u) => u.username))
  return {
    async list() {
      return store.list().map((u) => ({
        username: u.username,
        publish: u.publish,
        subscribe: u.subscribe,
        source: fromConfig.has(u.username) ? ('config' as const) : ('api' as const),
      }))
    },
    async create(user) {
      // find() covers both the config file's users and the stored ones.
      if (await store.find(user.username)) return false
      store.put(user)
      return true
    },
    async remove(username) {
      if (fromConfig.has(username)) return 'declared'
      return store.remove(username) ? 'removed' : 'absent'
    },
  }
}
