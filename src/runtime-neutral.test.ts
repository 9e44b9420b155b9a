import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = new URL('.', import.meta.url).pathname

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

describe('the core in src/', () => {
  it('imports nothing Node-, Workers- or broker-specific, and uses no Buffer or process', () => {
    const offenders: string[] = []
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8')
      if (/from\s+['"](node:|cloudflare:|aedes|ws['"]|better-sqlite3|pino|mqtt['"])/.test(text)) offenders.push(`${file}: import`)
      if (/\bBuffer\b|\bprocess\./.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) offenders.push(`${file}: Buffer/process`)
    }
    expect(offenders).toEqual([])
  })
})
