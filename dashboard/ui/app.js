// The dashboard: sign in with a token, then pages by URL hash. Every call goes to the public /v1 API.
import { api, fill, h, isAdmin, notice, session } from './lib.js'
import * as overview from './pages/overview.js'
import * as devices from './pages/devices.js'
import * as topics from './pages/topics.js'
import * as sensors from './pages/sensors.js'
import * as webhooks from './pages/webhooks.js'
import * as notifiers from './pages/notifiers.js'
import * as access from './pages/access.js'

const PAGES = {
  '': overview,
  devices,
  topics,
  sensors,
  webhooks,
  notifiers,
  access,
}
const ADMIN_ONLY = new Set(['devices', 'notifiers', 'access'])

const main = document.getElementById('main')
const nav = document.getElementById('nav')
const who = document.getElementById('who')
let leave = null

function signInForm(message) {
  nav.hidden = true
  fill(who)
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' })
  const out = h('div', {}, message ? notice(message, true) : '')
  const form = h(
    'form',
    {
      onsubmit: async (e) => {
        e.preventDefault()
        session.save(input.value.trim())
        await start(out)
      },
    },
    h('label', { for: 'token' }, 'API token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    out,
  )
  fill(
    main,
    h(
      'section',
      { class: 'card signin' },
      h('h1', {}, 'Sign in to Postbridge'),
      h(
        'p',
        { class: 'muted' },
        'Paste a token: the admin token printed when the node first started, or one made with ',
        h('code', {}, 'postbridge token create'),
        '. It is kept for this browser tab only.',
      ),
      form,
    ),
  )
  input.focus()
}

async function start(out) {
  try {
    session.me = await api('/v1/whoami')
  } catch (err) {
    session.clear()
    if (out) fill(out, notice(err.status === 401 ? 'That token is unknown or revoked.' : err.message, true))
    else signInForm(err.status === 401 ? 'Your token is no longer valid. Sign in again.' : err.message)
    return
  }
  for (const a of nav.querySelectorAll('[data-admin]')) a.hidden = !isAdmin()
  nav.hidden = false
  const signOut = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => {
        session.clear()
        location.hash = '#/'
        signInForm()
      },
    },
    'Sign out',
  )
  const role = isAdmin() ? 'admin' : session.me.scope.publish.length ? 'limited' : 'read-only'
  fill(who, h('span', { class: 'name', title: session.me.name }, session.me.name), h('span', { class: 'badge', 'data-role': role }, role), signOut)
  overview.startSampling()
  route()
}

function route() {
  if (!session.me) return
  const name = location.hash.replace(/^#\/?/, '').split('/')[0]
  const page = PAGES[name] && !(ADMIN_ONLY.has(name) && !isAdmin()) ? PAGES[name] : overview
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  if (leave) leave()
  leave = null
  main.replaceChildren()
  const result = page.render(main)
  if (typeof result === 'function') leave = result
  document.title = `${main.querySelector('h1')?.textContent || 'Postbridge'} · Postbridge`
  main.focus({ preventScroll: true })
}

window.addEventListener('hashchange', route)
if (session.token) start()
else signInForm()
