// Overview: broker and edge link state, clients, messages per second (last 15 minutes), what needs attention.
import { lineChart } from '../chart.js'
import { api, fill, h, isAdmin } from '../lib.js'

const SAMPLE_MS = 5000
const WINDOW_MS = 15 * 60 * 1000
/** At most 15 minutes of samples: [ms, in/s, out/s]. */
const samples = []
let last = null
let health = null
let timer = null
const listeners = new Set()

async function sample() {
  try {
    health = await api('/v1/health')
  } catch (err) {
    health = { status: 'down', error: err.message }
  }
  const b = health.broker || {}
  const now = Date.now()
  if (last && b.messagesIn !== undefined && b.messagesIn >= last.in) {
    const s = (now - last.at) / 1000
    samples.push([now, (b.messagesIn - last.in) / s, (b.messagesOut - last.out) / s])
  }
  last = b.messagesIn !== undefined ? { at: now, in: b.messagesIn, out: b.messagesOut ?? 0 } : null
  while (samples.length && samples[0][0] < now - WINDOW_MS) samples.shift()
  for (const l of listeners) l()
}

/** Counts messages per second from /v1/health every 5 s while signed in, whichever page is open. */
export function startSampling() {
  if (timer) return
  sample()
  timer = setInterval(sample, SAMPLE_MS)
}

function stateOf(h0) {
  if (!h0) return ['…', '']
  return h0.status === 'ok' ? ['up', 'ok'] : h0.status === 'degraded' ? ['degraded', 'warn'] : ['down', 'bad']
}

export function render(main) {
  const stats = h('div', { class: 'grid' })
  const chart = h('div', {})
  const attention = h('div', {}, h('p', { class: 'muted' }, 'Checking…'))
  main.append(
    h('h1', {}, 'Overview'),
    stats,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Messages per second, last 15 minutes'),
      h('div', { class: 'legend' }, h('span', { class: 'in' }, '— in (from clients)'), h('span', { class: 'out' }, '- - out (to subscribers)')),
      chart,
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Needs attention'), attention),
  )

  const draw = () => {
    const b = health?.broker || {}
    const [word, cls] = stateOf(health)
    const edge = health?.edge
    const latest = samples[samples.length - 1]
    fill(
      stats,
      card('Broker', h('span', { class: cls, id: 'broker-state' }, word), `${b.kind || ''}${b.connected === false ? ', not connected' : ''}`),
      // Home reports its link to the edge as `edge`; the edge reports home's side as `link`.
      health?.link
        ? card('Home link', h('span', { class: health.link.home === 'online' ? 'ok' : 'warn' }, `home ${health.link.home}`), 'seen from the edge')
        : card(
            'Edge link',
            edge ? h('span', { class: edge.state === 'online' ? 'ok' : 'warn' }, edge.state) : h('span', { class: 'muted' }, 'not configured'),
            edge?.url || '',
          ),
      card('Connected clients', h('span', { id: 'client-count' }, b.clients ?? '—'), ''),
      card('Messages / s', latest ? `${latest[1].toFixed(1)} in · ${latest[2].toFixed(1)} out` : '…', 'averaged over 5 s'),
    )
    const now = Date.now()
    const xMin = Math.max(now - WINDOW_MS, samples[0]?.[0] ?? now - 60_000)
    const seconds = now - xMin < 10 * 60_000
    const xFormat = (v) => new Date(v).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined })
    fill(
      chart,
      lineChart(
        [
          { name: 'in', cls: 'in', points: samples.map((s) => [s[0], s[1]]) },
          { name: 'out', cls: 'out', dashed: true, points: samples.map((s) => [s[0], s[2]]) },
        ],
        {
          label: `Messages per second over the last 15 minutes; latest ${latest ? latest[1].toFixed(1) : 0} in, ${latest ? latest[2].toFixed(1) : 0} out`,
          xMin,
          xMax: now,
          xFormat,
        },
      ),
      samples.length < 2 ? h('p', { class: 'muted' }, 'Collecting: a point every 5 seconds while this tab is open.') : '',
    )
  }
  listeners.add(draw)
  draw()
  checkAttention(attention)
  const again = setInterval(() => checkAttention(attention), 30_000)
  return () => {
    listeners.delete(draw)
    clearInterval(again)
  }
}

function card(title, value, sub) {
  return h('section', { class: 'card' }, h('h2', {}, title), h('div', { class: 'stat' }, value), h('div', { class: 'muted' }, sub))
}

async function checkAttention(out) {
  const items = []
  try {
    const { webhooks } = await api('/v1/webhooks')
    for (const w of webhooks) {
      if (w.dead > 0) items.push(h('li', {}, h('a', { href: '#/webhooks' }, `Webhook ${w.id}`), ` has ${w.dead} failed message(s) to ${w.url}.`))
      if (!w.enabled && w.disabledReason === 'gone')
        items.push(h('li', {}, h('a', { href: '#/webhooks' }, `Webhook ${w.id}`), ' was disabled: the receiver answered 410 Gone.'))
    }
  } catch (err) {
    if (err.status !== 501) items.push(h('li', { class: 'muted' }, `Webhooks: ${err.message}`))
  }
  if (isAdmin()) {
    try {
      const { notifiers } = await api('/v1/notifiers')
      const since = Date.now() - 24 * 3600 * 1000
      for (const n of notifiers) {
        const { deliveries } = await api(`/v1/notifiers/${encodeURIComponent(n.id)}/deliveries?limit=50`)
        const failed = deliveries.filter((d) => d.outcome === 'failed' && Date.parse(d.at) > since)
        if (failed.length)
          items.push(
            h(
              'li',
              {},
              h('a', { href: '#/notifiers' }, `Notifier ${n.id}`),
              ` failed ${failed.length} alert(s) in the last 24 h: ${failed[0].error || `HTTP ${failed[0].status}`}.`,
            ),
          )
      }
    } catch (err) {
      if (err.status !== 501) items.push(h('li', { class: 'muted' }, `Notifiers: ${err.message}`))
    }
  }
  try {
    const { sensors } = await api('/v1/sensors')
    for (const s of sensors) {
      if (s.online === false)
        items.push(
          h(
            'li',
            {},
            h('a', { href: '#/sensors' }, s.name),
            ` is silent (last seen ${s.lastSeen ? new Date(s.lastSeen).toLocaleString() : 'never'}).`,
          ),
        )
      if (s.batteryDaysLeft !== null && s.batteryDaysLeft < 14)
        items.push(h('li', {}, h('a', { href: '#/sensors' }, s.name), ` battery low in about ${Math.round(s.batteryDaysLeft)} days.`))
    }
  } catch (err) {
    if (err.status !== 501 && err.status !== 403) items.push(h('li', { class: 'muted' }, `Sensors: ${err.message}`))
  }
  fill(out, items.length ? h('ul', { id: 'attention' }, items) : h('p', { class: 'ok', id: 'attention' }, 'Nothing needs attention.'))
}
