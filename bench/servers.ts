/**
 * The servers under test, each started as its own process the way a user runs it: Postbridge through its CLI
 * (`bin/postbridge.js start`), and the baselines from `baseline-child.mjs`. Every one listens on 127.0.0.1
 * on ports the OS picks, in a fresh working directory, so no postbridge.yaml and no POSTBRIDGE_* variable of
 * the caller's is read.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ADMIN = 'bench-admin-token-0123456789abcdef'

/** BENCH_POSTBRIDGE_BIN runs another build of the CLI, e.g. to compare before and after a change in one run. */
const BIN = process.env.BENCH_POSTBRIDGE_BIN ?? fileURLToPath(new URL('../bin/postbridge.js', import.meta.url))
const BASELINE = fileURLToPath(new URL('./baseline-child.mjs', import.meta.url))

export interface Running {
  pid: number
  /** Milliseconds from spawn to the process saying it is ready. */
  readyMs: number
  mqttPort: number
  httpUrl?: string
  rssMb(): number
  close(): Promise<void>
}

/** The caller's environment without any POSTBRIDGE_* variable (a config path, ports, tokens). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('POSTBRIDGE_')) env[k] = v
  return { ...env, ...extra }
}

/** CPU time the process has used so far in user and kernel mode (utime, stime from /proc), in microseconds. */
export function cpuTimes(pid: number): { userUs: number; systemUs: number } {
  // Fields 14 and 15 counted after the parenthesised command name; USER_HZ is 100 on Linux.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
  return { userUs: Number(fields[11]) * 10_000, systemUs: Number(fields[12]) * 10_000 }
}

/** CPU time the process has used so far (utime+stime), in microseconds. */
export function cpuUs(pid: number): number {
  const { userUs, systemUs } = cpuTimes(pid)
  return userUs + systemUs
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024
}

function launch(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  isReady: (line: string) => { mqttPort: number; httpUrl?: string } | undefined,
): Promise<Running> {
  const cwd = mkdtempSync(join(tmpdir(), 'pb-bench-'))
  const t0 = performance.now()
  const child: ChildProcess = spawn(cmd, args, {
    cwd,
    env: cleanEnv({ ...env, POSTBRIDGE_DATA_DIR: join(cwd, 'data') }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return new Promise((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer) => {
      out += d.toString()
      let nl: number
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        const ready = isReady(line)
        if (!ready) continue
        const readyMs = performance.now() - t0
        child.stdout!.off('data', onData)
        child.stdout!.resume() // keep draining its log
        child.off('exit', onEarlyExit)
        resolve({
          pid: child.pid!,
          readyMs,
          ...ready,
          rssMb: () => rssMb(child.pid!),
          close: async () => {
            child.kill('SIGTERM')
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
            await exited
            clearTimeout(timer)
            rmSync(cwd, { recursive: true, force: true })
          },
        })
      }
    }
    const onEarlyExit = (code: number | null) => {
      rmSync(cwd, { recursive: true, force: true })
      reject(new Error(`${args.join(' ')} exited ${code} before it was ready`))
    }
    child.stdout!.on('data', onData)
    child.once('exit', onEarlyExit)
  })
}

/** `postbridge start` on embedded defaults, as a user runs it (the compiled CLI); `wrapper` runs node under a tool (valgrind). */
export function startPostbridge(extraArgs: string[] = [], wrapper: string[] = []): Promise<Running> {
  const [cmd = process.execPath, ...wrapperArgs] = wrapper
  return launch(
    cmd,
    [...wrapperArgs, ...(wrapper.length > 0 ? [process.execPath] : []), ...extraArgs, BIN, 'start'],
    {
      POSTBRIDGE_HOST: '127.0.0.1',
      POSTBRIDGE_MQTT_PORT: '0',
      POSTBRIDGE_HTTP_PORT: '0',
      POSTBRIDGE_ADMIN_TOKEN: ADMIN,
      POSTBRIDGE_LOG_LEVEL: 'info',
    },
    (line) => {
      if (!line.includes('"msg":"ready"')) return undefined
      const ready = JSON.parse(line) as { http: string; mqttPort: number }
      return { mqttPort: ready.mqttPort, httpUrl: ready.http }
    },
  )
}

export type BaselineKind = 'aedes-memory' | 'aedes-level' | 'bridge'

/** A baseline in its own process: bare aedes (memory or LevelDB store), or the bare node:http + mqtt.js bridge into `mqttPort`. */
export function startBaseline(kind: BaselineKind, mqttPort?: number): Promise<Running> {
  return launch(process.execPath, [BASELINE, kind, String(mqttPort ?? 0)], {}, (line) => {
    if (!line.startsWith('{"ready"')) return undefined
    const ready = JSON.parse(line) as { mqttPort?: number; httpUrl?: string }
    return { mqttPort: ready.mqttPort ?? mqttPort ?? 0, httpUrl: ready.httpUrl }
  })
}
