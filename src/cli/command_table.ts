/**
 * The `weilink` command table.
 *
 * Adding a command means adding one entry here and one file under
 * `commands/`. Keep this file free of static imports beyond types: it is
 * loaded on every start, including `weilink --help`, and each `run` pulls in
 * only what its command needs.
 *
 * @module
 */

import type { Command, CommonFlagName } from "./command.ts";

const CLIENT_FLAGS: readonly CommonFlagName[] = [
  "base-path",
  "json",
  "log-level",
  "base-url",
  "cdn-base-url",
  "store",
  "quiet",
];
const SERVER_FLAGS: readonly CommonFlagName[] = [
  "base-path",
  "log-level",
  "base-url",
  "cdn-base-url",
  "store",
  "quiet",
];

const SESSIONS_RENAME: Command = {
  name: "rename",
  summary: "Rename a session.",
  group: "bot",
  positionals: [
    { name: "OLD", description: "current session name" },
    { name: "NEW", description: "new session name" },
  ],
  common: CLIENT_FLAGS,
  run: async (ctx) => (await import("./commands/sessions.ts")).runRename(ctx),
};

const SESSIONS_DEFAULT: Command = {
  name: "default",
  summary: "Set the default session.",
  group: "bot",
  positionals: [{ name: "NAME", description: "session name" }],
  common: CLIENT_FLAGS,
  run: async (ctx) => (await import("./commands/sessions.ts")).runSetDefault(ctx),
};

const SERVER_COMMON_FLAGS = {
  host: {
    type: "string",
    valueName: "HOST",
    description: "address to bind (default 127.0.0.1; others require --token)",
  },
  port: { type: "string", short: "p", valueName: "PORT", description: "port (default 8000)" },
  "admin-port": {
    type: "string",
    valueName: "PORT",
    description: "admin panel port (default 8080)",
  },
  "no-admin": { type: "boolean", description: "do not start the admin panel" },
  token: {
    type: "string",
    valueName: "TOKEN",
    description: "bearer token for HTTP clients, 16+ characters (env WEILINK_MCP_TOKEN)",
  },
  "token-file": {
    type: "string",
    valueName: "PATH",
    description: "read the bearer token from this file (chmod 600; not visible in ps)",
  },
  "allow-read": {
    type: "string",
    valueName: "DIR[:DIR]",
    description: "folders send may read (default: working dir; data dir downloads always)",
  },
  "allow-write": {
    type: "string",
    valueName: "DIR[:DIR]",
    description: "more folders download may save into (default: <data dir>/downloads only)",
  },
  "max-body-bytes": {
    type: "string",
    valueName: "N",
    description: "largest HTTP request body (default 1048576)",
  },
  "no-banner": { type: "boolean", description: "do not print the start-up banner" },
} as const;

