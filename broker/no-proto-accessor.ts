/**
 * The CLI's process runs without Object.prototype's `__proto__` accessor, as `node --disable-proto=delete` runs a
 * program (set here because a node option would need the CLI to start node again). With the accessor, writing
 * `obj[key] = value` where an outsider chose `key` replaces the object's prototype when the key is `__proto__`;
 * without it, that key is a key like any other. Our own maps keyed by client ids, topics and names are Maps or have
 * no prototype; this covers the dependencies' too, where we cannot change the code: aedes, for one, deduplicates a
 * SUBSCRIBE's topic filters in a plain object, so a SUBSCRIBE of `a/b` and `__proto__` lost its connection.
 * Nothing in Postbridge or its dependencies reads or sets a prototype through `__proto__`; object literals with a
 * `__proto__:` entry are syntax, not the accessor, and keep working.
 */
delete (Object.prototype as { __proto__?: unknown }).__proto__
