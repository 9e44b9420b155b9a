/**
 * One baseline as its own process, as a user would run it: `aedes-memory` (aedes as shipped), `aedes-level`
 * (aedes on the LevelDB persistence Postbridge builds on), or `bridge` (a bare node:http server that publishes
 * each request body with mqtt.js into the broker on the given port, answering after the PUBACK at QoS 1).
 * Prints one `{"ready":...}` line, then runs until SIGTERM. Plain JavaScript run by plain node, as a user
 * would run a bare broker: no TypeScript loader in the process whose memory and start-up are measured.
 */
import { createServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { join } from 'node:path'

const [kind, portArg] = process.argv.slice(2)
/** @type {(() => Promise<unknown>)[]} */
const closers = []

function listen(server) {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)))
}

if (kind === 'bridge') {
  const { default: mqtt } = await import('mqtt')
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portArg}`, { clientId: `bench-bridge-${process.pid}`, reconnectPeriod: 0 })
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url, 'http://x')
      const qos = Number(u.searchParams.get('qos') ?? 1)
      client.publish(u.pathname.slice('/v1/publish/'.length), Buffer.concat(chunks), { qos }, (err) => {
        res.writeHead(err ? 503 : 200, { 'content-type': 'application/json' }).end('{}')
      })
    })
  })
  const port = await listen(server)
  closers.push(() => client.endAsync())
  process.stdout.write(`${JSON.stringify({ ready: true, httpUrl: `http://127.0.0.1:${port}` })}\n`)
} else {
  const { Aedes } = await import('aedes')
  let persistence
  if (kind === 'aedes-level') {
    const { default: AsyncLevelPersistence } = await import('aedes-persistence-level/asyncPersistence.js')
    const { Level } = await import('level')
    const db = new Level(join(process.env.POSTBRIDGE_DATA_DIR ?? '.', 'level'))
    persistence = new AsyncLevelPersistence(db)
    closers.push(() => db.close())
  }
  const broker = await Aedes.createBroker(persistence ? { persistence } : {})
  const server = createTcpServer((socket) => {
    socket.setNoDelay(true)
    broker.handle(socket)
  })
  const port = await listen(server)
  closers.unshift(() => new Promise((r) => broker.close(() => r())))
  process.stdout.write(`${JSON.stringify({ ready: true, mqttPort: port })}\n`)
}

process.on('SIGTERM', () => {
  void (async () => {
    for (const close of closers) await close().catch(() => {})
    process.exit(0)
  })()
})
