/** Runs a bench child script with tsx and parses the JSON line it prints. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

export function runChild<T>(script: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop()
      if (code !== 0 || !line) reject(new Error(`${script} exited ${code}`))
      else resolve(JSON.parse(line) as T)
    })
  })
}
