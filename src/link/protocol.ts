/** The link between the home node and the edge: MQTT 5 over WebSocket, home as the client, the edge's Durable Object as the server. */

/** Where the edge accepts the home node's WebSocket. */
export const LINK_PATH = '/v1/link'

/** The username the home node presents; the edge checks only the password (the edge secret). */
export const LINK_USERNAME = 'postbridge-home'

/**
 * The link carries every message at QoS 1 so that each hop is acknowledged. A message whose own QoS is
 * 0 or 2 travels with its QoS in this user property, and the receiving side restores it and removes the property.
 */
export const LINK_QOS_PROPERTY = 'postbridge-qos'

/**
 * Marks a retained message home sends on connect as a copy of its state, not news: the edge updates its retained
 * view and fires webhooks and SSE only when the value changed.
 */
export const LINK_SYNC_PROPERTY = 'postbridge-sync'

/** The filter the home node subscribes to at the edge: everything published at the edge comes down. */
export const LINK_DOWN_FILTER = '#'

/** The WebSocket URL of the link for the edge's base URL: ws:// for http://, wss:// for https://. */
export function linkUrl(edgeBaseUrl: string): string {
  const url = new URL(edgeBaseUrl)
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  else throw new Error(`edge.url must be http:// or https://, not ${url.protocol}`)
  // Keep a base path (a Worker mounted under a route prefix), and append /v1/link to it.
  url.pathname = url.pathname.replace(/\/+$/, '') + LINK_PATH
  url.search = ''
  url.hash = ''
  return url.toString()
}
