/**
 * Hono's Node adapter, loaded by the first HTTP request instead of at start. Loading the adapter reads Node's
 * Request, Response and Headers, which makes Node load its whole fetch implementation (undici) and http2: ~40 ms
 * of start-up and several MB that a node nobody has asked anything yet does not need. A request that comes while
 * the adapter loads waits for it (its body waits unread in the socket), so every request is answered as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppBindings } from '../../src/routes/env.js'
import { ArrivedBodyMessage } from './arrived-body.js'

type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/** `fetch` is also handed the request target as the client wrote it (AppBindings). */
export function lazyRequestListener(fetch: (request: Request, bindings: AppBindings) => Response | Promise<Response>): NodeListener {
  let listener: NodeListener | undefined
  let loading: Promise<NodeListener> | undefined
  return (req, res) => {
    if (listener) return listener(req, res)
    loading ??= import('@hono/node-server').then(
      ({ getRequestListener }) =>
        (listener = getRequestListener((request, env) =>
          fetch(request, {
            requestTarget: env.incoming.url ?? '',
            arrivedBody: env.incoming instanceof ArrivedBodyMessage ? env.incoming : undefined,
          }),
        )),
    )
    return loading.then(
      (loaded) => loaded(req, res),
      () => {
        // Only a broken installation gets here: answer, never end the process.
        res.statusCode = 500
        res.end()
      },
    )
  }
}
