/** Messages on the link: the core's Message as the PUBLISH fields both MQTT stacks (mqtt-packet, mqtt.js) use. */
import type { Message, MessageProperties, Qos } from '../ports/types.js'
import { LINK_QOS_PROPERTY, LINK_SYNC_PROPERTY } from './protocol.js'

/** The PUBLISH fields of a message on the link; the same names as mqtt-packet's IPublishPacket. */
export interface LinkPublish {
  topic: string
  payload: Uint8Array
  qos: 1
  retain: boolean
  properties?: MessageProperties
}

/** The message as it crosses the link: at QoS 1, its own QoS kept in a user property when that differs. */
export function toLinkPublish(message: Message): LinkPublish {
  const props: MessageProperties = { ...message.properties }
  if (message.qos !== 1) props.userProperties = { ...props.userProperties, [LINK_QOS_PROPERTY]: String(message.qos) }
  const properties = withoutEmpty(props)
  return { topic: message.topic, payload: message.payload, qos: 1, retain: message.retain, ...(properties ? { properties } : {}) }
}

/** A PUBLISH received on the link as the message it carries, with its own QoS restored. */
export function fromLinkPublish(packet: { topic: string; payload: Uint8Array | string; retain?: boolean; properties?: object }): Message {
  const props = pickProperties(packet.properties as Record<string, unknown> | undefined)
  let qos: Qos = 1
  const users = props.userProperties
  if (users && LINK_QOS_PROPERTY in users) {
    const raw = users[LINK_QOS_PROPERTY]
    const value = Array.isArray(raw) ? raw[0] : raw
    if (value === '0' || value === '2') qos = Number(value) as Qos
    const { [LINK_QOS_PROPERTY]: _dropped, ...rest } = users
    if (Object.keys(rest).length > 0) props.userProperties = rest
    else delete props.userProperties
  }
  const payload = typeof packet.payload === 'string' ? new TextEncoder().encode(packet.payload) : new Uint8Array(packet.payload)
  const properties = withoutEmpty(props)
  return { topic: packet.topic, payload, qos, retain: packet.retain === true, ...(properties ? { properties } : {}) }
}

/** Keeps only the MQTT 5 properties Postbridge carries (not topicAlias, subscriptionIdentifier...). */
function pickProperties(p: Record<string, unknown> | undefined): MessageProperties {
  const out: MessageProperties = {}
  if (!p) return out
  if (typeof p.contentType === 'string') out.contentType = p.contentType
  if (typeof p.payloadFormatIndicator === 'boolean') out.payloadFormatIndicator = p.payloadFormatIndicator
  if (typeof p.messageExpiryInterval === 'number') out.messageExpiryInterval = p.messageExpiryInterval
  if (typeof p.responseTopic === 'string') out.responseTopic = p.responseTopic
  if (p.correlationData instanceof Uint8Array) out.correlationData = new Uint8Array(p.correlationData)
  if (p.userProperties && typeof p.userProperties === 'object') out.userProperties = { ...(p.userProperties as Record<string, string | string[]>) }
  return out
}

function withoutEmpty(p: MessageProperties): MessageProperties | undefined {
  return Object.keys(p).length > 0 ? p : undefined
}

/** Whether home marked the message as a copy of its retained state (LINK_SYNC_PROPERTY); the mark removed. */
export function takeSyncMark(message: Message): { message: Message; sync: boolean } {
  const users = message.properties?.userProperties
  if (!users || !(LINK_SYNC_PROPERTY in users)) return { message, sync: false }
  const { [LINK_SYNC_PROPERTY]: _mark, ...rest } = users
  const { userProperties: _u, ...props } = message.properties!
  const properties = withoutEmpty(Object.keys(rest).length > 0 ? { ...props, userProperties: rest } : props)
  const { properties: _p, ...bare } = message
  return { message: properties ? { ...bare, properties } : bare, sync: true }
}
