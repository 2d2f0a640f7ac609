import ipaddr from "ipaddr.js";

/**
 * Which IP addresses an outbound call may reach. Only ordinary public unicast passes:
 * ipaddr.js names every special range (loopback, private, link-local — which holds the
 * cloud metadata address 169.254.169.254 —, CGNAT, unique-local fc00::/7, multicast,
 * unspecified, reserved, NAT64 and 6to4 forms that embed an IPv4 address, …), and an
 * IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
 * Decimal, hex and octal host forms (http://2130706433, http://0x7f.1) never get here as
 * such: the WHATWG URL parser has already turned them into dotted quads.
 */

export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** The address, with IPv4-mapped IPv6 unwrapped; undefined when `text` is not an IP address. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return undefined;
  // isValid also accepts "1" or "0x7f000001" (inet_aton forms); only canonical forms are addresses here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare)) return undefined;
  const ip = ipaddr.parse(bare);
  return ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress() ? ip.toIPv4Address() : ip;
}

/** The name of the special range `address` falls in, or undefined when it is public unicast. */
export function refusedRange(address: string): string | undefined {
  const ip = parseAddress(address);
  if (!ip) return "not an IP address";
  const range = ip.range();
  return range === "unicast" ? undefined : range;
}
