/** Runs in its own process so the load does not share an event loop with the server under test. */
import { runLoad } from './load.js'

const opts = JSON.parse(process.argv[2]!) as { url: string; total: number; connections: number; bodyBytes: number; headers: Record<string, string> }
const result = await runLoad({ ...opts, body: new Uint8Array(opts.bodyBytes).fill(120) })
process.stdout.write(`${JSON.stringify(result)}\n`)
