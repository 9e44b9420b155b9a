/** One connected MQTT client, as GET /v1/clients shows it. */
export interface ClientInfo {
  clientId: string
  /** Absent for anonymous clients. */
  username?: string
  /** Remote address and port, e.g. `127.0.0.1:51234`. */
  address?: string
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  protocolVersion?: number
  /** ms since epoch when the CONNACK was sent. */
  connectedAt?: number
  /** Seconds; 0 means none. */
  keepAliveSeconds?: number
  subscriptions: number
  transport?: 'tcp' | 'websocket'
}

/** The broker's client list, and a way to end one connection. */
export interface ClientDirectory {
  list(): ClientInfo[]
  /** Closes the connection (MQTT 5: DISCONNECT 0x98 Administrative action); false when no such client is connected. */
  disconnect(clientId: string): Promise<boolean>
}
