/**
 * A setup as data: the file changes that installing or removing an integration makes, worked
 * out from what is on disk before anything is written. `--dry-run` prints the plan as a diff,
 * `--json` prints it as data, and {@linkcode applyPlan} carries it out. A plan with no changes
 * means "already installed" (or "not installed" for a removal): running setup twice changes
 * nothing the second time.
 *
 * @module
 */

import { prepareAtomicWrite } from "../client/data_dir.ts";
import { unifiedDiff } from "./unified_diff.ts";

/** The agents WeiLink integrates with. */
export type SetupTarget = "claude-code" | "codex" | "opencode";

/** Every target, in the order the help lists them. */
export const SETUP_TARGETS: readonly SetupTarget[] = ["claude-code", "codex", "opencode"];

/** One file created, modified or removed by a plan. */
export interface FileChange {
  /** Absolute path. */
  path: string;
  /** Content now; `undefined` when the file does not exist (or is a symbolic link). */
  before: string | undefined;
  /** Content after the change; `undefined` when the file is removed. */
  after: string | undefined;
  /** Mode of a created file (default 0o644); a modified file keeps its own. */
  mode?: number;
  /** What the file is, for people: `MCP server entry "weilink"`. */
  what: string;
  /** The path is a symbolic link to this target, which the change removes (not its target). */
  symlink?: string;
}

/** What a target needs to know to plan a setup. */
export interface SetupOptions {
  /** The user's home folder. */
  home: string;
  /** Reads an environment variable (`CODEX_HOME`, `XDG_CONFIG_HOME`, `CLAUDE_CONFIG_DIR`). */
  env: (name: string) => string | undefined;
  /** The words that start WeiLink (see `launcher.ts`). */
  command: readonly string[];
  /** A data directory to pass to every WeiLink the agent starts (`-d`); default: theirs. */
  basePath?: string;
  /** Plan the removal instead of the installation. */
  uninstall: boolean;
}

/** The full command line of a WeiLink subcommand as the agent will run it. */
export function weilinkCommand(options: SetupOptions, ...args: string[]): string[] {
  const dir = options.basePath === undefined ? [] : ["-d", options.basePath];
  return [...options.command, ...args, ...dir];
}

/** What installing or removing one integration changes. */
export interface SetupPlan {
  /** The agent. */
  target: SetupTarget;
  /** Install or remove. */
  action: "install" | "uninstall";
  /** Folders emptied by removals are deleted up to this one (inclusive), never above it. */
  root: string;
  /** The changes, in the order they are applied. Empty when there is nothing to do. */
  changes: FileChange[];
  /** What the user still has to do, one sentence each. */
  notes: string[];
}

/** How a change reads in a listing. */
export function changeKind(change: FileChange): "create" | "modify" | "remove" {
  if (change.after === undefined) return "remove";
  return change.before === undefined && change.symlink === undefined ? "create" : "modify";
}

/** One change as a unified diff (a link removal is a one-line note). */
export function changeDiff(change: FileChange): string {
  const link = change.symlink === undefined
    ? ""
    : `Remove symbolic link ${change.path} -> ${change.symlink}\n`;
  return link + unifiedDiff(change.path, change.before, change.after);
}

/** The plan as a unified diff, one section per file. */
export function planDiff(plan: SetupPlan): string {
  return plan.changes.map(changeDiff).join("");
}

/** Reads a text file; `undefined` when it does not exist. */
export function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The target of `path` when it is a symbolic link, else `undefined`. */
export function symlinkTarget(path: string): string | undefined {
  try {
    return Deno.lstatSync(path).isSymlink ? Deno.readLinkSync(path) : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * A change from `before` to `after` for `path`, or nothing when they are equal. Convenience for
 * the targets: `[...fileChange(...)]` adds it to a list only when it changes something.
 */
export function fileChange(
  path: string,
  before: string | undefined,
  after: string | undefined,
  what: string,
  mode?: number,
): FileChange[] {
  if (before === after) return [];
  return [{ path, before, after, what, ...(mode === undefined ? {} : { mode }) }];
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Deletes `dir` and its parents while they are empty, stopping after `root`. */
function removeEmptyFolders(dir: string, root: string): void {
  let current = dir;
  while (current === root || current.startsWith(`${root}/`)) {
    try {
      Deno.removeSync(current);
    } catch {
      // Not empty, or already gone: the folders above are not empty either.
      return;
    }
    if (current === root) return;
    current = parentOf(current);
  }
}

/**
 * Carries out a plan: every write is atomic (a temporary file renamed over the target, so an
 * agent reading its config never sees half a file), a modified file keeps its mode, and folders
 * left empty by removals are deleted up to the plan's root.
 */
export async function applyPlan(plan: SetupPlan): Promise<void> {
  const emptied = new Set<string>();
  for (const change of plan.changes) {
    if (change.symlink !== undefined) {
      // The link only: what it points to (an older install's source folder) is not ours.
      Deno.removeSync(change.path);
      continue;
    }
    if (change.after === undefined) {
      try {
        Deno.removeSync(change.path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      emptied.add(parentOf(change.path));
      continue;
    }
    let mode = change.mode ?? 0o644;
    if (change.before !== undefined) {
      try {
        mode = (Deno.statSync(change.path).mode ?? mode) & 0o7777;
      } catch {
        // Gone since the plan was made: write it with the planned mode.
      }
    }
    Deno.mkdirSync(parentOf(change.path), { recursive: true });
    const write = await prepareAtomicWrite(change.path, change.after, mode);
    await write.commit();
    // The temporary file was created with `mode` minus the umask; set it exactly.
    if (Deno.build.os !== "windows") Deno.chmodSync(change.path, mode);
  }
  for (const dir of [...emptied].sort((a, b) => b.length - a.length)) {
    removeEmptyFolders(dir, plan.root);
  }
}
