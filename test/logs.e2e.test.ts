/** Logs a user can follow: devices coming and going, ACL refusals without a flood, and the address at any level. */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/auth/password.js'
import { startTestHome, tempDataDir, waitFor, type TestHome } from './fixtures/home.js'
import { startCli } from './fixtures/process.js'
import { rmSync } from 'node:fs'

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

describe('device logs', () => {
  it('logs a device connecting and disconnecting at info with its client id, user and address', async () => {
    const passwordHash = await hashPassword('pw')
    home = await startTestHome({ mqtt: { users: [{ username: 'relay1', passwordHash, publish: ['home/relay1/#'], subscribe: ['home/relay1/#'] }] } })
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, {
      clientId: 'relay-1',
      username: 'relay1',
      password: 'pw',
      reconnectPeriod: 0,
    })
    const connected = await waitFor(() => home!.log.lines.find((l) => l.msg === 'mqtt client connected'), 5000, 'connect line')
    expect(connected!.level).toBe('info')
    expect(connected!.obj).toMatchObject({ clientId: 'relay-1', username: 'relay1', remoteAddress: expect.stringContaining('127.0.0.1') })
    // Outside the ACL, twice: one warn line, both at debug.
    await expect(device.subscribeAsync('home/other/#')).rejects.toThrow()
    await expect(device.subscribeAsync('home/other/#')).rejects.toThrow()
    const refused = home.log.lines.filter((l) => l.msg === 'mqtt subscribe denied')
    expect(refused.filter((l) => l.level === 'warn').map((l) => l.obj)).toEqual([{ clientId: 'relay-1', username: 'relay1', topic: 'home/other/#' }])
    expect(refused.filter((l) => l.level === 'debug')).toHaveLength(2)
    await device.endAsync()
    const gone = await waitFor(() => home!.log.lines.find((l) => l.msg === 'mqtt client disconnected'), 5000, 'disconnect line')
    expect(gone!).toMatchObject({ level: 'info', obj: { clientId: 'relay-1', username: 'relay1' } })
  })
})

describe('logLevel warn', () => {
  it('still shows where Postbridge listens', async () => {
    const dataDir = tempDataDir()
    const running = await startCli({
      POSTBRIDGE_DATA_DIR: dataDir,
      POSTBRIDGE_LOG_LEVEL: 'warn',
      POSTBRIDGE_ADMIN_TOKEN: 'logs-test-admin-token-0123',
    })
    try {
      const ready = JSON.parse(
        running
          .stdout()
          .split('\n')
          .find((l) => l.includes('"msg":"ready"'))!,
      ) as { level: number; http: string }
      expect(ready.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(ready.level).toBe(40) // pino's warn
      // Nothing else at info got through.
      expect(running.stdout()).not.toContain('"level":30')
    } finally {
      running.child.kill('SIGTERM')
      await running.exited
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
