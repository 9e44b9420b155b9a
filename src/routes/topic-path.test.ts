import { describe, expect, it } from 'vitest'
import { pathnameOf } from './topic-path.js'

describe('pathnameOf', () => {
  it.each([
    'http://localhost/v1/publish/home/relay/1/set',
    'http://127.0.0.1:8080/v1/publish/a?qos=0',
    'https://example.com/v1/publish/a#frag',
    'http://h/v1/publish/a/%2e%2e/b',
    'http://h/v1/publish/a/%2E./b',
    'http://h/v1/publish/a/.%2e',
    'http://h/v1/publish/a/./b',
    'http://h/v1/publish/a/../../x',
    'http://h/v1/publish/a/.../b',
    'http://h/v1/publish/a/.b/c.',
    'http://h/v1/publish/a\\b',
    'http://h/v1/publish/a b',
    'http://h/v1/publish/a\tb',
    'http://h/v1/publish/a{b}^`|"<>',
    'http://h/v1/publish/caf\u00e9/\u{1f600}',
    'http://h/v1/publish/caf%C3%A9/a%2Fb/%ff',
    "http://h/v1/publish/a!$&'()*+,;=:@[]~_-",
    'http://h/v1/publish//double//slash/',
    'http://h/v1/publish/a?b#c?d',
    'http://h/v1/publish/a#b?c',
    'http://h',
    'http://h?x=1',
  ])('is the URL parser pathname of %s', (url) => {
    expect(pathnameOf(url)).toBe(new URL(url).pathname)
  })
})
