import ipaddr from "ipaddr.js";
import { parseAddress, type ParsedAddress } from "./addresses";

/**
 * OUTBOUND_ALLOWLIST: destinations exempt from the address check (a LAN PDS, the local
 * PDS in tests). Entries are `host`, `host:port` (`[v6]:port`) or a CIDR; hosts compare
 * with the URL's host as written, CIDRs with the address actually connected to.
 */
export interface Allowlist {
  /** The URL host (name or literal) and port are listed. */
  allowsHost(host: string, port: number): boolean;
  /** The resolved address falls in a listed CIDR (or is a listed address without port). */
  allowsAddress(address: string): boolean;
  readonly entries: readonly string[];
}

interface HostEntry {
  host: string;
  port?: number;
}

/** Throws with a readable message on a malformed entry (config validation shows it). */
export function parseAllowlist(raw: string | readonly string[] | undefined): Allowlist {
  const entries = (typeof raw === "string" ? raw.split(",") : (raw ?? [])).map((e) => e.trim()).filter(Boolean);
  const hosts: HostEntry[] = [];
  const cidrs: Array<[ParsedAddress, number]> = [];
  for (const entry of entries) {
    if (entry.includes("/")) {
      try {
        const [ip, bits] = ipaddr.parseCIDR(entry);
        const mapped = ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress();
        cidrs.push(mapped ? [ip.toIPv4Address(), Math.max(0, bits - 96)] : [ip, bits]);
      } catch {
        throw new Error(`${JSON.stringify(entry)} is not a CIDR range such as 10.0.0.0/8`);
      }
      continue;
    }
    hosts.push(parseHostEntry(entry));
  }
  const sameHost = (a: string, b: string) => {
    const ia = parseAddress(a);
    const ib = parseAddress(b);
    return ia && ib ? ia.kind() === ib.kind() && ia.toNormalizedString() === ib.toNormalizedString() : a === b;
  };
  return {
    entries,
    allowsHost(host, port) {
      const h = bare(host).toLowerCase();
      return hosts.some((e) => sameHost(e.host, h) && (e.port === undefined || e.port === port));
    },
    allowsAddress(address) {
      const ip = parseAddress(address);
      if (!ip) return false;
      if (hosts.some((e) => e.port === undefined && sameHost(e.host, ip.toString()))) return true;
      return cidrs.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));
    },
  };
}

function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function parseHostEntry(entry: string): HostEntry {
  const bad = () => new Error(`${JSON.stringify(entry)} is not a host, host:port or CIDR`);
  let host = entry;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) {
    host = v6[1] as string;
    port = v6[2] === undefined ? undefined : Number(v6[2]);
  } else if (entry.split(":").length === 2) {
    const [h, p] = entry.split(":") as [string, string];
    if (!/^\d+$/.test(p)) throw bad();
    host = h;
    port = Number(p);
  } else if (entry.includes(":") && !parseAddress(entry)) {
    throw bad();
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw bad();
  if (!parseAddress(host) && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) throw bad();
  const ip = parseAddress(host);
  return { host: ip ? ip.toString() : host.toLowerCase(), port };
}
