/**
 * The command line an agent runs to start WeiLink: written into the MCP entries and the prompt
 * hooks that `weilink setup` installs.
 *
 * It is the WeiLink the user actually ran `setup` with, never a bare `weilink` that may not be
 * on the agent's `PATH` (desktop apps often start with a short one): the binary itself when it
 * is a `deno compile` build, else the Deno executable running `cli.ts` from where it was loaded
 * (`jsr:@weilink/core/cli` for a module loaded from JSR or the web, the absolute path of `cli.ts`
 * for a local checkout). `--command` overrides it.
 *
 * @module
 */

/** What {@linkcode launchCommand} looks at; tests pass their own. */
export interface LaunchFacts {
  /** `Deno.execPath()`: the Deno executable, or the compiled binary. */
  execPath: string;
  /** `Deno.mainModule`: the URL of the entry module (`cli.ts`). */
  mainModule: string;
}

/** The module agents run when WeiLink was started from JSR or another remote URL. */
export const JSR_CLI = "jsr:@weilink/core/cli";

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** Whether `execPath` is the Deno runtime rather than a compiled WeiLink binary. */
function isDeno(execPath: string): boolean {
  return /^deno(\.exe)?$/i.test(baseName(execPath));
}

/**
 * The words that start WeiLink as this process was started, e.g.
 * `["/home/me/.deno/bin/deno", "run", "-A", "/home/me/weilink/cli.ts"]`.
 */
export function launchCommand(
  facts: LaunchFacts = { execPath: Deno.execPath(), mainModule: Deno.mainModule },
): string[] {
  if (!isDeno(facts.execPath)) return [facts.execPath];
  const main = facts.mainModule;
  if (main.startsWith("file:")) {
    return [facts.execPath, "run", "-A", decodeURIComponent(new URL(main).pathname)];
  }
  return [facts.execPath, "run", "-A", JSR_CLI];
}

/**
 * Splits a `--command` value into words the way a POSIX shell would for plain words, single and
 * double quotes and backslashes (no expansions).
 *
 * @throws {TypeError} On an unterminated quote or an empty command.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word = (word ?? "") + ch;
    } else if (quote === '"') {
      const next = text[i + 1];
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && next !== undefined && '"\\$`'.includes(next)) {
        word = (word ?? "") + next;
        i++;
      } else word = (word ?? "") + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (ch === "\\" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (quote) throw new TypeError(`Invalid command "${text}": unterminated ${quote} quote`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new TypeError("Invalid command: it is empty");
  return words;
}

/** `word` quoted for a POSIX shell when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
