/** MQTT users and where the broker finds them, and a UserDirectory over a fixed list (the config's `mqtt.users`). */

export interface MqttUser {
  username: string
  /** `pbkdf2-sha256$...` (src/auth/password.ts). */
  passwordHash: string
  /** Topic filters the user may publish to; %u and %c expand to the username and client id. */
  publish: string[]
  /** Topic filters the user may subscribe within. */
  subscribe: string[]
}

export interface UserDirectory {
  find(username: string): Promise<MqttUser | undefined>
}

/** A UserDirectory over a fixed list of users: the `mqtt.users` section of the config file. */
export function createStaticUserDirectory(users: readonly MqttUser[]): UserDirectory {
  const byName = new Map(users.map((user) => [user.username, user]))
  return { find: async (username) => byName.get(username) }
}
