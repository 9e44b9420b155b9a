/**
 * TLS end to end: certificates made at test time, MQTT over TLS with mqtt.js and mosquitto_pub --cafile, HTTPS and
 * secure WebSocket on the HTTP port, a renewal served without a restart, and client certificates as identities.
 */
import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import mqtt from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/auth/password.js'
import { makeCa, type KeyPair, type Pki } from './fixtures/certs.js'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoSub } from './fixtures/mosquitto.js'

let dir: string
let pki: Pki
let live: KeyPair
let home: TestHome | undefined
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'postbridge-tls-'))
  pki = makeCa(dir)
  const first = pki.server('server-1')
  // The files the node reads, replaced in place by the renewal test (as certbot's live/ links are).
  live = { cert: join(dir, 'live.pem'), key: join(dir, 'live.key') }
  copyFileSync(first.cert, live.cert)
  copyFileSync(first.key, live.key)
})
afterEach(async () => {
  await home?.stop()
  home = undefined
  rmSync(dir, { recursive: true, force: true })
})

async function start(tls: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestHome> {
  home = await startTestHome({ tls: { cert: live.cert, key: live.key, mqttPort: 0, watchInterval: '100ms', ...tls }, ...extra })
  return home
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to the port is served. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(ca), servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256)
      socket.end()
    })
    socket.on('error', reject)
  })
}

const fingerprintOf = (pem: string) => new X509Certificate(readFileSync(pem)).fingerprint256

function mosquittoPubTls(port: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', 'localhost', '-p', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('exit', (code) => resolve({ code, stderr }))
  })
}

describe('MQTT over TLS', () => {
  it('carries a publish from mosquitto_pub --cafile to a plain subscriber', async () => {
    const node = await start()
    const sub = await mosquittoSub(node.mqttPort, 'home/tls/#')
    try {
      const r = await mosquittoPubTls(node.mqttTlsPort!, ['--cafile', pki.ca.cert, '-t', 'home/tls/a', '-m', 'over tls', '-q', '1'])
      expect(r.code, r.stderr).toBe(0)
      expect(await sub.waitForLines(1)).toEqual(['home/tls/a over tls'])
    } finally {
      sub.stop()
    }
  })

  it('works for mqtt.js with the CA, and a client trusting another CA is refused', async () => {
    const node = await start()
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
      ca: readFileSync(pki.ca.cert),
      servername: 'localhost',
      reconnectPeriod: 0,
    })
    await client.subscribeAsync('t/1')
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())))
    await client.publishAsync('t/1', 'hello', { qos: 1 })
    expect(await got).toBe('hello')
    await client.endAsync()
    const other = makeCa(dir, 'other-ca')
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
        ca: readFileSync(other.ca.cert),
        servername: 'localhost',
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/certificate/i)
    const r = await mosquittoPubTls(node.mqttTlsPort!, ['--cafile', other.ca.cert, '-t', 'x', '-m', 'y'])
    expect(r.code).not.toBe(0)
  })

  it('serves a renewed certificate to new connections without a restart and keeps the old ones', async () => {
    const node = await start()
    const before = await servedFingerprint(node.mqttTlsPort!, pki.ca.cert)
    expect(before).toBe(fingerprintOf(live.cert))
    const old = await mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
      ca: readFileSync(pki.ca.cert),
      servername: 'localhost',
      reconnectPeriod: 0,
    })
    const renewed = pki.server('server-2')
    copyFileSync(renewed.key, live.key)
    copyFileSync(renewed.cert, live.cert)
    const expected = fingerprintOf(renewed.cert)
    await waitFor(async () => (await servedFingerprint(node.mqttTlsPort!, pki.ca.cert)) === expected, 10_000, 'renewed certificate on MQTT/TLS')
    await waitFor(async () => (await servedFingerprint(node.httpPort, pki.ca.cert)) === expected, 10_000, 'renewed certificate on HTTPS')
    // The connection made with the old certificate is still up and working.
    expect(old.connected).toBe(true)
    await old.publishAsync('still/here', 'yes', { qos: 1 })
    await old.endAsync()
  })

  it('keeps the old certificate when a renewal leaves a key that does not match', async () => {
    const node = await start()
    const before = await servedFingerprint(node.mqttTlsPort!, pki.ca.cert)
    copyFileSync(pki.server('server-3').cert, live.cert) // the key is not replaced
    await waitFor(
      () => node.log.lines.some((e) => e.msg === 'tls certificate change not loaded; keeping the old one'),
      10_000,
      'refused renewal logged',
    )
    expect(await servedFingerprint(node.mqttTlsPort!, pki.ca.cert)).toBe(before)
  })
})

