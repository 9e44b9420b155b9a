import { describe, expect, it } from 'vitest'
import { checkWebhookUrl, classifyAddress } from './url-policy.js'

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'multicast'],
    ['ff02::1', 'multicast'],
    ['192.168.1.10', 'other'],
    ['10.0.0.5', 'other'],
    ['172.16.0.1', 'other'],
    ['fd00::1', 'other'],
    ['93.184.216.34', 'other'],
    ['2606:4700::1111', 'other'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls)
  })

  it.each(['example.com', '1.2.3', '1.2.3.256', '1::2::3', 'gggg::1'])('%s is not an IP literal', (text) => {
    expect(classifyAddress(text)).toBeUndefined()
  })
})

describe('checkWebhookUrl', () => {
  const strict = { allowPrivate: false }

  it.each([
    ['ftp://example.com/x', 'http or https'],
    ['file:///etc/passwd', 'http or https'],
    ['example.com/hook', 'not an absolute URL'],
    ['https://user:pw@example.com/', 'user name or password'],
  ])('refuses %s whatever allowPrivate says', async (url, reason) => {
    expect(await checkWebhookUrl(url, { allowPrivate: true })).toContain(reason)
  })

  it.each([
    'http://127.0.0.1:8080/x',
    'http://2130706433/', // decimal form of 127.0.0.1, normalised by URL parsing
    'http://0x7f.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://localhost:3000/',
    'http://api.localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://0.0.0.0/',
  ])('refuses %s by default', async (url) => {
    expect(await checkWebhookUrl(url, strict)).toMatch(/allowPrivate/)
  })

  it('allows loopback and link-local with allowPrivate', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:8080/x', { allowPrivate: true })).toBeUndefined()
    expect(await checkWebhookUrl('http://169.254.1.1/x', { allowPrivate: true })).toBeUndefined()
  })

  it('refuses multicast even with allowPrivate', async () => {
    expect(await checkWebhookUrl('http://224.0.0.1/', { allowPrivate: true })).toContain('multicast')
  })

  it.each(['http://192.168.1.10:8123/api/webhook/door', 'http://10.0.0.5/', 'http://[fd00::5]/', 'https://example.com/hook'])(
    'allows LAN and public %s',
    async (url) => {
      expect(await checkWebhookUrl(url, strict)).toBeUndefined()
    },
  )

  it('refuses a name that resolves to a loopback address', async () => {
    const resolve = async (name: string) => (name === 'sneaky.example' ? ['93.184.216.34', '127.0.0.1'] : ['93.184.216.34'])
    expect(await checkWebhookUrl('https://sneaky.example/x', { allowPrivate: false, resolve })).toBe(
      'sneaky.example resolves to 127.0.0.1 is a loopback address; set webhooks.allowPrivate: true to allow it',
    )
    expect(await checkWebhookUrl('https://fine.example/x', { allowPrivate: false, resolve })).toBeUndefined()
  })

  it('lets a name through when it cannot be resolved now, or when there is no resolver', async () => {
    const resolve = async () => {
      throw new Error('ENOTFOUND')
    }
    expect(await checkWebhookUrl('http://homeassistant.local:8123/', { allowPrivate: false, resolve })).toBeUndefined()
    expect(await checkWebhookUrl('http://homeassistant.local:8123/', strict)).toBeUndefined()
  })
})
