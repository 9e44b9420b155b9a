// Tokens and MQTT users (admin): create (the secret is shown once), list, revoke.
import { act, api, fill, h, list, notice, secretBox, table, time } from '../lib.js'

export function render(main) {
  main.append(h('h1', {}, 'Tokens & MQTT users'), tokens(), users())
}

function tokens() {
  const box = h('div', { class: 'scroll' })
  const out = h('div', {})
  const load = async () => {
    try {
      const { tokens: all } = await api('/v1/tokens')
      fill(
        box,
        table(
          { id: 'tokens' },
          ['Name', 'Id', 'Publish', 'Read', 'Admin', 'Created', 'Last used', ''],
          all.map((t) => {
            const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}` }, 'Revoke')
            revoke.onclick = () =>
              act(revoke, out, async () => {
                if (!confirm(`Revoke token ${t.name}? Anything using it stops working.`)) return ''
                await api(`/v1/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' })
                load()
                return `Revoked ${t.name}.`
              })
            return [
              { 'data-token': t.id },
              t.name,
              h('td', { class: 'mono' }, t.id),
              h('td', { class: 'mono' }, t.scope.publish.join(' ') || '—'),
              h('td', { class: 'mono' }, t.scope.read.join(' ') || '—'),
              t.scope.admin ? 'yes' : 'no',
              time(t.createdAt),
              time(t.lastUsedAt),
              revoke,
            ]
          }),
        ),
      )
    } catch (err) {
      fill(box, notice(err.message, true))
    }
  }
  const name = h('input', { id: 't-name', name: 'name', required: true, placeholder: 'kitchen tablet', autocomplete: 'off' })
  const publish = h('input', { id: 't-publish', name: 'publish', placeholder: 'home/+/set', autocomplete: 'off' })
  const read = h('input', { id: 't-read', name: 'read', placeholder: 'home/#', autocomplete: 'off' })
  const admin = h('input', { id: 't-admin', name: 'admin', type: 'checkbox' })
  const submit = h('button', { type: 'submit' }, 'Create token')
  const form = h(
    'form',
    {
      onsubmit: createsSecret(
        submit,
        out,
        async () => {
          const t = await api('/v1/tokens', {
            method: 'POST',
            body: { name: name.value.trim(), publish: list(publish.value), read: list(read.value), admin: admin.checked },
          })
          return { title: `Token ${t.name}`, secret: t.token }
        },
        () => {
          name.value = publish.value = read.value = ''
          admin.checked = false
          load()
        },
      ),
    },
    h(
      'div',
      { class: 'row' },
      h('label', { for: 't-name' }, 'Name', name),
      h('label', { for: 't-publish' }, 'May publish to (filters, space separated)', publish),
      h('label', { for: 't-read' }, 'May read (filters)', read),
    ),
    h('div', { class: 'row' }, h('label', { class: 'check', for: 't-admin' }, admin, 'Admin (everything, including tokens)'), submit),
  )
  load()
  return h('section', { class: 'card' }, h('h2', {}, 'API tokens'), form, out, box)
}

function users() {
  const box = h('div', { class: 'scroll' })
  const out = h('div', {})
  const load = async () => {
    try {
      const { users: all } = await api('/v1/mqtt-users')
      fill(
        box,
        all.length
          ? table(
              { id: 'mqtt-users' },
              ['Username', 'Publish', 'Subscribe', 'From', ''],
              all.map((u) => {
                const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${u.username}` }, 'Remove')
                remove.onclick = () =>
                  act(remove, out, async () => {
                    if (!confirm(`Remove MQTT user ${u.username}? Devices using it cannot connect again.`)) return ''
                    await api(`/v1/mqtt-users/${encodeURIComponent(u.username)}`, { method: 'DELETE' })
                    load()
                    return `Removed ${u.username}.`
                  })
                return [
                  {},
                  h('td', { class: 'mono' }, u.username),
                  h('td', { class: 'mono' }, u.publish.join(' ') || '—'),
                  h('td', { class: 'mono' }, u.subscribe.join(' ') || '—'),
                  u.source === 'config' ? 'config file' : 'added here',
                  u.source === 'api' ? remove : '',
                ]
              }),
            )
          : h('p', { class: 'muted' }, 'No MQTT user yet: devices connect anonymously from this machine only, unless allowed.'),
      )
    } catch (err) {
      fill(
        box,
        notice(
          err.status === 501
            ? "MQTT users are kept by the home node's own broker: with an external broker they are managed there, and the edge has none."
            : err.message,
          true,
        ),
      )
    }
  }
  const username = h('input', { id: 'u-name', name: 'username', required: true, placeholder: 'door-hall', autocomplete: 'off' })
  const publish = h('input', { id: 'u-publish', name: 'publish', placeholder: 'devices/<username>/#', autocomplete: 'off' })
  const subscribe = h('input', { id: 'u-subscribe', name: 'subscribe', placeholder: 'devices/<username>/#', autocomplete: 'off' })
  const submit = h('button', { type: 'submit' }, 'Add user')
  const form = h(
    'form',
    {
      onsubmit: createsSecret(
        submit,
        out,
        async () => {
          const body = { username: username.value.trim() }
          if (publish.value.trim()) body.publish = list(publish.value)
          if (subscribe.value.trim()) body.subscribe = list(subscribe.value)
          const u = await api('/v1/mqtt-users', { method: 'POST', body })
          return { title: `Password of ${u.username}`, secret: u.password }
        },
        () => {
          username.value = publish.value = subscribe.value = ''
          load()
        },
      ),
    },
    h(
      'div',
      { class: 'row' },
      h('label', { for: 'u-name' }, 'Username', username),
      h('label', { for: 'u-publish' }, 'May publish to', publish),
      h('label', { for: 'u-subscribe' }, 'May subscribe to', subscribe),
      submit,
    ),
  )
  load()
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'MQTT users'),
    h('p', { class: 'muted' }, 'A password is generated and shown once. %u in a filter stands for the username.'),
    form,
    out,
    box,
  )
}

/**
 * The submit handler of a form that creates something with a secret (a token, an MQTT password): `create()` runs,
 * the secret it returns is shown once in `out`, then `created()` clears the form; an error is shown in its place.
 */
function createsSecret(submit, out, create, created) {
  return (e) => {
    e.preventDefault()
    act(submit, null, async () => {
      try {
        const { title, secret } = await create()
        fill(out, secretBox(title, secret))
        created()
      } catch (err) {
        fill(out, notice(err.message, true))
      }
    })
  }
}
