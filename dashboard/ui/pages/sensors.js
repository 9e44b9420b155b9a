// Door sensors: state, last seen, online, battery trend with the days left, events, quiet hours.
import { lineChart } from '../chart.js'
import { ago, api, fill, h, notice, time } from '../lib.js'

const KINDS = { opened: 'Opened', closed: 'Closed', battery_low: 'Battery low', silent: 'Went silent', back: 'Back online', will: 'Last will' }

export function render(main) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'))
  main.append(h('h1', {}, 'Door sensors'), box)
  const load = async () => {
    let sensors
    try {
      ;({ sensors } = await api('/v1/sensors'))
    } catch (err) {
      fill(box, notice(err.status === 501 ? 'Door sensors are not enabled on this node.' : err.message, true))
      return
    }
    if (!sensors.length)
      return fill(box, h('p', { class: 'muted' }, 'No door sensor is declared. Add one under sensors: in postbridge.yaml, or POST /v1/sensors.'))
    const cards = await Promise.all(sensors.map(sensorCard))
    fill(box, cards)
  }
  load()
  const timer = setInterval(load, 15_000)
  return () => clearInterval(timer)
}

async function sensorCard(s) {
  let events = []
  try {
    ;({ events } = await api(`/v1/sensors/${encodeURIComponent(s.id)}/events?limit=200`))
  } catch {}
  const online =
    s.online === null
      ? h('span', { class: 'muted' }, 'no heartbeat set')
      : s.online
        ? h('span', { class: 'ok' }, 'online')
        : h('span', { class: 'bad' }, 'silent')
  const battery = s.battery ? `${s.battery.value} ${s.battery.unit}` : '—'
  return h(
    'section',
    { class: 'card', 'data-sensor': s.id },
    h('h2', {}, s.name, ' ', h('span', { class: `badge ${s.state === 'open' ? 'warn' : 'ok'}`, 'data-state': '' }, s.state || 'unknown')),
    h(
      'div',
      { class: 'grid' },
      h('div', {}, h('div', { class: 'muted' }, 'Last seen'), h('div', { title: s.lastSeen || '' }, ago(s.lastSeen))),
      h('div', {}, h('div', { class: 'muted' }, 'Heartbeat'), online, s.heartbeat ? ` (every ${s.heartbeat})` : ''),
      h(
        'div',
        {},
        h('div', { class: 'muted' }, 'Battery'),
        h('span', { 'data-battery': '' }, battery),
        s.batteryDaysLeft !== null
          ? h('div', { 'data-days-left': '' }, `about ${Math.round(s.batteryDaysLeft)} days left`)
          : h('div', { class: 'muted' }, 'days left: not enough readings yet'),
      ),
      h(
        'div',
        {},
        h('div', { class: 'muted' }, 'Alerts'),
        s.notify.length ? `to ${s.notify.join(', ')}` : 'no notifier',
        h('div', {}, s.quietHours ? `quiet ${s.quietHours.from}–${s.quietHours.to}` : 'no quiet hours'),
        s.silent ? h('div', { class: 'warn' }, 'silenced') : null,
      ),
    ),
    batteryChart(s, events),
    h(
      'details',
      {},
      h('summary', {}, `Events (${events.length})`),
      events.length
        ? h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['When', 'Event', 'Battery'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                {},
                events
                  .slice(0, 50)
                  .map((e) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, time(e.at)),
                      h('td', {}, KINDS[e.kind] || e.kind),
                      h('td', {}, e.battery ? `${e.battery.value} ${e.battery.unit}` : ''),
                    ),
                  ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No events yet.'),
    ),
  )
}

function batteryChart(s, events) {
  const points = events
    .filter((e) => e.battery)
    .map((e) => [Date.parse(e.at), e.battery.value])
    .reverse()
  if (points.length < 2) return h('p', { class: 'muted' }, 'The battery chart appears after two readings.')
  const series = [{ name: 'battery', cls: 'bat', points }]
  const low = typeof s.batteryLow === 'number' ? s.batteryLow : s.batteryLow ? Number.parseFloat(s.batteryLow) : undefined
  if (s.batteryDaysLeft !== null && low !== undefined) {
    const last = points[points.length - 1]
    series.push({ name: 'trend', cls: 'bat', dashed: true, points: [last, [Date.now() + s.batteryDaysLeft * 86_400_000, low]] })
  }
  const unit = s.battery?.unit || ''
  const span = series.at(-1).points.at(-1)[0] - points[0][0]
  const day = (v) =>
    span < 2 * 86_400_000
      ? new Date(v).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : new Date(v).toLocaleDateString([], { month: 'short', day: 'numeric' })
  return h(
    'figure',
    { class: 'plain' },
    lineChart(series, {
      label: `Battery of ${s.name}: ${points[points.length - 1][1]} ${unit} now${s.batteryDaysLeft !== null ? `, low in about ${Math.round(s.batteryDaysLeft)} days` : ''}`,
      yMin: low !== undefined ? Math.min(low, ...points.map((p) => p[1])) : undefined,
      xFormat: day,
    }),
    h(
      'figcaption',
      { class: 'muted' },
      `Battery (${unit})`,
      series.length > 1 ? `; dashed: the trend to the low threshold (${s.batteryLow})` : '',
      '.',
    ),
  )
}
