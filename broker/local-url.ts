/**
 * The address a local client uses to reach a node listening on `host`: a wildcard bind is reached on loopback, and an
 * IPv6 literal is bracketed. The node prints it when ready; the CLI calls it.
 */
export function localUrl(scheme: 'http' | 'https', host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  return `${scheme}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}
