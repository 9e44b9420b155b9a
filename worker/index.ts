/**
 * The Worker entry: the same /v1 API as the home node, served by the home's Durable Object (LinkHub), which also
 * terminates the link the home node dials at /v1/link.
 */
import { HOME_HUB_NAME, type Env } from './env.js'

export { LinkHub } from './link-hub.js'

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return env.LINK_HUB.getByName(HOME_HUB_NAME).fetch(request)
  },
} satisfies ExportedHandler<Env>
