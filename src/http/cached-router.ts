/**
 * A router that remembers its recent answers. Hono's RegExpRouter cannot take the API's routes (a static
 * `/v1/publish/bulk` beside the multi-segment `/v1/publish/:topic{.+}`), so every request walked the trie of
 * some 140 routes; a house sends to the same few paths over and over. Answers depend only on the method and
 * the path and are never changed by Hono, so one answer serves every request for that pair.
 */
import type { Result, Router } from 'hono/router'

/** Paths longer than this are matched each time: a few long, unique paths must not fill the memory. */
export const MAX_CACHED_PATH_CHARS = 256

export class CachedRouter<T> implements Router<T> {
  private readonly answers = new Map<string, Result<T>>()

  /** `maxEntries` bounds the memory: the oldest answer is forgotten first. */
  constructor(
    private readonly inner: Router<T>,
    private readonly maxEntries = 1024,
  ) {}

  get name(): string {
    return `CachedRouter(${this.inner.name})`
  }

  add(method: string, path: string, handler: T): void {
    this.answers.clear()
    this.inner.add(method, path, handler)
  }

  match(method: string, path: string): Result<T> {
    if (path.length > MAX_CACHED_PATH_CHARS) return this.inner.match(method, path)
    const key = `${method} ${path}`
    const known = this.answers.get(key)
    if (known) return known
    const answer = this.inner.match(method, path)
    if (this.answers.size >= this.maxEntries) {
      const oldest = this.answers.keys().next()
      if (!oldest.done) this.answers.delete(oldest.value)
    }
    this.answers.set(key, answer)
    return answer
  }

  /** How many answers are remembered (for tests). */
  get size(): number {
    return this.answers.size
  }
}
