/**
 * The HTTP API, built by the first HTTP request instead of at start: the app (its routes and their schemas, Hono,
 * the OpenAPI extension of zod) and Hono's Node adapter. Loading the adapter reads Node's Request, Response and
 * Headers, which makes Node load its whole fetch implementation (undici) and http2: ~40 ms of start-up and several
 * MB; the app is ~1 MB more. A node nobody has asked anything yet needs neither. A request that comes while they
 * load waits for them (its body waits unread in the socket), so every request is answered as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppBindings } from '../../src/routes/env.js'
import { ArrivedBodyMessage } from './arrived-body.js'

type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/** The app's fetch; it is also handed the request target as the client wrote it (AppBindings). */
export type AppFetch = (request: Request, bindings: AppBindings) => Response | Promise<Response>

/** `loadApp` builds the app once, with the first request; `onLoadError` hears why, if it cannot (each request then gets a 500). */
export function lazyRequestListener(loadApp: () => Promise<AppFetch>, onLoadError: (err: unknown) => void = () => {}): NodeListener {
  let listener: NodeListener | undefined
  let loading: Promise<NodeListener> | undefined
  return (req, res) => {
    if (listener) return listener(req, res)
    if (!loading) {
      loading = Promise.all([import('@hono/node-server'), loadApp()]).then(
        ([{ getRequestListener }, fetch]) =>
          (listener = getRequestListener((request, env) =>
            fetch(request, {
              requestTarget: env.incoming.url ?? '',
              arrivedBody: env.incoming instanceof ArrivedBodyMessage ? env.incoming : undefined,
            }),
          )),
      )
      loading.catch(onLoadError)
    }
    return loading.then(
      (loaded) => loaded(req, res),
      () => {
        // Only a broken installation or a defect gets here (onLoadError says which): answer, never end the process.
        res.statusCode = 500
        res.end()
      },
    )
  }
}
