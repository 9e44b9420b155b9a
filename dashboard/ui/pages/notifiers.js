// Notifiers (admin): phone alert channels; add one, send a test alert and see the outcome, recent deliveries.
import { act, api, fill, h, notice, time } from '../lib.js'

/** The fields each type needs besides id and type (secret fields take a value or env:NAME). */
const TYPES = {
  ntfy: [
    ['server', 'https://ntfy.sh'],
    ['topic', 'my-door-7f3k'],
    ['token', 'optional'],
  ],
  gotify: [
    ['server', 'http://gotify.local'],
    ['token', 'app token or env:NAME'],
  ],
  pushover: [
    ['appToken', 'env:PUSHOVER_APP'],
    ['userKey', 'env:PUSHOVER_USER'],
  ],
  telegram: [
    ['botToken', 'env:TELEGRAM_BOT'],
    ['chatId', '123456789'],
  ],
  webhook: [
    ['url', 'http://192.168.1.10/hook'],
    ['secret', 'optional'],
  ],
}

export function render(main) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'))
  const out = h('div', {})
  const load = async () => {
    let notifiers
    try {
      ;({ notifiers } = await api('/v1/notifiers'))
    } catch (err) {
      fill(box, notice(err.status === 501 ? 'Phone alerts are not enabled on this node.' : err.message, true))
      return
    }
    fill(box, notifiers.length ? notifiers.map((n) => card(n, load)) : h('p', { class: 'muted' }, 'No notifier yet.'))
  }
  main.append(h('h1', {}, 'Notifiers'), createForm(out, load), out, box)
  load()
}

function createForm(out, reload) {
  const id = h('input', { id: 'n-id', name: 'id', required: true, placeholder: 'phone', autocomplete: 'off' })
  const type = h(
    'select',
    { id: 'n-type', name: 'type' },
    Object.keys(TYPES).map((t) => h('option', { value: t }, t)),
  )
  const extra = h('div', { class: 'row' })
  const inputs = {}
  const showFields = () => {
    for (const k of Object.keys(inputs)) delete inputs[k]
    fill(
      extra,
      TYPES[type.value].map(([name, hint]) => {
        inputs[name] = h('input', { id: `n-${name}`, name, placeholder: hint, autocomplete: 'off', required: hint !== 'optional' })
        return h('label', { for: `n-${name}` }, name, inputs[name])
      }),
    )
  }
  type.onchange = showFields
  showFields()
  const submit = h('button', { type: 'submit' }, 'Add notifier')
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Add a notifier'),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault()
          act(submit, out, async () => {
            const body = { id: id.value.trim(), type: type.value }
            for (const [k, input] of Object.entries(inputs))
              if (input.value.trim()) body[k] = k === 'chatId' && /^-?\d+$/.test(input.value) ? Number(input.value) : input.value.trim()
            await api('/v1/notifiers', { method: 'POST', body })
            id.value = ''
            showFields()
            reload()
            return `Added ${body.id}. Send a test to check it.`
          })
        },
      },
      h('div', { class: 'row' }, h('label', { for: 'n-id' }, 'Id', id), h('label', { for: 'n-type' }, 'Type', type)),
      extra,
      h('div', {}, submit),
    ),
  )
}

function card(n, reload) {
  const out = h('div', {})
  const log = h('div', { class: 'scroll' })
  const details = Object.entries(n)
    .filter(([k]) => !['id', 'type', 'source'].includes(k))
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' · ')
  const showLog = async () => {
    const { deliveries } = await api(`/v1/notifiers/${encodeURIComponent(n.id)}/deliveries?limit=20`)
    fill(
      log,
      deliveries.length
        ? h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['When', 'Alert', 'Outcome', 'Status / error'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              deliveries.map((d) =>
                h(
                  'tr',
                  {},
                  h('td', {}, time(d.at)),
                  h('td', {}, d.title),
                  h('td', { class: d.ok ? 'ok' : 'bad' }, d.outcome),
                  h('td', {}, d.status ?? '', d.error ? ` ${d.error}` : ''),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'Nothing sent yet.'),
    )
  }
  const test = h('button', { type: 'button' }, 'Send test alert')
  test.onclick = () =>
    act(test, out, async () => {
      const r = await api(`/v1/notifiers/${encodeURIComponent(n.id)}/test`, { method: 'POST' })
      await showLog()
      return r.ok
        ? `Test alert sent${r.status ? ` (HTTP ${r.status})` : ''}.`
        : `Test alert failed: ${r.status ? `HTTP ${r.status} ` : ''}${r.error || ''}`
    })
  const del = h('button', { type: 'button', class: 'danger' }, 'Remove')
  del.onclick = () =>
    act(del, out, async () => {
      if (!confirm(`Remove notifier ${n.id}?`)) return ''
      await api(`/v1/notifiers/${encodeURIComponent(n.id)}`, { method: 'DELETE' })
      reload()
    })
  const recent = h('button', { type: 'button', class: 'secondary' }, 'Recent alerts')
  recent.onclick = () => act(recent, out, showLog)
  return h(
    'section',
    { class: 'card', 'data-notifier': n.id },
    h('h2', {}, n.id, ' ', h('span', { class: 'badge' }, n.type)),
    h('p', { class: 'muted mono' }, details, ` · ${n.source}`),
    h('div', { class: 'actions' }, test, recent, n.source === 'api' ? del : null),
    out,
    log,
  )
}
