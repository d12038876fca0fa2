import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipAllowed, parseCidr } from '#shared/domain/ip-allow-list.ts';

describe('IP allow-list', { timeout: 10_000 }, () => {
  for (const [input, expected] of [
    [' 10.1.2.3/8 ', '10.1.2.3/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.0.0/33', undefined],
    ['::/129', undefined],
    ['10.0.0.0/-1', undefined],
    ['10.0.0.0/8/8', undefined],
    ['10.0.0/8', undefined],
    ['example.com', undefined],
    ['', undefined],
  ] as const) {
    it(`reads "${input}" as ${expected ?? 'not a block'}`, () => {
      assert.equal(parseCidr(input), expected);
    });
  }

  // Membership worked out by hand from the prefix lengths.
  for (const [cidrs, ip, expected] of [
    [['10.0.0.0/8'], '10.255.0.1', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.0.2.7'], '192.0.2.7', true],
    [['192.0.2.7'], '192.0.2.8', false],
    [['203.0.113.77/24'], '203.0.113.1', true], // host bits of the block do not matter
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['10.0.0.0/8'], '::ffff:10.1.1.1', true], // IPv4-mapped IPv6 matches the IPv4 block
    [['::1'], '127.0.0.1', false],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['10.0.0.0/8'], undefined, false], // unknown address: fail closed
    [['10.0.0.0/8'], 'not-an-ip', false],
    [['bogus', '10.0.0.0/8'], '10.0.0.1', true],
  ] as const) {
    it(`${ip} ${expected ? 'is' : 'is not'} in ${cidrs.join(',')}`, () => {
      assert.equal(ipAllowed(cidrs, ip), expected);
    });
  }
});
