/** Reads a request body with a byte cap, without buffering more than the cap. */
import { errPayloadTooLarge } from '../errors.js'

export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    throw errPayloadTooLarge.with(`limit is ${maxBytes} bytes`, { limitBytes: maxBytes })
  }
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
