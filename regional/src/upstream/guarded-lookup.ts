/**
 * The DNS lookup every upstream connection uses: a host name that resolves to a link-local or cloud-metadata
 * address (169.254.0.0/16, fe80::/10, fd00:ec2::254, their IPv4-mapped forms) is refused at connect time.
 *
 * The admin API checks an `api_base` as written (admin/api-base-policy.ts); a name is only an indirection, and
 * its DNS answer can change after the check (DNS rebinding: `evil.example` → 169.254.169.254). Checking the
 * address the socket is about to use closes that gap whatever the name or TTL. IP literals never reach a lookup
 * (net.connect skips it) and are refused by the admin policy already.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { classifyHost } from '../admin/api-base-policy.js';
import { UpstreamAddressForbidden } from '../errors/catalogue.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The shape of net.connect's `lookup` option (and of dns.lookup). */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * Wraps a resolver (dns.lookup by default; tests inject one that maps names to chosen addresses).
 *
 * @example new Pool(origin, { connect: { lookup: guardedLookup() } })
 */
export function guardedLookup(resolve: LookupFunction = dnsLookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '', undefined);
      const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: 4 }];
      // Any forbidden answer refuses the name: a record set mixing public and metadata addresses is an attack.
      if (list.length === 0 || list.some((a) => classifyHost(a.address) === 'forbidden')) {
        return callback(new UpstreamAddressForbidden(hostname) as unknown as NodeJS.ErrnoException, options.all ? [] : '', undefined);
      }
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
