/**
 * Holds `count` idle MQTT devices connected to a broker: raw TCP sockets, each sending one MQTT 3.1.1 CONNECT
 * (clean session, keep-alive 0) and waiting for its CONNACK. Prints `{"connected":n}` once all are in, then
 * keeps them open until SIGTERM.
 */
import { connect, type Socket } from 'node:net'

const { port, count } = JSON.parse(process.argv[2]!) as { port: number; count: number }

function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId)
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0]) // "MQTT", level 4, clean session, keep-alive 0
  const remaining = variable.length + 2 + id.length
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, Buffer.from([0, id.length]), id])
}

const sockets: Socket[] = []
function device(i: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(connectPacket(`bench-idle-${process.pid}-${i}`)))
    sockets.push(socket)
    socket.once('data', (d: Buffer) => resolve(d[0] === 0x20 && d[3] === 0))
    socket.on('error', () => resolve(false))
  })
}

let connected = 0
// A few at a time, as devices coming back after a power cut would not all arrive in the same millisecond.
for (let i = 0; i < count; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => device(i + j)))
  connected += batch.filter(Boolean).length
}
process.stdout.write(`${JSON.stringify({ connected })}\n`)
process.on('SIGTERM', () => {
  for (const s of sockets) s.destroy()
  process.exit(0)
})
setInterval(() => {}, 60_000)
