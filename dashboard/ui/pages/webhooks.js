// Webhooks: list, create, edit, enable/disable, test, deliveries, replay, delete.
import { act, api, fill, h, isAdmin, notice, readFilters, secretBox, time } from '../lib.js'

export function render(main) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'))
  const out = h('div', {})
  main.append(
    h('h1', {}, 'Webhooks'),
    createForm(out, () => load()),
    out,
    box,
  )
  const load = async () => {
    let webhooks
    try {
      ;({ webhooks } = await api('/v1/webhooks'))
    } catch (err) {
      fill(box, notice(err.status === 501 ? 'Webhooks are not enabled on this node.' : err.message, true))
      return
    }
    fill(box, webhooks.length ? webhooks.map((w) => hookCard(w, load)) : h('p', { class: 'muted' }, 'No webhook yet.'))
  }
  load()
}

function fields(prefix, w = {}) {
  const filter = h('input', {
    id: `${prefix}-filter`,
    name: 'filter',
    required: true,
    value: w.filter || '',
    placeholder: 'home/+/door',
    autocomplete: 'off',
  })
  const url = h('input', {
    id: `${prefix}-url`,
    name: 'url',
    type: 'url',
    required: true,
    value: w.url || '',
    placeholder: 'http://192.168.1.10:8123/api/webhook/door',
  })
  return {
    filter,
    url,
    el: h('div', { class: 'row' }, h('label', { for: filter.id }, 'Topic filter', filter), h('label', { for: url.id }, 'URL', url)),
  }
}

function createForm(out, reload) {
  const f = fields('new')
  const submit = h('button', { type: 'submit' }, 'Add webhook')
  // Registering a hook needs read scope on its filter; the API decides, the form only asks.
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Add a webhook'),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault()
          act(submit, null, async () => {
            try {
              const w = await api('/v1/webhooks', { method: 'POST', body: { filter: f.filter.value.trim(), url: f.url.value.trim() } })
              fill(out, secretBox(`Signing secret of ${w.id}`, w.secret))
              f.filter.value = f.url.value = ''
              reload()
            } catch (err) {
              fill(out, notice(err.message, true))
            }
          })
        },
      },
      f.el,
      h('div', {}, submit),
      isAdmin()
        ? null
        : h('p', { class: 'muted' }, `This token may register webhooks for what it may read: ${readFilters().join(' ') || 'nothing'}.`),
    ),
  )
}

function hookCard(w, reload) {
  const out = h('div', {})
  const deliveries = h('div', { class: 'scroll' })
  const button = (text, cls, fn) => {
    const b = h('button', { type: 'button', class: cls }, text)
    b.onclick = () => act(b, out, fn)
    return b
  }
  const patch = (body) => api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'PATCH', body })
  const editBox = h('div', {})
  const edit = () => {
    const f = fields(`edit-${w.id}`, w)
    const save = h('button', { type: 'submit' }, 'Save')
    fill(
      editBox,
      h(
        'form',
        {
          onsubmit: (e) => {
            e.preventDefault()
            act(save, out, async () => {
              await patch({ filter: f.filter.value.trim(), url: f.url.value.trim() })
              reload()
              return 'Saved.'
            })
          },
        },
        f.el,
        h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'secondary', onclick: () => fill(editBox) }, 'Cancel')),
      ),
    )
  }
  const showDeliveries = async () => {
    const { deliveries: list } = await api(`/v1/webhooks/${encodeURIComponent(w.id)}/deliveries?limit=50`)
    fill(
      deliveries,
      list.length
        ? h(
            'table',
            { 'data-deliveries': w.id },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['When', 'Topic', 'Try', 'Outcome', 'Status / error', 'ms'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              {},
              list.map((d) =>
                h(
                  'tr',
                  {},
                  h('td', {}, time(d.at)),
                  h('td', { class: 'mono' }, d.topic),
                  h('td', {}, d.attempt),
                  h(
                    'td',
                    { class: d.outcome === 'delivered' ? 'ok' : d.outcome === 'retry' ? 'warn' : d.outcome === 'test' ? '' : 'bad' },
                    d.outcome,
                  ),
                  h('td', {}, d.status ?? '', d.error ? ` ${d.error}` : ''),
                  h('td', {}, Math.round(d.durationMs)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No delivery yet.'),
    )
  }
  const state = w.enabled
    ? h('span', { class: 'badge ok' }, 'enabled')
    : h('span', { class: 'badge bad' }, w.disabledReason === 'gone' ? 'disabled (410 Gone)' : 'disabled')
  return h(
    'section',
    { class: 'card', 'data-webhook': w.id },
    h('h2', {}, h('span', { class: 'mono' }, w.filter), ' → ', h('span', { class: 'mono' }, w.url)),
    h(
      'p',
      {},
      state,
      ' ',
      h('span', { class: 'muted' }, `${w.id} · ${w.source} · ${w.pending} pending · `),
      h('span', { class: w.dead ? 'bad' : 'muted', 'data-dead': w.dead }, `${w.dead} failed`),
      w.headerNames.length ? h('span', { class: 'muted' }, ` · headers: ${w.headerNames.join(', ')}`) : '',
    ),
    h(
      'div',
      { class: 'actions' },
      button(w.enabled ? 'Disable' : 'Enable', 'secondary', async () => {
        await patch({ enabled: !w.enabled })
        reload()
      }),
      w.source === 'api' ? h('button', { type: 'button', class: 'secondary', onclick: edit }, 'Edit') : null,
      button('Send test', 'secondary', async () => {
        const r = await api(`/v1/webhooks/${encodeURIComponent(w.id)}/test`, { method: 'POST' })
        await showDeliveries()
        return r.ok
          ? `Test delivered: HTTP ${r.status} in ${Math.round(r.durationMs)} ms.`
          : `Test failed: ${r.status ? `HTTP ${r.status}` : r.error}.`
      }),
      button('Deliveries', 'secondary', showDeliveries),
      w.dead || w.pending
        ? button('Replay failed', '', async () => {
            const r = await api(`/v1/webhooks/${encodeURIComponent(w.id)}/replay`, { method: 'POST' })
            setTimeout(() => {
              showDeliveries()
              reload()
            }, 1500)
            return `Re-queued ${r.requeued} failed message(s).`
          })
        : null,
      w.source === 'api'
        ? button('Delete', 'danger', async () => {
            if (!confirm(`Delete webhook ${w.id} and its undelivered messages?`)) return ''
            await api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'DELETE' })
            reload()
          })
        : null,
    ),
    editBox,
    out,
    deliveries,
  )
}
