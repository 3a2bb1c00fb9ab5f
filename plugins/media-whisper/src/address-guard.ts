/**
 * The address check of URL downloads. A sender controls an attachment's URL, so
 * without a check it could make the host fetch from itself, the private network or a
 * cloud metadata address. Every address a name resolves to is checked when the
 * connection is made (so a DNS answer that changes after a check cannot slip through),
 * and an address literal is checked before. Origins a channel declared for its own
 * attachments and hosts the operator listed are let through.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import ipaddr from "ipaddr.js";

/** The only address range a URL download may reach by default: the public internet. */
const PUBLIC_RANGE = "unicast";

export class BlockedAddress extends Error {
  constructor(host: string, address: string, range: string) {
    super(`${host} resolves to ${address}, a ${range} address; downloads reach only public addresses unless the host is a channel's attachment origin or in the plugin's allowHosts`);
    this.name = "BlockedAddress";
  }
}

/** Names the range of `address` when downloads must not reach it, or returns null when they may. */
export function blockedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return "malformed";
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === PUBLIC_RANGE ? null : range;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves a name like `dns.lookup`, and fails when any of its addresses is not public. */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "");
    for (const { address } of addresses) {
      const range = blockedRange(address);
      if (range) return callback(Object.assign(new BlockedAddress(hostname, address, range), { code: "ARZ_BLOCKED_ADDRESS" }), "");
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** Checks a URL's host when it is an address literal (a socket makes no lookup for those). */
export function checkLiteralHost(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(host)) return;
  const range = blockedRange(host);
  if (range) throw new BlockedAddress(url.hostname, host, range);
}
