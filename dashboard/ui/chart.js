// A tiny SVG line chart: a few series over time, no dependencies (smaller than any chart library).

const NS = 'http://www.w3.org/2000/svg'
const W = 600
const H = 180
const PAD = { l: 44, r: 8, t: 8, b: 22 }

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  if (text !== undefined) e.textContent = text
  return e
}

/** The step at or above x among 1, 2, 2.5, 5 times a power of ten, so the axis reads in round numbers. */
function nice(x) {
  const p = 10 ** Math.floor(Math.log10(x))
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((step) => step >= x * 0.999)
}

const short = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1))

/**
 * series: [{ name, cls, points: [[ms, value], ...] }]; opts: { label, xMin, xMax, yMin, yMax, xFormat }.
 * Returns an <svg> with role=img and a text summary for screen readers.
 */
export function lineChart(series, opts = {}) {
  const all = series.flatMap((s) => s.points)
  const xs = all.map((p) => p[0])
  const ys = all.map((p) => p[1])
  const xMin = opts.xMin ?? Math.min(...xs, Date.now())
  const xMax = opts.xMax ?? Math.max(...xs, xMin + 1)
  const yMin = opts.yMin ?? Math.min(0, ...ys)
  let yMax = opts.yMax ?? Math.max(1, ...ys)
  if (yMax === yMin) yMax = yMin + 1
  yMax = yMin + nice((yMax - yMin) / 4) * 4
  const x = (v) => PAD.l + ((v - xMin) / (xMax - xMin || 1)) * (W - PAD.l - PAD.r)
  const y = (v) => H - PAD.b - ((v - yMin) / (yMax - yMin)) * (H - PAD.t - PAD.b)
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.label || 'chart' })
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4
    svg.append(el('line', { class: 'axis', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }))
    svg.append(el('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end' }, short(v)))
  }
  const fmt = opts.xFormat || ((v) => new Date(v).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }))
  for (const v of [xMin, (xMin + xMax) / 2, xMax]) {
    svg.append(el('text', { x: x(v), y: H - 6, 'text-anchor': v === xMin ? 'start' : v === xMax ? 'end' : 'middle' }, fmt(v)))
  }
  for (const s of series) {
    if (s.points.length === 0) continue
    const d = s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')
    svg.append(el('polyline', { class: s.cls, points: d, fill: 'none', 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '5 4' : 'none' }, undefined))
    const last = s.points[s.points.length - 1]
    svg.append(el('circle', { class: s.cls, cx: x(last[0]), cy: y(last[1]), r: 3, fill: 'none', 'stroke-width': 2 }))
  }
  svg.append(el('title', {}, opts.label || ''))
  return svg
}
