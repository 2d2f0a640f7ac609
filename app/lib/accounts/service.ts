/**
 * The account functions the queues and the token refresh call, in one import.
 * (Each lives in its own file; this only gathers them.)
 */
export { loadPlatformAccount, type LoadedPlatformAccount } from "./loadPlatformAccount";
export { saveAccountSession } from "./saveAccountSession";
export { markAccountNeedsReauth } from "./markAccountNeedsReauth";
export { markAccountDisabled } from "./markAccountDisabled";
export { recordAccountError } from "./recordAccountError";
