/** A UserDirectory over a fixed list of users: the `mqtt.users` section of the config file. */
import type { MqttUser, UserDirectory } from './broker.js'

export function createStaticUserDirectory(users: readonly MqttUser[]): UserDirectory {
  const byName = new Map(users.map((user) => [user.username, user]))
  return { find: async (username) => byName.get(username) }
}
