/**
 * Argument parsing for the command line, on `node:util` `parseArgs` in strict
 * mode: unknown flags, missing values and stray positionals are usage errors
 * (exit code 2), never silently ignored.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Command, CommonOptions, FlagSpec } from "./command.ts";
import { parseLogLevel } from "../client/logger.ts";
import { flagsOf, UsageError } from "./flags.ts";
import { didYouMean } from "./suggest.ts";

type ParseArgsOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

function toParseArgsOptions(flags: Record<string, FlagSpec>): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  return options;
}

/**
 * Index in `args` of the first positional argument, reading flags leniently
 * (values of known string flags are skipped). Used to find a command or
 * subcommand name before the strict parse.
 */
export function firstPositionalIndex(
  args: readonly string[],
  flags: Record<string, FlagSpec>,
): number {
  const { tokens } = parseArgs({
    args: [...args],
    options: toParseArgsOptions(flags),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens ?? []) {
    if (token.kind === "positional") return token.index;
    if (token.kind === "option-terminator") return -1;
  }
  return -1;
}

/** True when `--help`/`-h` appears among the flags (before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** Result of parsing a command's arguments. */
export interface ParsedArgs {
  /** Flag values keyed by long name. */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parses `args` strictly against `command`'s flags and checks the number of
 * positional arguments.
 */
export function parseCommandArgs(
  command: Command,
  commandPath: string,
  args: readonly string[],
): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: toParseArgsOptions(flagsOf(command)),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error, flagsOf(command)), commandPath);
  }
  const specs = command.positionals ?? [];
  const required = specs.filter((p) => !p.optional).length;
  if (parsed.positionals.length < required) {
    const missing = specs.slice(parsed.positionals.length).filter((p) => !p.optional);
    throw new UsageError(
      `Missing argument ${missing.map((p) => p.name).join(" ")} for '${commandPath}'`,
      commandPath,
    );
  }
  if (parsed.positionals.length > specs.length) {
    const extra = parsed.positionals[specs.length];
    throw new UsageError(`Unexpected argument '${extra}' for '${commandPath}'`, commandPath);
  }
  return { values: parsed.values as ParsedArgs["values"], positionals: parsed.positionals };
}

function describeParseError(error: unknown, flags: Record<string, FlagSpec>): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const match = /Unknown option '([^']+)'/.exec(error.message);
    if (match) {
      const option = match[1] as string;
      const hint = option.startsWith("--")
        ? didYouMean(option, Object.keys(flags).map((name) => `--${name}`))
        : "";
      return `Unknown option '${option}'${hint}`;
    }
  }
  // node:util messages are accurate but span several lines; the first one says it.
  return (error.message.split("\n")[0] ?? error.message).replace(/\.$/, "");
}

function envValue(name: string): string | undefined {
  const value = Deno.env.get(name);
  return value === undefined || value === "" ? undefined : value;
}

function checkUrl(flag: string, value: string, commandPath: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Invalid ${flag} '${value}': not an absolute URL`, commandPath);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `Invalid ${flag} '${value}': only http and https are supported`,
      commandPath,
    );
  }
  return value;
}

/** Resolves the shared flags, falling back to the `WEILINK_*` environment variables. */
export function resolveCommonOptions(
  values: ParsedArgs["values"],
  commandPath: string,
): CommonOptions {
  const str = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const rawLevel = str("log-level") ?? envValue("WEILINK_LOG_LEVEL") ?? "info";
  const level = parseLogLevel(rawLevel);
  if (level === undefined) {
    throw new UsageError(
      `Invalid log level '${rawLevel}': expected debug, info, warning (warn), error or silent`,
      commandPath,
    );
  }
  const options: CommonOptions = {
    json: values.json === true,
    quiet: values.quiet === true,
    logLevel: level,
  };
  const basePath = str("base-path") ?? envValue("WEILINK_HOME");
  if (basePath !== undefined) options.basePath = basePath;
  const baseUrl = str("base-url") ?? envValue("WEILINK_BASE_URL");
  if (baseUrl !== undefined) options.baseUrl = checkUrl("base URL", baseUrl, commandPath);
  const store = str("store") ?? envValue("WEILINK_STORE");
  if (store !== undefined && store !== "") {
    if (store !== "files" && !/^postgres(ql)?:\/\//i.test(store)) {
      throw new UsageError(
        `Invalid store '${store.slice(0, 40)}': expected files or a postgres:// URL`,
        commandPath,
      );
    }
    options.store = store;
  }
  const cdnBaseUrl = str("cdn-base-url") ?? envValue("WEILINK_CDN_BASE_URL");
  if (cdnBaseUrl !== undefined) {
    options.cdnBaseUrl = checkUrl("CDN base URL", cdnBaseUrl, commandPath);
  }
  return options;
}
