/** An MQTT user without its password hash. */
export interface MqttUserInfo {
  username: string
  publish: string[]
  subscribe: string[]
  /** 'config': declared in the config file, read-only here. */
  source: 'config' | 'api'
}

/** The MQTT users of this node: a user added here can connect at once; removal refuses new connections. */
export interface MqttUserAdmin {
  list(): Promise<MqttUserInfo[]>
  /** False when the username is taken. */
  create(user: { username: string; passwordHash: string; publish: string[]; subscribe: string[] }): Promise<boolean>
  /** 'declared': the user comes from the config file and stays. */
  remove(username: string): Promise<'removed' | 'absent' | 'declared'>
}
