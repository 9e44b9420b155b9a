/**
 * The Worker entry: the same /v1 API as the home node, served by the home's Durable Object (LinkHub), which also
 * terminates the link the home node dials at /v1/link.
 */
import { hasBrokerUrl } from './broker-url/broker-url.js'
import { HOME_HUB_NAME, type Env } from './env.js'

export { LinkHub } from './link/link-hub.js'
export { BrokerHub } from './broker-url/broker-url-hub.js'

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // BROKER_URL set: the Worker is an MQTT client of that broker (docs/edge.md#broker_url); otherwise the link mode.
    if (hasBrokerUrl(env)) return env.BROKER_HUB.getByName(HOME_HUB_NAME).fetch(request)
    return env.LINK_HUB.getByName(HOME_HUB_NAME).fetch(request)
  },
} satisfies ExportedHandler<Env>
