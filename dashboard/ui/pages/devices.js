// Devices: the MQTT clients connected now (GET /v1/clients, admin), with a disconnect button.
import { act, ago, api, fill, h, notice, table } from '../lib.js'

const VERSIONS = { 3: '3.1', 4: '3.1.1', 5: '5' }

export function render(main) {
  const body = h('div', { class: 'scroll' }, h('p', { class: 'muted' }, 'Loading…'))
  const out = h('div', {})
  main.append(h('h1', {}, 'Devices'), h('section', { class: 'card' }, h('h2', {}, 'Connected MQTT clients'), out, body))
  const load = async () => {
    let clients
    try {
      ;({ clients } = await api('/v1/clients'))
    } catch (err) {
      fill(
        body,
        notice(
          err.status === 501
            ? "The MQTT client list is kept by the home node's own broker: it is not available with an external broker or at the edge."
            : err.message,
          true,
        ),
      )
      return
    }
    if (!clients.length) return fill(body, h('p', { class: 'muted' }, 'No MQTT client is connected.'))
    fill(
      body,
      table(
        { id: 'clients' },
        ['Client id', 'User', 'Address', 'MQTT', 'Since', 'Keep alive', 'Subs', ''],
        clients.map((c) => {
          const btn = h('button', { type: 'button', class: 'danger', 'aria-label': `Disconnect ${c.clientId}` }, 'Disconnect')
          btn.onclick = () =>
            act(btn, out, async () => {
              await api(`/v1/clients/${encodeURIComponent(c.clientId)}`, { method: 'DELETE' })
              await load()
              return `Disconnected ${c.clientId}.`
            })
          return [
            { 'data-client': c.clientId },
            h('td', { class: 'mono' }, c.clientId),
            c.username || h('span', { class: 'muted' }, 'anonymous'),
            h('td', { class: 'mono' }, c.address || '—', c.transport === 'websocket' ? ' (ws)' : ''),
            VERSIONS[c.protocolVersion] || c.protocolVersion || '—',
            h('td', { title: c.since || '' }, ago(c.since)),
            c.keepAlive ? `${c.keepAlive} s` : 'none',
            c.subscriptions,
            btn,
          ]
        }),
      ),
    )
  }
  load()
  const timer = setInterval(load, 5000)
  return () => clearInterval(timer)
}
