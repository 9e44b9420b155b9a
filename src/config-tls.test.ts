import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'

describe('tls config', () => {
  it('is off by default, with MQTT over TLS on 8883 once certificates are set', () => {
    expect(parseConfig({}, {}).tls.cert).toBeUndefined()
    const on = parseConfig({}, { POSTBRIDGE_TLS_CERT: '/etc/pb/cert.pem', POSTBRIDGE_TLS_KEY: '/etc/pb/key.pem' }).tls
    expect(on).toMatchObject({ cert: '/etc/pb/cert.pem', key: '/etc/pb/key.pem', mqttPort: 8883, https: true, requireClientCert: false })
  })

  it('names the key that is missing or inconsistent', () => {
    expect(() => parseConfig({ tls: { cert: 'c.pem' } }, {})).toThrow('tls.key: tls needs both cert and key')
    expect(() => parseConfig({ tls: { cert: 'c.pem', key: 'k.pem', requireClientCert: true } }, {})).toThrow('tls.ca: requireClientCert needs the CA')
    expect(() => parseConfig({ tls: { ca: 'ca.pem' } }, {})).toThrow('tls.cert: client certificates need TLS')
    expect(() => parseConfig({ tls: { cert: 'c.pem', key: 'k.pem', useIdentityAsUsername: true } }, {})).toThrow(
      'tls.ca: useIdentityAsUsername needs',
    )
  })
})
