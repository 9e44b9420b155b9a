/**
 * The Worker's variables, read in one place for both Durable Objects. Every parser throws the ConfigError the home
 * config throws (src/config.ts), each problem naming its variable; a Durable Object keeps the error and answers every
 * request with it (`misconfigured`) rather than failing its constructor, which would reset it on every event.
 */
import { ConfigError } from '../src/config.js'
import { errEdgeMisconfigured } from '../src/errors.js'
import { parseEdgeSettings, type EdgeSettings } from '../src/link/edge-settings.js'
import { parseBrokerUrl, type BrokerTarget } from './broker-url/broker-url.js'
import type { Env } from './env.js'
import { consoleLogger } from './log.js'
import { parseLinkQuietSettings, type LinkQuietSettings } from './link/link-quiet.js'

/** The link mode's settings: the edge's own and the quiet-link alert. */
export type HubSettings = EdgeSettings & { linkQuiet: LinkQuietSettings }

/** The link mode's variables; every bad one in one ConfigError, whichever parser found it. */
export function parseHubSettings(env: Env): HubSettings {
  const problems: string[] = []
  const edge = collect(problems, () => parseEdgeSettings(env))
  const linkQuiet = collect(problems, () => parseLinkQuietSettings(env))
  if (!edge || !linkQuiet) throw new ConfigError(problems)
  return { ...edge, linkQuiet }
}

/**
 * The broker BROKER_URL names, or the ConfigError saying why there is none. Kept apart from the other variables on
 * purpose: a bad BROKER_URL shows on /v1/health and in each publish's 503 (the README's "A bad value"), not as a 500.
 */
export function brokerTargetOrError(env: Env): BrokerTarget | ConfigError {
  return orConfigError(() => parseBrokerUrl(env))
}

/** What parse returns, or the ConfigError it threw (any other error is a bug and is thrown on). */
export function orConfigError<T>(parse: () => T): T | ConfigError {
  try {
    return parse()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
}

/** The answer to every request of a misconfigured edge: 500 edge-misconfigured naming each bad variable. */
export function misconfigured(err: ConfigError): Response {
  consoleLogger.error({ problems: err.problems }, 'edge: bad configuration')
  const problem = errEdgeMisconfigured.with(err.problems.join('; '))
  return new Response(JSON.stringify(problem.toProblem()), { status: problem.status, headers: { 'content-type': 'application/problem+json' } })
}

function collect<T>(problems: string[], parse: () => T): T | undefined {
  const result = orConfigError(parse)
  if (!(result instanceof ConfigError)) return result
  problems.push(...result.problems)
  return undefined
}
