/**
 * Correction: CONNACK 0x9F (Connection rate exceeded) for an MQTT 5 client refused by the login throttle
 * (MQTT 5 §3.2.2.2: "0x9F Connection rate exceeded: The connection rate limit has been exceeded").
 *
 * Defect (aedes 2.0.0-beta.1, lib/handlers/connect.js): an error from the authenticate hook can only
 * carry a 3.1.1 return code 2 to 5 (anything else becomes 5), mapped to 0x85..0x87 for MQTT 5; there
 * is no way to answer 0x9F. So the CONNACK is written here and the connection closed; aedes, called
 * back after the close, sees the client closed and writes nothing more.
 */
import type { Client } from 'aedes'

/** CONNACK: Session Present 0, Reason Code 0x9F, no properties. */
const CONNACK_RATE_EXCEEDED = Buffer.from([0x20, 0x03, 0x00, 0x9f, 0x00])

/** Answers an MQTT 5 CONNECT with CONNACK 0x9F, closes, then calls aedes' authenticate callback. */
export function refuseRateExceeded(client: Client, reason: string, done: (error: Error & { returnCode: number }, success: false) => void): void {
  const finish = () => {
    client.close()
    done(Object.assign(new Error(reason), { returnCode: 5 }), false)
  }
  if (client.conn.destroyed) finish()
  else client.conn.write(CONNACK_RATE_EXCEEDED, finish)
}
