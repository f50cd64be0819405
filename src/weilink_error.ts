/**
 * The base class of every error WeiLink defines, so callers can tell WeiLink's failures from
 * anything else with one `instanceof`. Bad arguments are the exception: they throw the built-in
 * `TypeError` or `RangeError`, as web APIs do.
 *
 * @module
 */

/**
 * Base of WeiLink's errors: `ILinkError` (the API said no), `NetworkError` (no usable answer),
 * `CdnError`, `AesError`, the client's errors (`NotLoggedInError`, `NoContextError`,
 * `StaleContextError`, …), `InvalidMessageError`, and the servers' `ToolError`. Its `name` is
 * the subclass's.
 *
 * @example
 * ```ts
 * import { WeiLinkError } from "@weilink/core";
 *
 * try {
 *   throw new WeiLinkError("Something failed");
 * } catch (error) {
 *   if (error instanceof WeiLinkError) console.log(error.name, error.message);
 * }
 * ```
 */
export class WeiLinkError extends Error {
  /** Creates the error; `options.cause` keeps the underlying error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
