// Topics: the retained topics as a tree, live over SSE; publish; clear; watch a filter with pause.
import { act, api, canPublish, fill, h, mayPublishAnything, notice, readFilters, showPayload, subscribe, time } from '../lib.js'

/** Messages kept by the watch panel; older ones are dropped (and counted). */
const WATCH_LIMIT = 200
const MAX_TOPICS = 1000

const path = (topic) => topic.split('/').map(encodeURIComponent).join('/')

export function render(main) {
  const retained = new Map()
  const treeBox = h('div', { id: 'tree' }, h('p', { class: 'muted' }, 'Loading…'))
  const treeOut = h('div', {})
  const liveState = h('span', { class: 'muted', role: 'status' }, '')
  main.append(
    h('h1', {}, 'Topics'),
    publishForm(),
    h('section', { class: 'card' }, h('h2', {}, 'Retained topics ', liveState), treeOut, treeBox),
    watchPanel(),
  )

  const draw = (flashed) => {
    if (!retained.size) return fill(treeBox, h('p', { class: 'muted' }, 'No retained messages yet. Publish one with retain to see it here.'))
    fill(
      treeBox,
      tree([...retained.values()], flashed, (topic, btn) =>
        act(btn, treeOut, async () => {
          await api(`/v1/retained/${path(topic)}`, { method: 'DELETE' })
          retained.delete(topic)
          draw()
          return `Cleared ${topic}.`
        }),
      ),
    )
  }
  const pending = new Map()
  const refresh = (topic) => {
    if (pending.has(topic)) return
    pending.set(
      topic,
      setTimeout(async () => {
        pending.delete(topic)
        try {
          const m = await api(`/v1/retained/${path(topic)}`, { headers: { accept: 'application/json' } })
          if (retained.size < MAX_TOPICS || retained.has(topic)) retained.set(topic, { ...m, seenAt: Date.now() })
        } catch (err) {
          if (err.status !== 404) return
          retained.delete(topic)
        }
        draw(topic)
      }, 250),
    )
  }
  let stop = null
  let retry = null
  ;(async () => {
    try {
      const filters = readFilters()
      if (!filters.length) throw new Error('This token has no read scope.')
      const lists = await Promise.all(filters.map((f) => api(`/v1/retained?filter=${encodeURIComponent(f)}`)))
      for (const { messages } of lists) for (const m of messages.slice(0, MAX_TOPICS)) retained.set(m.topic, m)
      draw()
      // A live message may or may not be retained: ask for the topic's retained message, which is exact.
      // A dropped stream (the node restarted, the phone slept) is opened again after a pause.
      const live = () => {
        stop = subscribe(
          filters,
          (event, data) => {
            if (event === 'ready') fill(liveState, '· live')
            if (event === 'message') refresh(data.topic)
          },
          (err) => {
            fill(liveState, `· reconnecting${err ? ` (${err.message})` : ''}`)
            retry = setTimeout(live, 5000)
          },
        )
      }
      live()
    } catch (err) {
      fill(treeBox, notice(err.message, true))
    }
  })()
  return () => {
    clearTimeout(retry)
    stop?.()
    for (const t of pending.values()) clearTimeout(t)
    stopWatch?.()
  }
}

/** Nested lists by topic level; a node with a retained message shows its value. */
function tree(messages, flashed, clear) {
  const root = { children: new Map() }
  for (const m of messages) {
    let node = root
    for (const level of m.topic.split('/')) {
      if (!node.children.has(level)) node.children.set(level, { children: new Map() })
      node = node.children.get(level)
    }
    node.message = m
  }
  const branch = (node) =>
    h(
      'ul',
      {},
      [...node.children.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([level, child]) => {
          const m = child.message
          const row = m
            ? h(
                'div',
                { class: `topic${m.topic === flashed ? ' flash' : ''}`, 'data-topic': m.topic },
                h('strong', { class: 'mono', title: m.topic }, level || '(empty)'),
                h('span', { class: 'muted' }, `qos ${m.qos}`, m.seenAt ? ` · updated ${time(m.seenAt)}` : ''),
                canPublish(m.topic) ? clearButton(m.topic, clear) : null,
                h('div', { class: 'value' }, showPayload(m)),
              )
            : h('div', { class: 'topic' }, h('span', { class: 'mono' }, level || '(empty)'))
          return h('li', {}, row, child.children.size ? branch(child) : null)
        }),
    )
  const el = branch(root)
  el.className = 'tree'
  return el
}