describe('HTTPS and secure WebSocket', () => {
  it('serves the API over HTTPS on the HTTP port', async () => {
    const node = await start()
    expect(node.httpUrl.startsWith('https://')).toBe(true)
    const status = await new Promise<number>((resolve, reject) => {
      get(`https://127.0.0.1:${node.httpPort}/v1/health`, { ca: readFileSync(pki.ca.cert), servername: 'localhost' }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      }).on('error', reject)
    })
    expect(status).toBe(200)
  })

  it('carries MQTT over wss:// /mqtt', async () => {
    const node = await start()
    const client = await mqtt.connectAsync(`wss://127.0.0.1:${node.httpPort}/mqtt`, {
      ca: readFileSync(pki.ca.cert),
      servername: 'localhost',
      reconnectPeriod: 0,
    } as never)
    await client.subscribeAsync('w/1')
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())))
    await client.publishAsync('w/1', 'secure', { qos: 1 })
    expect(await got).toBe('secure')
    await client.endAsync()
  })
})

describe('client certificates', () => {
  it('refuses a TLS client without a certificate when requireClientCert is on', async () => {
    const node = await start({ ca: pki.ca.cert, requireClientCert: true })
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
        ca: readFileSync(pki.ca.cert),
        servername: 'localhost',
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow()
    const withCert = pki.client('anyone')
    const ok = await mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(withCert.cert),
      key: readFileSync(withCert.key),
      servername: 'localhost',
      reconnectPeriod: 0,
    })
    await ok.endAsync()
  })

  it("uses the certificate CN as the MQTT user, with that user's ACL and no password", async () => {
    const passwordHash = await hashPassword('unused-password')
    const node = await start(
      { ca: pki.ca.cert, requireClientCert: true, useIdentityAsUsername: true },
      { mqtt: { allowAnonymous: false, users: [{ username: 'relay1', passwordHash, publish: ['home/relay1/#'], subscribe: ['home/relay1/#'] }] } },
    )
    const relay = pki.client('relay1')
    const tlsOpts = {
      ca: readFileSync(pki.ca.cert),
      cert: readFileSync(relay.cert),
      key: readFileSync(relay.key),
      servername: 'localhost',
      reconnectPeriod: 0,
    }
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, tlsOpts)
    expect((await client.subscribeAsync('home/relay1/set')).map((g) => g.qos)).toEqual([0])
    // Outside relay1's ACL: SUBACK 0x80.
    await expect(client.subscribeAsync('home/other/#')).rejects.toThrow(/Subscribe error/)
    await client.endAsync()
    const stranger = pki.client('stranger')
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${node.mqttTlsPort}`, {
        ...tlsOpts,
        cert: readFileSync(stranger.cert),
        key: readFileSync(stranger.key),
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/Not authorized/i)
  })
})

describe('tls config', () => {
  it('names the missing file in one error', async () => {
    await expect(startTestHome({ tls: { cert: join(dir, 'nope.pem'), key: live.key, mqttPort: 0 } })).rejects.toThrow(
      /^tls\.cert: cannot read .*nope\.pem \(no such file\)$/,
    )
  })
})
