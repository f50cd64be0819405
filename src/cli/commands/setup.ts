/**
 * `weilink setup claude-code|codex|opencode [--uninstall] [--copy] [--dry-run] [--command CMD]`.
 *
 * Installs (or removes) WeiLink's MCP server, prompt hook and slash command or skill in an
 * agent's own configuration. The agent will start WeiLink with the command this one was started
 * with (see `integrations/launcher.ts`), with `-d` when a data directory was given.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { UsageError } from "../flags.ts";
import { envGet, homeDirectory, resolveBasePath } from "../../client/paths.ts";
import {
  applyPlan,
  changeDiff,
  changeKind,
  launchCommand,
  planDiff,
  planSetup,
  SETUP_TARGETS,
  type SetupOptions,
  type SetupTarget,
  shellQuote,
  splitCommand,
} from "../../integrations/mod.ts";

/** What `setup` did (or, with `--dry-run`, would do). */
type Status = "installed" | "already_installed" | "uninstalled" | "not_installed";

function targetOf(ctx: CommandContext): SetupTarget {
  const name = ctx.positionals[0] as SetupTarget;
  if (!SETUP_TARGETS.includes(name)) {
    throw new UsageError(
      `Unknown agent '${name}': expected ${SETUP_TARGETS.join(", ")}`,
      ctx.commandPath,
    );
  }
  return name;
}

/** The words that start WeiLink for the agent: `--command`, else this WeiLink. */
function commandWords(ctx: CommandContext): string[] {
  const raw = ctx.values.command;
  if (typeof raw !== "string") return launchCommand();
  try {
    return splitCommand(raw);
  } catch (error) {
    throw new UsageError(`Invalid --command: ${(error as Error).message}`, ctx.commandPath);
  }
}

/** Installs or removes one agent integration. */
export async function runSetup(ctx: CommandContext): Promise<number> {
  const target = targetOf(ctx);
  const uninstall = ctx.values.uninstall === true;
  const dryRun = ctx.values["dry-run"] === true;
  const home = homeDirectory();
  if (!home) throw new Error("Cannot find the home folder: set HOME");
  const options: SetupOptions = { home, env: envGet, command: commandWords(ctx), uninstall };
  if (ctx.common.basePath !== undefined) options.basePath = resolveBasePath(ctx.common.basePath);
  const plan = planSetup(target, options);
  if (!dryRun) await applyPlan(plan);
  const changed = plan.changes.length > 0;
  const status: Status = changed
    ? (uninstall ? "uninstalled" : "installed")
    : (uninstall ? "not_installed" : "already_installed");
  const changes = plan.changes.map((c) => ({
    path: c.path,
    change: changeKind(c),
    what: c.what,
    ...(dryRun ? { diff: changeDiff(c) } : {}),
  }));
  ctx.out.result(
    {
      target,
      action: plan.action,
      status,
      dry_run: dryRun,
      command: uninstall ? null : options.command,
      changes,
      notes: changed ? plan.notes : [],
    },
    () => {
      if (dryRun) {
        if (!changed) return nothingToDo(target, uninstall);
        return [planDiff(plan).trimEnd(), "", `(dry run: nothing was written)`];
      }
      if (!changed) return nothingToDo(target, uninstall);
      const verb = { create: "created", modify: "modified", remove: "removed" } as const;
      return [
        `WeiLink ${uninstall ? "removed from" : "installed for"} ${target}:`,
        ...changes.map((c) => `  ${verb[c.change]} ${c.path} (${c.what})`),
        ...(uninstall ? [] : [`  WeiLink starts as: ${options.command.map(shellQuote).join(" ")}`]),
        "",
        ...plan.notes.map((n) => `  ${n}`),
      ];
    },
  );
  return 0;
}

function nothingToDo(target: SetupTarget, uninstall: boolean): string {
  return uninstall
    ? `WeiLink is not installed for ${target}: nothing to remove.`
    : `WeiLink is already installed for ${target}: nothing to change.`;
}