function clearButton(topic, clear) {
  const btn = h('button', { type: 'button', class: 'danger', 'aria-label': `Clear retained ${topic}` }, 'Clear')
  btn.onclick = () => clear(topic, btn)
  return btn
}

function publishForm() {
  const may = mayPublishAnything()
  const topic = h('input', { id: 'pub-topic', name: 'topic', required: true, placeholder: 'home/lamp/set', autocomplete: 'off' })
  const payload = h('textarea', { id: 'pub-payload', name: 'payload', placeholder: 'ON, 42 or {"on":true}' })
  const qos = h(
    'select',
    { id: 'pub-qos', name: 'qos' },
    [0, 1, 2].map((q) => h('option', { value: q, selected: q === 1 }, String(q))),
  )
  const retain = h('input', { id: 'pub-retain', name: 'retain', type: 'checkbox' })
  const out = h('div', {})
  const submit = h('button', { type: 'submit', id: 'pub-send' }, 'Publish')
  const fieldset = h(
    'fieldset',
    { disabled: !may, class: 'plain' },
    h('label', { for: 'pub-topic' }, 'Topic', topic),
    h('label', { for: 'pub-payload' }, 'Payload', payload),
    h(
      'div',
      { class: 'row' },
      h('label', { for: 'pub-qos' }, 'QoS', qos),
      h('label', { class: 'check', for: 'pub-retain' }, retain, 'Retain'),
      submit,
    ),
  )
  const form = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault()
        act(submit, out, async () => {
          const t = topic.value.trim()
          if (!canPublish(t)) throw new Error(`This token may not publish to ${t}.`)
          await api(`/v1/publish/${path(t)}?qos=${qos.value}&retain=${retain.checked}`, {
            method: 'POST',
            raw: payload.value,
            headers: { 'content-type': 'text/plain' },
          })
          return `Published to ${t}.`
        })
      },
    },
    fieldset,
    may ? null : h('p', { class: 'muted', id: 'pub-readonly' }, 'This token is read-only: it may not publish.'),
    out,
  )
  return h('section', { class: 'card' }, h('h2', {}, 'Publish'), form)
}

let stopWatch = null

function watchPanel() {
  const filter = h('input', { id: 'watch-filter', name: 'filter', value: readFilters()[0] || '#', autocomplete: 'off' })
  const log = h('div', { class: 'log', id: 'watch-log', 'aria-live': 'off' })
  const state = h('span', { class: 'muted', role: 'status' })
  const buffer = []
  let dropped = 0
  let paused = false
  const show = () => {
    fill(state, `${buffer.length} message(s)${dropped ? `, ${dropped} older dropped` : ''}${paused ? ' · paused' : ''}`)
    if (paused) return
    fill(
      log,
      buffer
        .slice()
        .reverse()
        .map((m) =>
          h(
            'div',
            { class: 'card' },
            h(
              'div',
              {},
              h('strong', { class: 'mono' }, m.topic),
              h('span', { class: 'muted' }, ` · qos ${m.qos}${m.retain ? ' · retained' : ''} · ${time(m.at)}`),
            ),
            showPayload(m),
          ),
        ),
    )
  }
  const start = h('button', { type: 'submit' }, 'Watch')
  const pause = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      disabled: true,
      onclick: () => {
        paused = !paused
        pause.textContent = paused ? 'Resume' : 'Pause'
        show()
      },
    },
    'Pause',
  )
  const clear = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        buffer.length = 0
        dropped = 0
        show()
      },
    },
    'Clear',
  )
  const form = h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault()
        stopWatch?.()
        pause.disabled = false
        fill(state, 'connecting…')
        stopWatch = subscribe(
          [filter.value.trim()],
          (event, data) => {
            if (event === 'ready') show()
            if (event === 'dropped') dropped += data.count
            if (event !== 'message') return
            buffer.push({ ...data, at: Date.now() })
            if (buffer.length > WATCH_LIMIT) {
              buffer.shift()
              dropped++
            }
            show()
          },
          (err) => fill(state, err ? err.message : 'stopped'),
        )
      },
    },
    h('div', { class: 'row' }, h('label', { for: 'watch-filter' }, 'Topic filter', filter), start, pause, clear),
  )
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Watch live'),
    h('p', { class: 'muted' }, `The newest ${WATCH_LIMIT} messages are kept; Pause freezes the list while messages keep arriving.`),
    form,
    state,
    log,
  )
}
