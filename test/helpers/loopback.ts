/** OUTBOUND_ALLOWLIST for suites whose PDS (and the PLC, and the `localhost` its DID documents name) runs on this machine. */
export const LOOPBACK_ALLOWLIST = "127.0.0.0/8,::1/128";
