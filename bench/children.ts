/** Runs bench child scripts with tsx: to completion (parsing the JSON line it prints), or held open until closed. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const TSX_CLI = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))

export function runChild<T>(script: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop()
      if (code !== 0 || !line) reject(new Error(`${script} exited ${code}`))
      else resolve(JSON.parse(line) as T)
    })
  })
}

/** Starts a child that prints one JSON line and then keeps running (e.g. holding connections) until close(). */
export function holdChild<T>(script: string, args: unknown): Promise<{ result: T; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl < 0) return
      resolve({
        result: JSON.parse(out.slice(0, nl)) as T,
        close: async () => {
          child.kill('SIGTERM')
          await exited
        },
      })
    })
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)))
  })
}
