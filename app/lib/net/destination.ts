import dns from "node:dns";
import { isIP } from "node:net";
import { refusedRange } from "./addresses";
import type { Allowlist } from "./allowlist";

/**
 * Checks a URL a user hands us to call later (a webhook) before it is stored, with the rule the
 * outbound connector applies at call time: public addresses only, unless OUTBOUND_ALLOWLIST lists
 * the host or address. Returns why it is refused, or undefined. A name that does not resolve now
 * is accepted (DNS may be down for a moment); the connector checks again on every call, so
 * nothing private is reached either way.
 */
export async function refusedDestination(
  allowlist: Allowlist,
  url: URL,
  lookup: (host: string) => Promise<Array<{ address: string }>> = (h) => dns.promises.lookup(h, { all: true, verbatim: true }),
): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  if (allowlist.allowsHost(host, port)) return undefined;
  let addresses: Array<{ address: string }>;
  if (isIP(host)) addresses = [{ address: host }];
  else {
    try {
      addresses = await lookup(host);
    } catch {
      return undefined;
    }
  }
  for (const { address } of addresses) {
    if (allowlist.allowsAddress(address)) continue;
    const range = refusedRange(address);
    if (range) {
      const shown = host === address ? address : `${host} (${address})`;
      return `${shown} is a ${range} address: webhooks are only delivered to public addresses (see OUTBOUND_ALLOWLIST)`;
    }
  }
  return undefined;
}
