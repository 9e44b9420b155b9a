/**
 * Route groups that are loaded, and mounted on the app, by the first request under their path. A group's module
 * builds its route schemas and their OpenAPI metadata when it loads, which is most of what the app holds; a group a
 * home rarely calls need not be held by an idle node. Once mounted, a group's routes are the app's like any other:
 * the same middleware, token check, validation and router, so a request is answered the same before and after.
 */
import type { Env, Hono } from 'hono'

export interface LazyRouteGroup<R> {
  /** The path the group owns: the path itself and every path below it (`/v1/tokens`, `/v1/tokens/abc`). */
  under: string
  /** The group's module, loaded once; it resolves to what builds the group's routes. */
  load(): Promise<() => R>
}

/** Whether `path` is `under` or below it. */
export function isUnder(path: string, under: string): boolean {
  return path === under || (path.startsWith(under) && path.charCodeAt(under.length) === 47) // '/'
}

/**
 * The app's fetch, mounting the lazy group that owns the request's path (once, whoever asks first) before the
 * request is dispatched. A path no group owns is dispatched at once; after every group has mounted, so is every path.
 * The router must take routes after it has matched (TrieRouter does).
 */
export function fetchMountingGroups<E extends Env, R>(
  app: Hono<E>,
  groups: readonly LazyRouteGroup<R>[],
  mount: (routes: R) => void,
): Hono<E>['fetch'] {
  const dispatch = app.fetch
  let waiting = groups
  const mounting = new Map<LazyRouteGroup<R>, Promise<void>>()
  const mountOnce = (group: LazyRouteGroup<R>): Promise<void> => {
    let done = mounting.get(group)
    if (!done) {
      done = group.load().then(
        (routes) => {
          mount(routes())
          waiting = waiting.filter((g) => g !== group)
        },
        (err: unknown) => {
          // A failed load is tried again by the next request rather than remembered.
          mounting.delete(group)
          throw err
        },
      )
      mounting.set(group, done)
    }
    return done
  }
  return (request, env, executionCtx) => {
    if (waiting.length > 0) {
      const path = app.getPath(request, { env })
      const group = waiting.find((g) => isUnder(path, g.under))
      if (group) return mountOnce(group).then(() => dispatch(request, env, executionCtx))
    }
    return dispatch(request, env, executionCtx)
  }
}
