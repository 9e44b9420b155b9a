/** One delivery attempt: a POST with a timeout. Returns a result and never throws; the caller decides about retries. */
import { parseRetryAfter } from '../http/retry-after.js'

export interface DeliveryRequest {
  url: string
  /** Signature headers and the user's extra headers. */
  headers: Record<string, string>
  body: string
  timeoutMs: number
  /** Aborts the attempt when the dispatcher shuts down. */
  signal?: AbortSignal
}

export interface DeliveryResult {
  ok: boolean
  status?: number
  error?: string
  durationMs: number
  /** From a Retry-After header on a failure: the receiver asked us to wait this long. */
  retryInMs?: number
  /** 410 Gone: the receiver wants no more deliveries. */
  gone?: boolean
}

/** Response bytes read so the connection can be reused; beyond this it is cancelled. */
const MAX_RESPONSE_BYTES = 64 * 1024

function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`
  if (err instanceof DOMException && err.name === 'AbortError') return 'aborted: shutting down'
  if (err instanceof Error) {
    // undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`.
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause
    if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`
    if (cause?.message) return cause.message
    return err.message
  }
  return String(err)
}

/** Reads (and drops) a small response so keep-alive connections stay usable; cancels a large one. */
async function drain(body: ReadableStream<Uint8Array> | null, signal: AbortSignal): Promise<void> {
  if (!body) return
  const reader = body.getReader()
  // Not every fetch ties the body to the signal: cancel the read ourselves so a stalled body cannot outlive the timeout.
  const onAbort = () => void reader.cancel(signal.reason).catch(() => {})
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    let total = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (signal.aborted) throw signal.reason
      if (done) return
      total += value.byteLength
      if (total > MAX_RESPONSE_BYTES) {
        await reader.cancel()
        return
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** POSTs the body once. Any 2xx is success; anything else, a network error or the timeout is a failure. */
export async function deliverOnce(fetchFn: typeof fetch, request: DeliveryRequest, now: () => number): Promise<DeliveryResult> {
  const started = now()
  // One controller and a plain timer: AbortSignal.timeout and AbortSignal.any cost more than the request itself at
  // thousands of deliveries per second (Node 20).
  const controller = new AbortController()
  const signal = controller.signal
  const timer = setTimeout(() => controller.abort(new DOMException(`timeout after ${request.timeoutMs} ms`, 'TimeoutError')), request.timeoutMs)
  const onStop = () => controller.abort(new DOMException('shutting down', 'AbortError'))
  if (request.signal?.aborted) onStop()
  request.signal?.addEventListener('abort', onStop, { once: true })
  try {
    const response = await fetchFn(request.url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json' },
      body: request.body,
      signal,
      // A redirect could lead past the URL policy (to 127.0.0.1, say): a 3xx is a failure like any non-2xx.
      redirect: 'manual',
    })
    // The timeout covers the body as well: a receiver that sends headers and then stalls is still a failure.
    await drain(response.body, signal)
    const durationMs = now() - started
    const status = response.status
    if (status >= 200 && status < 300) return { ok: true, status, durationMs }
    const retryInMs = parseRetryAfter(response.headers.get('retry-after'), now())
    return {
      ok: false,
      status,
      durationMs,
      ...(status === 410 ? { gone: true } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    }
  } catch (err) {
    return { ok: false, error: describeError(signal.aborted ? signal.reason : err, request.timeoutMs), durationMs: now() - started }
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', onStop)
  }
}
