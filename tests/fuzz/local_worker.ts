/**
 * The worker that runs the in-process targets. The fuzzer's main thread watches it: a case that
 * blocks the worker's thread (a runaway regular expression, an endless loop) stops the progress
 * messages, and the main thread terminates the worker, reports the hang and starts a new one.
 * Cases that hang asynchronously, or finish late, are caught here by time.
 *
 * Messages in: `{type: "init", dir, vars?}`, `{type: "run", target, seed, from, to, shrink}`,
 * `{type: "stop"}`. Messages out: `ready`, `start` (before each case), `failure`, `shrinking`,
 * `shrunk`, `done`, `stopped`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import {
  CASE_TIMEOUT_MS,
  describeSafely,
  errorText,
  type Failure,
  HangError,
  kindOf,
  type LocalEnv,
  signatureOf,
  stackOf,
  type Target,
} from "./harness.ts";
import { caseRng } from "./prng.ts";
import { shrink } from "./shrink.ts";
import { LOCAL_TARGETS } from "./targets.ts";
import { makeFileFixture } from "./fixtures.ts";

/** Placeholders of the canned backend and the fixture. */
const CANNED_VARS = {
  USER: "u_demo_1@im.wechat",
  BOT: "fuzz@im.bot",
  MSG_IMAGE: "7300000000000000123",
  MSG_FILE: "7300000000000000125",
  MSG_TEXT: "7300000000000000127",
};

let env: LocalEnv | undefined;

/** Runs one case; resolves with the failure, or undefined when the outcome is allowed. */
export async function runCase<I>(
  target: Target<I, LocalEnv>,
  input: I,
  environment: LocalEnv,
  timeoutMs: number,
): Promise<{ kind: Failure["kind"]; error: unknown } | undefined> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HangError(`no result within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([target.run(input, environment), timeout]);
  } catch (error) {
    return { kind: kindOf(error), error };
  } finally {
    clearTimeout(timer);
  }
  // A case that blocked the thread finishes before its timer can fire: judge it by the clock.
  const elapsed = performance.now() - started;
  if (elapsed > timeoutMs) {
    return {
      kind: "hang",
      error: new HangError(`took ${Math.round(elapsed)} ms, over the ${timeoutMs} ms limit`),
    };
  }
  return undefined;
}

function post(message: Record<string, unknown>): void {
  self.postMessage(message);
}

async function runRange(
  name: string,
  seed: number,
  from: number,
  to: number,
  doShrink: boolean,
): Promise<void> {
  const target = LOCAL_TARGETS.find((t) => t.name === name) as Target<unknown, LocalEnv>;
  const shrunk = new Set<string>();
  for (let index = from; index < to; index++) {
    post({ type: "start", index });
    let input: unknown;
    try {
      input = target.generate(caseRng(seed, name, index));
    } catch (error) {
      // A broken generator is the fuzzer's own bug, but it must be seen, not crash the run.
      post({
        type: "failure",
        failure: {
          target: name,
          index,
          kind: "unexpected",
          error: `the generator failed: ${errorText(error)}`,
          signature: signatureOf("unexpected", error),
          input: "(none: generation failed)",
        } satisfies Failure,
      });
      continue;
    }
    let result = await runCase(target, input, env!, CASE_TIMEOUT_MS);
    // A real hang happens again; a case that was only slow (a busy machine, a collection pause)
    // does not.
    if (result?.kind === "hang") result = await runCase(target, input, env!, CASE_TIMEOUT_MS);
    if (!result) continue;
    const signature = signatureOf(result.kind, result.error);
    const failure: Failure = {
      target: name,
      index,
      kind: result.kind,
      error: errorText(result.error),
      signature,
      input: describeSafely(target, input),
    };
    const stack = stackOf(result.error);
    if (stack) failure.stack = stack;
    post({ type: "failure", failure });
    // One minimised example per cause is enough; hangs are not shrunk (each try costs the limit).
    if (!doShrink || result.kind === "hang" || shrunk.has(signature)) continue;
    shrunk.add(signature);
    post({ type: "shrinking", index });
    const small = await shrink(
      input,
      async (candidate) => {
        const again = await runCase(target, candidate, env!, CASE_TIMEOUT_MS);
        return again !== undefined && signatureOf(again.kind, again.error) === signature;
      },
      {},
      target.shrinkable?.bind(target),
    );
    post({
      type: "shrunk",
      index,
      minimised: describeSafely(target, small.value),
      steps: small.steps,
    });
  }
  post({ type: "done", from, to });
}

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as Record<string, unknown>;
  switch (message.type) {
    case "init": {
      const dir = message.dir as string;
      const fixture = await makeFileFixture(dir);
      env = { dir, vars: { ...CANNED_VARS, FILES: fixture.files, DATA: fixture.data } };
      post({ type: "ready" });
      break;
    }
    case "run":
      await runRange(
        message.target as string,
        message.seed as number,
        message.from as number,
        message.to as number,
        message.shrink as boolean,
      );
      break;
    case "stop":
      post({ type: "stopped" });
      self.close();
      break;
  }
};
