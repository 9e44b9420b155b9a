// Small helpers shared by the pages: DOM building, the API client, event streams, formatting.
import { matches } from './topic-match.js'

export { matches }

const KEY = 'postbridge.token'

/** The signed-in token and what it may do; the token is kept for this browser tab only. */
export const session = {
  token: sessionStorage.getItem(KEY) || '',
  me: null,
  save(token) {
    this.token = token
    sessionStorage.setItem(KEY, token)
  },
  clear() {
    this.token = ''
    this.me = null
    sessionStorage.removeItem(KEY)
  },
}

/** h('button', { onclick, class: 'x' }, 'text', child...) -> an element; null, false and undefined children are skipped. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'value') el.value = v
    else el.setAttribute(k, v === true ? '' : v)
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : String(c))
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ? `${problem.title}: ${problem.detail}` : problem?.title || `HTTP ${status}`)
    this.status = status
  }
}

/** Calls the /v1 API with the session's token; JSON in and out. A 401 signs out. */
export async function api(path, { method = 'GET', body, raw, headers = {} } = {}) {
  const init = { method, headers: { authorization: `Bearer ${session.token}`, ...headers } }
  if (raw !== undefined) init.body = raw
  else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers['content-type'] = 'application/json'
  }
  const res = await fetch(path, init)
  const type = res.headers.get('content-type') || ''
  const data = type.includes('json') ? await res.json() : res.status === 204 ? null : await res.text()
  if (res.status === 401 && path !== '/v1/whoami') {
    session.clear()
    location.hash = '#/'
    location.reload()
  }
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

/**
 * Server-Sent Events from /v1/subscribe with the bearer header (EventSource cannot send one), read through fetch.
 * Returns a function that stops the stream. onEvent(name, data) gets each event; onEnd(error) when it stops.
 */
export function subscribe(filters, onEvent, onEnd) {
  const ctl = new AbortController()
  const q = filters.map((f) => `filter=${encodeURIComponent(f)}`).join('&')
  ;(async () => {
    const res = await fetch(`/v1/subscribe?${q}`, { headers: { authorization: `Bearer ${session.token}` }, signal: ctl.signal })
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null))
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buf = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buf += value
      let end
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end)
        buf = buf.slice(end + 2)
        let event = 'message'
        const data = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length) onEvent(event, JSON.parse(data.join('\n')))
      }
    }
  })().then(
    () => onEnd?.(),
    (err) => {
      if (!ctl.signal.aborted) onEnd?.(err)
    },
  )
  return () => ctl.abort()
}

export const isAdmin = () => !!session.me?.scope.admin
export const canPublish = (topic) => isAdmin() || (session.me?.scope.publish || []).some((f) => matches(f, topic))
export const mayPublishAnything = () => isAdmin() || (session.me?.scope.publish || []).length > 0
/** The filters this token may stream: everything for an admin, its read filters otherwise. */
export const readFilters = () => (isAdmin() ? ['#'] : session.me?.scope.read || [])

/** A payload as a person reads it: JSON pretty-printed, text as is, binary as hex. */
export function showPayload(envelope) {
  if (envelope.encoding === 'base64') {
    const bytes = Uint8Array.from(atob(envelope.payload), (c) => c.charCodeAt(0))
    const hex = Array.from(bytes.slice(0, 512), (b) => b.toString(16).padStart(2, '0')).join(' ')
    return h('pre', { title: `${bytes.length} bytes, binary` }, `hex: ${hex}${bytes.length > 512 ? ' …' : ''}`)
  }
  const text = envelope.payload
  if (/^\s*[[{]/.test(text)) {
    try {
      return h('pre', {}, JSON.stringify(JSON.parse(text), null, 2))
    } catch {}
  }
  return h('pre', {}, text === '' ? '(empty)' : text)
}

/** "3 min ago" style, from an ISO time or ms. */
export function ago(when) {
  if (when === null || when === undefined) return '—'
  const s = Math.round((Date.now() - new Date(when).getTime()) / 1000)
  if (s < 5) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86400)} d ago`
}

export const time = (when) => (when ? new Date(when).toLocaleString() : '—')

/** A status line under a form: role=status so screen readers hear it. */
export function notice(text, bad = false) {
  return h('p', { class: `notice${bad ? ' bad' : ''}`, role: bad ? 'alert' : 'status' }, text)
}

/** Runs an async action for a button, showing the outcome in `out`; the button is disabled meanwhile. */
export async function act(button, out, fn) {
  button.disabled = true
  try {
    const msg = await fn()
    if (out) fill(out, msg ? notice(msg) : '')
  } catch (err) {
    if (out) fill(out, notice(err.message, true))
  } finally {
    button.disabled = false
  }
}

/** A once-only secret with a copy button. */
export function secretBox(label, value) {
  const status = h('span', { role: 'status', class: 'muted' })
  const copy = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(value)
          status.textContent = 'Copied'
        } catch {
          status.textContent = 'Select the text and copy it'
        }
      },
    },
    'Copy',
  )
  return h(
    'div',
    { class: 'notice' },
    h('p', {}, h('strong', {}, label), ' — shown once. Copy it now; it cannot be shown again.'),
    h('div', { class: 'secret' }, h('code', { 'data-secret': '' }, value), copy, status),
  )
}

export const list = (text) => text.split(/[\s,]+/).filter(Boolean)

/**
 * A table that turns into one card per row on a phone: each cell carries its column's name (data-label), which
 * the stylesheet shows beside the value when the header row is hidden.
 */
export function table(attrs, headers, rows) {
  return h(
    'table',
    { ...attrs, class: 'cards' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map(([rowAttrs, ...cells]) =>
        h(
          'tr',
          rowAttrs,
          cells
            .map((c, i) => (c instanceof HTMLTableCellElement ? c : h('td', {}, c)))
            .map((td, i) => {
              if (headers[i]) td.setAttribute('data-label', headers[i])
              return td
            }),
        ),
      ),
    ),
  )
}
