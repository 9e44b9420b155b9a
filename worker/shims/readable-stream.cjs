// bl (under mqtt-packet) requires the npm readable-stream, a 190 KB copy of Node's streams; workerd has them built in
// (nodejs_compat). wrangler.toml's [alias] points the bundle here.
module.exports = require('node:stream')
