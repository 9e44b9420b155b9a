// Types for `env` and `exports` from 'cloudflare:workers' (what `wrangler types` would generate), for worker code and tests.
// A module with `declare global`: an `extends import(...)` in a global script is not allowed, and skipLibCheck would hide it.
import type { EdgeVars } from '../src/link/edge-settings.js'
import type { BrokerUrlVars } from './broker-url/broker-url.js'
import type { LinkQuietVars } from './link/link-quiet.js'

declare global {
  namespace Cloudflare {
    interface Env extends EdgeVars, BrokerUrlVars, LinkQuietVars {
      // Untyped on purpose: LinkHub extends DurableObject<Env>, and a typed namespace here would make Env refer to itself.
      LINK_HUB: DurableObjectNamespace
      /** The BROKER_URL mode's object (BrokerHub): it holds the MQTT connections to that broker. */
      BROKER_HUB: DurableObjectNamespace
    }
    // Gives `exports` from 'cloudflare:workers' the entry's shape (exports.default.fetch in tests).
    interface GlobalProps {
      mainModule: typeof import('./index.js')
      durableNamespaces: 'LinkHub' | 'BrokerHub'
    }
  }
}
