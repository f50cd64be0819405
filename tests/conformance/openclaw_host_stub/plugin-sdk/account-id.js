/** The host's account-id normaliser; imported at load time, never called by the driver. */
export function normalizeAccountId() {
  throw new Error("normalizeAccountId is not provided by the conformance host stub");
}
