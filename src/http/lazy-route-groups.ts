/**
 * Route groups that are loaded, and mounted on the app, by the first request under their path. A group's module
 * builds its route schemas and their OpenAPI metadata when it loads, which is most of what the app holds; a group a
 * home rarely calls need not be held by an idle node. Once mounted, a group's routes are the app's like any other:
 * the same middleware, token check, validation and router, so a request is answered the same before and after.
 */
import type { Context, Env, Hono, MiddlewareHandler } from 'hono'

export interface LazyRouteGroup<R> {
  /** The path the group owns: the path itself and every path below it (`/v1/tokens`, `/v1/tokens/abc`). */
  under: string
  /** The group's module, loaded once; it resolves to what builds the group's routes. */
  load(): Promise<() => R>
}

/**
 * Puts a placeholder for each group on `app`, to be called before any other middleware is added. On the first
 * request under the group's path it loads and mounts the group, then hands that same request to the app again,
 * which now routes it to the group: nothing has seen the request yet (no middleware ran, no body was read), so the
 * app dispatches it once. Later requests pass the placeholder by; paths no group owns never meet one. The router
 * must take routes after it has matched (TrieRouter does).
 */
export function mountOnFirstRequest<E extends Env, R>(app: Hono<E>, groups: readonly LazyRouteGroup<R>[], mount: (routes: R) => void): void {
  for (const group of groups) {
    let mounted = false
    let mounting: Promise<void> | undefined
    const placeholder: MiddlewareHandler<E> = async (c, next) => {
      if (mounted) return next()
      mounting ??= group.load().then(
        (routes) => {
          mount(routes())
          mounted = true
        },
        (err: unknown) => {
          // A failed load is tried again by the next request rather than remembered.
          mounting = undefined
          throw err
        },
      )
      await mounting
      return app.fetch(c.req.raw, c.env, executionCtxOf(c))
    }
    app.use(group.under, placeholder)
    app.use(`${group.under}/*`, placeholder)
  }
}

/** The request's execution context where the runtime gave one (Hono's getter throws when there is none). */
function executionCtxOf(c: Context): Context['executionCtx'] | undefined {
  try {
    return c.executionCtx
  } catch {
    return undefined
  }
}
