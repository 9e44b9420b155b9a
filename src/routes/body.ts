/** Reads a request body with a byte cap, without buffering more than the cap. */
import { errPayloadTooLarge } from '../errors.js'
import type { AppBindings } from './env.js'

/** Refuses a declared Content-Length over the cap before a byte is read; the declared length, or null. */
function declaredWithin(request: Request, maxBytes: number): string | null {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    throw errPayloadTooLarge.with(`limit is ${maxBytes} bytes`, { limitBytes: maxBytes })
  }
  return declared
}

/**
 * The body as readBodyLimited reads it, without a promise, when the runtime already holds all of it (AppBindings'
 * arrivedBody); undefined when it must be read with readBodyLimited. A declared length over the cap is refused first,
 * as readBodyLimited does. An arrived body is exactly its declared length (HTTP framing), so it is within the cap.
 */
export function arrivedBodyLimited(request: Request, maxBytes: number, arrived: AppBindings['arrivedBody']): Uint8Array | undefined {
  if (!arrived) return undefined
  const declared = declaredWithin(request, maxBytes)
  return declared === null ? undefined : arrived.rawBody
}

export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = declaredWithin(request, maxBytes)
  if (declared !== null) {
    // HTTP framing holds the body to its declared length, so it can be read whole. On Node this takes
    // @hono/node-server's direct path, which skips building a web ReadableStream for every request.
    return new Uint8Array(await request.arrayBuffer())
  }
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw errPayloadTooLarge.with(`limit is ${maxBytes} bytes`, { limitBytes: maxBytes })
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
