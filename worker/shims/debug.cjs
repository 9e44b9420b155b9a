// mqtt-packet logs through the npm "debug" package, which the edge never enables; a no-op keeps it out of the bundle.
// wrangler.toml's [alias] points the bundle here.
function createDebug() {
  const log = () => {}
  log.enabled = false
  log.extend = createDebug
  return log
}
createDebug.enable = () => {}
createDebug.disable = () => ''
createDebug.enabled = () => false
module.exports = createDebug
