/**
 * HTTP plumbing below both the servers (`server/`) and the sandbox (`sandbox/`), so that neither
 * imports the other: the web-stream side of a `node:http` response.
 *
 * @module
 */

export { closedEarly, writeBody } from "./node_response.ts";
