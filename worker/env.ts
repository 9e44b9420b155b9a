/** The Worker's bindings: the vars and secrets the edge reads (EdgeVars) and the Durable Object namespace (see cloudflare-env.d.ts). */
export type Env = Cloudflare.Env

/** One home per Worker: every request and the link meet in the same Durable Object. */
export const HOME_HUB_NAME = 'home'
