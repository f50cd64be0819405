/**
 * The client's errors in the words of the command line: each names the command to run next,
 * with the program as the user started it. Unit cases for every mapping, then the real
 * failures of `cli.ts` against the sandbox.
 */
import assert from "node:assert/strict";
import { describeFailure, describePermission } from "../../src/cli/cli_errors.ts";
import {
  LoginError,
  NoContextError,
  NotLoggedInError,
  StaleContextError,
} from "../../src/client/errors.ts";
import { NetworkError, SessionExpiredError } from "../../src/protocol/errors.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { CliChild, jsonOf, runCli } from "./cli_process.ts";

const PROG = "weilink";

Deno.test("describeFailure: client errors name the command to run next", () => {
  assert.equal(
    describeFailure(new NotLoggedInError(), PROG),
    "Not logged in: run `weilink login` first",
  );
  assert.equal(
    describeFailure(
      new NotLoggedInError("Not logged in: every session has expired, log in again"),
      "deno run -A cli.ts",
    ),
    "Every session has expired: run `deno run -A cli.ts login` to scan a new QR code",
  );
  const missing = describeFailure(new NoContextError("u@im.wechat", "missing", "default"), PROG);
  assert.match(missing, /^Cannot send to "u@im\.wechat": they have not written to this bot/);
  assert.match(missing, /`weilink recv` shows it and `weilink send` works/);
  assert.match(
    describeFailure(new NoContextError("u@im.wechat", "expired", "work"), PROG),
    /session "work" is over 24 hours old\. .*`weilink send` works/,
  );
  const expired = new SessionExpiredError("getupdates", -14, -14, "");
  assert.match(
    describeFailure(new StaleContextError("u@im.wechat", "default", { cause: expired }), PROG),
    /^The server refused to deliver to "u@im\.wechat" .*`weilink status` .*`weilink login`$/,
  );
  assert.equal(
    describeFailure(expired, PROG),
    "The session has expired (the server answered -14): run `weilink login` to scan a new QR code",
  );
  assert.match(
    describeFailure(new LoginError("timeout", "Cannot complete login: no confirmation"), PROG),
    /^Login not confirmed in time: run `weilink login` again/,
  );
  assert.match(
    describeFailure(new LoginError("expired", "x"), PROG),
    /QR codes expired unscanned\. Run `weilink login` again$/,
  );
  assert.match(describeFailure(new LoginError("verify_code", "x"), PROG), /pairing code/);
  assert.match(
    describeFailure(new LoginError("bound", "Cannot complete login: bound"), PROG),
    /^Login failed: Cannot complete login: bound\. Run `weilink login --force`/,
  );
  // Anything else keeps its own message.
  assert.equal(describeFailure(new TypeError("Bad thing"), PROG), "Bad thing");
  assert.equal(describeFailure("plain", PROG), "plain");
});

