/**
 * The two host helpers the official channel's logger and pairing modules import. Only the
 * temporary directory (where the channel writes its JSON log lines) is ever used by the
 * conformance driver.
 */
import os from "node:os";

/** Where the host keeps temporary files; the channel's log goes there. */
export function resolvePreferredOpenClawTmpDir() {
  return process.env.WEILINK_OFFICIAL_LOG_DIR || os.tmpdir();
}

/** The host's file lock (pairing allow-lists); the driver never reaches it. */
export function withFileLock() {
  throw new Error("withFileLock is not provided by the conformance host stub");
}
