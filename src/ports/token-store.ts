import type { TokenRecord } from './types.js'

export interface TokenStore {
  create(record: TokenRecord): Promise<void>
  get(id: string): Promise<TokenRecord | undefined>
  list(): Promise<TokenRecord[]>
  /** True when a token was removed. */
  revoke(id: string): Promise<boolean>
  touch?(id: string, at: number): Promise<void>
}