Deno.test("describePermission: Deno's refusal, however wrapped, becomes the flag to add", () => {
  const refused = new Deno.errors.NotCapable(
    'Requires net access to "ilinkai.weixin.qq.com:443", run again with the --allow-net flag',
  );
  const wrapped = new NetworkError(
    "getupdates",
    `iLink getupdates request failed: ${refused.message}`,
    {
      cause: refused,
    },
  );
  const expected = 'WeiLink needs --allow-net for "ilinkai.weixin.qq.com:443" (the iLink API, ' +
    "its CDN, or a server's own address): run again with --allow-net=ilinkai.weixin.qq.com:443";
  assert.equal(describePermission(refused), expected);
  assert.equal(describePermission(wrapped), expected);
  assert.equal(describeFailure(wrapped, PROG), expected);
  assert.equal(
    describePermission(
      new Deno.errors.NotCapable(
        'Requires read access to "/home/me/.weilink", run again with the --allow-read flag',
      ),
    ),
    'WeiLink needs --allow-read for "/home/me/.weilink" (the data directory): run again with ' +
      "--allow-read=/home/me/.weilink",
  );
  assert.equal(
    describePermission(
      new Deno.errors.NotCapable(
        'Requires env access to "WEILINK_HOME", run again with the --allow-env flag',
      ),
    ),
    'WeiLink needs --allow-env for "WEILINK_HOME" (WeiLink reads its settings from HOME and ' +
      "WEILINK_* variables): run again with " +
      "--allow-env=HOME,WEILINK_HOME,WEILINK_BASE_URL,WEILINK_CDN_BASE_URL,WEILINK_LOG_LEVEL,WEILINK_STORE",
  );
  // The operating system's EACCES is not a Deno permission.
  assert.equal(
    describePermission(new Deno.errors.PermissionDenied("Permission denied (os error 13)")),
    undefined,
  );
  assert.equal(describePermission(new Error("unrelated")), undefined);
  // A cause chain that loops ends.
  const a = new Error("a");
  const b = new Error("b", { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(describePermission(a), undefined);
});

Deno.test("cli: failures against the sandbox say which command to run next", async (t) => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-errors-" });
  const flags = ["-d", home, "--base-url", sandbox.baseUrl, "--cdn-base-url", sandbox.cdnBaseUrl];
  const cli = (...args: string[]) => runCli([...args, ...flags]);
  const prog = `deno run -A ${new URL("../../cli.ts", import.meta.url).pathname}`
    .replace(` ${Deno.cwd()}/`, " ");
  try {
    await t.step("not logged in", async () => {
      const [send, recv] = await Promise.all([
        cli("send", "u@im.wechat", "--text", "hi", "--json"),
        cli("recv", "-t", "1"),
      ]);
      assert.equal(send.code, 1);
      assert.equal(
        (jsonOf(send) as { error: string }).error,
        `Send failed: Not logged in: run \`${prog} login\` first`,
      );
      assert.equal(recv.code, 1);
      assert.equal(recv.stderr, `Error: Not logged in: run \`${prog} login\` first\n`);
    });

    let botId = "";
    const user = "alice@im.wechat";
    await t.step("log in, then a send to a user who never wrote", async () => {
      const login = new CliChild(["login", "--json", ...flags]);
      botId = (await sandbox.confirmLogin({ userId: user })).botId;
      assert.equal((await login.finish()).code, 0);
      const send = await cli("send", "stranger@im.wechat", "--text", "hello?");
      assert.equal(send.code, 1);
      assert.match(
        send.stderr,
        /^Error: Send failed: Cannot send to "stranger@im\.wechat": they have not written/,
      );
      assert.ok(send.stderr.includes(`\`${prog} send\` works`), send.stderr);
      assert.doesNotMatch(send.stderr, /context token|login\(\)/);
    });

    await t.step("a stale conversation", async () => {
      await sandbox.injectMessage({ text: "hi" });
      assert.equal((await cli("recv", "-t", "5")).code, 0);
      await sandbox.staleContext(botId, user);
      const send = await cli("send", user, "--text", "late reply");
      assert.equal(send.code, 1);
      assert.match(send.stderr, /Send failed: The server refused to deliver to "alice@im\.wechat"/);
      assert.ok(send.stderr.includes(`\`${prog} login\``), send.stderr);
    });

    await t.step("every session expired", async () => {
      await sandbox.expireSession(botId);
      // The first poll learns of the expiry; the next run finds every session expired.
      await cli("recv", "-t", "2");
      const recv = await cli("recv", "-t", "2");
      assert.equal(recv.code, 1);
      assert.ok(
        recv.stderr.includes(
          `Every session has expired (the server answered -14): run \`${prog} login\``,
        ),
        recv.stderr,
      );
    });
  } finally {
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("cli: a login whose QR codes all expire says to run login again", async () => {
  const sandbox = await startSandbox({ qrTtlMs: 200, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-errors-" });
  try {
    const result = await runCli(["login", "-d", home, "--base-url", sandbox.baseUrl]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /Error: Login failed: the QR codes expired unscanned\. Run `deno run -A \S*cli\.ts login` again\n$/,
    );
  } finally {
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});