/** Every top-level command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: "login",
    summary: "Log a session in by scanning a QR code.",
    group: "bot",
    description: "Log a session in by scanning a QR code with WeChat.\n" +
      "The QR code and its URL are printed on stderr; credentials are kept in the data directory.",
    positionals: [{
      name: "SESSION",
      description: "session name (default: the default session)",
      optional: true,
    }],
    flags: {
      force: {
        type: "boolean",
        short: "f",
        description: "log in again even if credentials exist",
      },
    },
    common: CLIENT_FLAGS,
    examples: ["login", "login work --force", "login --json"],
    run: async (ctx) => (await import("./commands/login.ts")).runLogin(ctx),
  },
  {
    name: "logout",
    summary: "Log a session out and forget its credentials.",
    group: "bot",
    positionals: [{
      name: "SESSION",
      description: "session name (default: the default session)",
      optional: true,
    }],
    common: CLIENT_FLAGS,
    run: async (ctx) => (await import("./commands/login.ts")).runLogout(ctx),
  },
  {
    name: "status",
    summary: "Show the sessions and whether they are connected.",
    group: "bot",
    common: CLIENT_FLAGS,
    run: async (ctx) => (await import("./commands/sessions.ts")).runList(ctx),
  },
  {
    name: "sessions",
    summary: "List, rename sessions or set the default one.",
    group: "bot",
    description: "Session management. Without a command, lists the sessions (like 'status').",
    subcommands: [SESSIONS_RENAME, SESSIONS_DEFAULT],
    common: CLIENT_FLAGS,
    examples: ["sessions", "sessions rename default main", "sessions default work"],
    run: async (ctx) => (await import("./commands/sessions.ts")).runList(ctx),
  },
  {
    name: "recv",
    summary: "Receive new messages.",
    group: "bot",
    description: "Print the messages received since the last run, each message once, whether\n" +
      "this command polls or another process on the data directory (a server, a bot) does.\n" +
      "Each consumer name keeps its own position; a run that is killed before printing shows\n" +
      "the same messages again next time.",
    flags: {
      timeout: {
        type: "string",
        short: "t",
        valueName: "SECONDS",
        description: "how long to wait for messages (default 5)",
      },
      consumer: {
        type: "string",
        valueName: "NAME",
        description: "whose read position to follow (default 'cli')",
      },
    },
    common: CLIENT_FLAGS,
    examples: ["recv -t 30 --json", "recv --consumer my-script"],
    run: async (ctx) => (await import("./commands/recv.ts")).runRecv(ctx),
  },
  {
    name: "send",
    summary: "Send text and/or media to a user.",
    group: "bot",
    description: "Send a message. Text goes first, then each media item as its own message.\n" +
      "Exits with status 1 when any part of the send fails.",
    positionals: [{ name: "TO", description: "recipient user id, e.g. xxx@im.wechat" }],
    flags: {
      text: { type: "string", valueName: "TEXT", description: "text content" },
      image: { type: "string", valueName: "PATH", description: "image file" },
      file: { type: "string", valueName: "PATH", description: "file attachment" },
      "file-name": {
        type: "string",
        valueName: "NAME",
        description: "name shown for --file (default: its base name)",
      },
      video: { type: "string", valueName: "PATH", description: "video file" },
      voice: { type: "string", valueName: "PATH", description: "voice file" },
    },
    common: CLIENT_FLAGS,
    examples: [
      'send someone@im.wechat --text "hello"',
      "send someone@im.wechat --file report.pdf --json",
    ],
    run: async (ctx) => (await import("./commands/send.ts")).runSend(ctx),
  },
  {
    name: "download",
    summary: "Save the media of a stored message to a file.",
    group: "bot",
    description: "Download the media of a message from the message store.\n" +
      "Never overwrites: an existing name gets a ' (1)' style suffix. File names taken from\n" +
      "messages are sanitised.",
    positionals: [{ name: "MESSAGE_ID", description: "message id (see 'history' or 'recv')" }],
    flags: {
      output: {
        type: "string",
        short: "o",
        valueName: "DIR",
        description: "output folder (default: <data directory>/downloads)",
      },
    },
    common: CLIENT_FLAGS,
    run: async (ctx) => (await import("./commands/download.ts")).runDownload(ctx),
  },
  {
    name: "history",
    summary: "Query the message history.",
    group: "bot",
    flags: {
      user: { type: "string", valueName: "USER_ID", description: "only this user" },
      bot: { type: "string", valueName: "BOT_ID", description: "only this bot" },
      type: {
        type: "string",
        valueName: "TYPE",
        description: "TEXT, IMAGE, VOICE, FILE or VIDEO",
      },
      direction: { type: "string", valueName: "DIR", description: "received or sent" },
      since: {
        type: "string",
        valueName: "TIME",
        description: "from this time: ISO 8601, unix ms, or '30m', '2h', '7d' ago",
      },
      until: { type: "string", valueName: "TIME", description: "up to this time (same forms)" },
      text: { type: "string", valueName: "TEXT", description: "text contains" },
      limit: { type: "string", valueName: "N", description: "max results, 1-200 (default 50)" },
      offset: { type: "string", valueName: "N", description: "skip this many (default 0)" },
      cursor: {
        type: "string",
        valueName: "CURSOR",
        description: "the next page: the cursor the previous page printed",
      },
      "before-id": {
        type: "string",
        valueName: "MESSAGE_ID",
        description: "only messages older than this one",
      },
    },
    common: CLIENT_FLAGS,
    examples: [
      "history --since 2h --type text",
      "history --user someone@im.wechat --json",
      "history --limit 20 --cursor 1774857600000.42",
    ],
    run: async (ctx) => (await import("./commands/history.ts")).runHistory(ctx),
  },
  {
    name: "mcp",
    summary: "Start the MCP server for AI agents.",
    group: "server",
    description: "Start the MCP server. With the stdio transport, stdout carries only JSON-RPC.\n" +
      "Tools read local files only under --allow-read folders (default: the working directory)\n" +
      "and <data dir>/downloads, and save only under <data dir>/downloads and --allow-write.",
    flags: {
      transport: {
        type: "string",
        short: "t",
        valueName: "KIND",
        description: "stdio (default), sse, streamable-http (or http)",
      },
      ...SERVER_COMMON_FLAGS,
      "max-sessions": {
        type: "string",
        valueName: "N",
        description: "most HTTP sessions at once; more get 503 (default 64)",
      },
      "session-idle-timeout": {
        type: "string",
        valueName: "SECONDS",
        description: "close HTTP sessions idle this long (default 600)",
      },
    },
    common: SERVER_FLAGS,
    examples: [
      "mcp",
      "mcp --allow-read ~/Pictures --allow-write ~/Downloads",
      "mcp -t http -p 8000 --token-file ~/.config/weilink/token",
    ],
    run: async (ctx) => (await import("./commands/servers.ts")).runMcp(ctx),
  },
  {
    name: "openapi",
    summary: "Start the OpenAPI (REST) server.",
    group: "server",
    description:
      "Start the REST server: POST /tools/<name>, GET /openapi.json, Swagger UI at /docs.\n" +
      "Tools read local files only under --allow-read folders (default: the working directory)\n" +
      "and <data dir>/downloads, and save only under <data dir>/downloads and --allow-write.",
    flags: SERVER_COMMON_FLAGS,
    common: SERVER_FLAGS,
    run: async (ctx) => (await import("./commands/servers.ts")).runOpenApi(ctx),
  },
  {
    name: "admin",
    summary: "Start the web admin panel.",
    group: "server",
    description:
      "Serve the admin panel: log sessions in by QR code, see who wrote, read and search the\n" +
      "history, chat live and send files. Polls in the background, or follows the message store\n" +
      "while another process polls. Without a token it listens on loopback only; with one\n" +
      "(--admin-token, --token-file or WEILINK_ADMIN_TOKEN) browsers sign in at /login and\n" +
      "scripts send Authorization: Bearer <token>.",
    flags: {
      host: {
        type: "string",
        valueName: "HOST",
        description: "address to bind (default 127.0.0.1; others require a token)",
      },
      port: {
        type: "string",
        short: "p",
        valueName: "PORT",
        description: "port (default 8080; the next free one when taken)",
      },
      "admin-token": {
        type: "string",
        valueName: "TOKEN",
        description:
          "token for browsers and scripts, 16+ characters (visible in ps: prefer the file)",
      },
      "token-file": {
        type: "string",
        valueName: "PATH",
        description: "read the admin token from this file (chmod 600; env WEILINK_ADMIN_TOKEN)",
      },
      "no-banner": { type: "boolean", description: "print only the URL" },
    },
    common: [...SERVER_FLAGS, "json"],
    examples: [
      "admin",
      "admin -p 9000 -d ~/.weilink-work",
      "admin --host 0.0.0.0 --token-file ~/.config/weilink/admin-token",
    ],
    run: async (ctx) => (await import("./commands/admin.ts")).runAdmin(ctx),
  },
  {
    name: "sandbox",
    summary: "Start the embedded iLink sandbox and print its URLs.",
    group: "other",
    description:
      "Start a local emulator of the iLink API and CDN, with a phone page in the browser.\n" +
      "Point the SDK or the CLI at it with --base-url/--cdn-base-url or WEILINK_BASE_URL.",
    flags: {
      host: { type: "string", valueName: "HOST", description: "address (default 127.0.0.1)" },
      port: {
        type: "string",
        short: "p",
        valueName: "PORT",
        description: "port (default 0: any free port)",
      },
      "long-poll-ms": {
        type: "string",
        valueName: "MS",
        description: "getupdates hold time (default 35000)",
      },
      "window-ms": {
        type: "string",
        valueName: "MS",
        description: "how long a context token stays valid (default 24 h)",
      },
      quota: {
        type: "string",
        valueName: "N",
        description: "replies per context token (default 10)",
      },
      "qr-ttl-ms": {
        type: "string",
        valueName: "MS",
        description: "QR login lifetime (default 300000)",
      },
      redirect: { type: "boolean", description: "send QR logins through scaned_but_redirect" },
      "upload-full-url": {
        type: "boolean",
        description: "answer upload_full_url from getuploadurl",
      },
      "connection-faults": {
        type: "boolean",
        description: "serve over node:http so faults can drop connections (slower)",
      },
      "control-token": {
        type: "string",
        valueName: "TOKEN",
        description: "control API token, needed beyond loopback (env WEILINK_SANDBOX_TOKEN)",
      },
    },
    common: ["json", "log-level", "quiet"],
    examples: ["sandbox -p 8765", "sandbox --json --quiet"],
    run: async (ctx) => (await import("./commands/sandbox.ts")).runSandbox(ctx),
  },
  {
    name: "demo",
    summary: "Chat with an echo bot on the sandbox (no WeChat account needed).",
    group: "other",
    description:
      "Start the embedded sandbox, log a bot into it, run the echo bot, and print the\n" +
      "phone page URL where you can chat with it. Runs until Ctrl-C. Uses a temporary data\n" +
      "directory unless -d is given.",
    flags: {
      host: { type: "string", valueName: "HOST", description: "address (default 127.0.0.1)" },
      port: {
        type: "string",
        short: "p",
        valueName: "PORT",
        description: "sandbox port (default 0: any free port)",
      },
      "exit-after": {
        type: "string",
        valueName: "SECONDS",
        description: "stop by itself after this many seconds",
      },
    },
    common: ["base-path", "json", "log-level", "quiet"],
    run: async (ctx) => (await import("./commands/demo.ts")).runDemo(ctx),
  },
  {
    name: "setup",
    summary: "Install WeiLink into an AI agent: claude-code, codex or opencode.",
    group: "other",
    description: "Install (or with --uninstall remove) WeiLink's MCP server, prompt hook and\n" +
      "slash command or skill in Claude Code, Codex or OpenCode. Other settings in their\n" +
      "config files are kept byte for byte; running it twice changes nothing.",
    positionals: [{ name: "AGENT", description: "claude-code, codex or opencode" }],
    flags: {
      uninstall: { type: "boolean", description: "remove the integration instead" },
      copy: { type: "boolean", description: "accepted for compatibility: files are always copied" },
      "dry-run": { type: "boolean", description: "print the changes as a diff, write nothing" },
      command: {
        type: "string",
        valueName: "CMD",
        description: "how the agent starts WeiLink (default: as this command was started)",
      },
    },
    common: ["base-path", "json", "log-level", "quiet"],
    examples: ["setup claude-code", "setup codex --dry-run", "setup opencode --uninstall"],
    run: async (ctx) => (await import("./commands/setup.ts")).runSetup(ctx),
  },
  {
    name: "hook-poll",
    summary: "Print new messages as JSON for an agent's prompt hook.",
    group: "other",
    description: "Print the received messages after the consumer's position as one JSON line,\n" +
      '{"has_messages", "count", "context"}. Each message is shown once, oldest first; the\n' +
      "first run shows the last five minutes. Reads the message store only (no network).",
    flags: {
      limit: { type: "string", valueName: "N", description: "most messages (default 20)" },
      reset: { type: "boolean", description: "forget the position and exit" },
      consumer: {
        type: "string",
        valueName: "NAME",
        description: "whose read position to follow (default 'hook')",
      },
      format: {
        type: "string",
        valueName: "FORMAT",
        description: "json (default) or hook (UserPromptSubmit hook output)",
      },
    },
    common: ["base-path", "log-level"],
    examples: ["hook-poll", "hook-poll --limit 5 --consumer my-agent"],
    run: async (ctx) => (await import("./commands/hook_poll.ts")).runHookPoll(ctx),
  },
  {
    name: "worker",
    summary: "Poll bot accounts into PostgreSQL, one worker per account across hosts.",
    group: "other",
    description: "Run on any number of hosts against one database (--store). Each account is\n" +
      "polled by one worker at a time; when a worker dies another takes its accounts over\n" +
      "within seconds, from the last committed cursor. Stop with Ctrl-C / SIGTERM.",
    flags: {
      accounts: {
        type: "string",
        valueName: "all|A,B",
        description: "accounts to poll: session names or bot ids (default all)",
      },
    },
    common: [...SERVER_FLAGS, "json"],
    examples: ["worker --store postgres://weilink@db/weilink", "worker --accounts work,shop"],
    run: async (ctx) => (await import("./commands/worker.ts")).runWorker(ctx),
  },
  {
    name: "migrate",
    summary: "Import another tool's accounts (openclaw), or copy to/from PostgreSQL.",
    group: "other",
    description: "openclaw: import the tokens, base URLs, cursors and context tokens of the\n" +
      "OpenClaw Weixin plugin's accounts. A session newer than the OpenClaw login is kept\n" +
      "unless --force.\n" +
      "to-postgres / from-postgres: copy the data directory (-d), history included, into the\n" +
      "empty database of --store, or the database into an empty data directory.",
    positionals: [{ name: "SOURCE", description: "openclaw, to-postgres or from-postgres" }],
    flags: {
      source: {
        type: "string",
        valueName: "DIR",
        description: "OpenClaw state folder (env OPENCLAW_STATE_DIR, default ~/.openclaw)",
      },
      "dry-run": { type: "boolean", description: "report what would happen, write nothing" },
      force: { type: "boolean", description: "replace sessions even when they are newer" },
    },
    common: ["base-path", "json", "log-level", "store", "quiet"],
    examples: [
      "migrate openclaw --dry-run",
      "migrate openclaw --source ~/.openclaw --json",
      "migrate to-postgres --store postgres://weilink@db/weilink -d ~/.weilink",
      "migrate from-postgres --store postgres://weilink@db/weilink -d /tmp/weilink-copy",
    ],
    run: async (ctx) => (await import("./commands/migrate.ts")).runMigrate(ctx),
  },
];
