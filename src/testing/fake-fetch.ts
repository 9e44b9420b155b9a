/** A fetch that records requests and answers from a script, for webhook policy tests. */

export interface RecordedRequest {
  url: string
  headers: Record<string, string>
  body: string
  signal: AbortSignal | undefined
}

/** Answers a request: a status, a Response, 'network-error', or 'hang' (never answers until aborted); or a promise of one. */
export type FakeAnswer = number | Response | 'network-error' | 'hang'

export class FakeFetch {
  readonly requests: RecordedRequest[] = []
  constructor(public answer: (request: RecordedRequest, index: number) => FakeAnswer | Promise<FakeAnswer> = () => 200) {}

  /** The bodies sent to a URL, parsed, in order. */
  bodiesTo(url: string): Record<string, unknown>[] {
    return this.requests.filter((r) => r.url === url).map((r) => JSON.parse(r.body) as Record<string, unknown>)
  }

  readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // A record of headers is read by its own keys, as the node:http fetch sends them: undici's Headers would skip
    // a name `__proto__`, and assignment into a plain object would too.
    const given = init?.headers
    const pairs = given && !(given instanceof Headers) && !Array.isArray(given) ? Object.entries(given) : [...new Headers(given)]
    const headers: Record<string, string> = Object.fromEntries(pairs.map(([k, v]) => [k.toLowerCase(), v]))
    const request: RecordedRequest = { url: String(input), headers, body: String(init?.body ?? ''), signal: init?.signal ?? undefined }
    this.requests.push(request)
    const answer = await this.answer(request, this.requests.length - 1)
    if (answer === 'network-error') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } })
    if (answer === 'hang') {
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal
        if (signal?.aborted) reject(signal.reason)
        signal?.addEventListener('abort', () => reject(signal.reason))
      })
    }
    return typeof answer === 'number' ? new Response(null, { status: answer }) : answer
  }) as typeof fetch
}
