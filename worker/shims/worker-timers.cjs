// mqtt.js picks worker-timers only for browser pages; the edge's client sets timerVariant 'native' (broker-url-bus.ts),
// so workerd's own timers stand in for the npm copy and its inline worker script. wrangler.toml's [alias] points here.
module.exports = {
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (id) => globalThis.clearInterval(id),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
}
