/** A browsable API reference rendered from the OpenAPI document on the server: no script, no CDN, works offline. */

type Json = Record<string, unknown>

function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
}

function schemaText(schema: unknown, components: Json, depth = 0): string {
  if (!schema || typeof schema !== 'object' || depth > 4) return ''
  const s = schema as Json
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`
  }
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    return ((s.anyOf ?? s.oneOf) as unknown[]).map((x) => schemaText(x, components, depth + 1)).join(' | ')
  }
  if (s.type === 'array') return `array of ${schemaText(s.items, components, depth + 1)}`
  if (s.type === 'object' && s.properties) {
    const required = new Set((s.required as string[] | undefined) ?? [])
    const rows = Object.entries(s.properties as Json)
      .map(
        ([k, v]) =>
          `<li><code>${esc(k)}</code>${required.has(k) ? '' : '?'}: ${schemaText(v, components, depth + 1)}${(v as Json).description ? ` — ${esc((v as Json).description)}` : ''}</li>`,
      )
      .join('')
    return `object<ul>${rows}</ul>`
  }
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((e) => `<code>${esc(JSON.stringify(e))}</code>`).join(' | ')
  if (s.const !== undefined) return `<code>${esc(JSON.stringify(s.const))}</code>`
  return esc(`${s.type ?? 'any'}${s.format ? ` (${s.format})` : ''}`)
}

export function renderDocsHtml(document: Json): string {
  const info = (document.info ?? {}) as Json
  const components = ((document.components as Json | undefined)?.schemas ?? {}) as Json
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>
  let ops = ''
  let toc = ''
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const anchor = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-')
      toc += `<li><a href="#${anchor}"><b>${esc(method.toUpperCase())}</b> ${esc(path)}</a></li>`
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map(
          (p) =>
            `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}): ${schemaText(p.schema, components)}${p.description ? ` — ${esc(p.description)}` : ''}</li>`,
        )
        .join('')
      const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined
      const bodyText = body
        ? Object.entries(body)
            .map(([type, c]) => `<li><code>${esc(type)}</code>: ${schemaText(c.schema, components)}</li>`)
            .join('')
        : ''
      const responses = Object.entries((op.responses as Record<string, Json> | undefined) ?? {})
        .map(([status, r]) => `<li><b>${esc(status)}</b> ${esc(r.description)}</li>`)
        .join('')
      ops += `<section id="${anchor}"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)}</p>${op.description ? `<p>${esc(op.description)}</p>` : ''}
${op.security ? '<p class="auth">Needs <code>Authorization: Bearer &lt;token&gt;</code></p>' : ''}
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${bodyText ? `<h4>Body</h4><ul>${bodyText}</ul>` : ''}<h4>Responses</h4><ul>${responses}</ul></section>`
    }
  }
  const schemas = Object.entries(components)
    .map(([name, s]) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${schemaText(s, components)}</section>`)
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)} API</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#222}
code{background:#f4f4f4;padding:0 .2em;border-radius:3px}section{border-top:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;min-width:4.5em;text-align:center;color:#fff;border-radius:3px;font-size:.8em;padding:.1em .3em}
.get{background:#2a7}.post{background:#27c}.delete{background:#c33}.patch,.put{background:#c80}.auth{color:#666;font-size:.9em}
</style></head><body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>The machine-readable contract: <a href="/openapi.yaml">/openapi.yaml</a> (import it into Postman or Insomnia).</p>
<h2>Operations</h2><ul>${toc}</ul>${ops}<h2>Schemas</h2>${schemas}</body></html>`
}
