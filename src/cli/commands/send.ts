/**
 * `weilink send TO [--text] [--image] [--file [--file-name]] [--video] [--voice]`.
 *
 * Exits with status 1 when the send failed (the original exited 0).
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { withClient } from "../open_client.ts";
import { UsageError } from "../flags.ts";
import { dataDirectoryOf, describeFailure } from "../cli_errors.ts";
import { program } from "../invocation.ts";
import { uploadProgressFetch } from "../transfer_progress.ts";

const MEDIA_FLAGS = ["image", "file", "video", "voice"] as const;
type MediaFlag = typeof MEDIA_FLAGS[number];

/** Checks that a media path names a readable regular file; returns its size. */
async function fileSize(flag: string, path: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot send --${flag} '${path}': no such file`);
    }
    throw new Error(`Cannot send --${flag} '${path}': ${(error as Error).message}`);
  }
  if (!info.isFile) throw new Error(`Cannot send --${flag} '${path}': not a regular file`);
  return info.size;
}

function baseName(path: string): string {
  return path.replaceAll("\\", "/").split("/").filter(Boolean).pop() ?? path;
}

/** Sends text and/or media to one user; prints the result and the remaining quota. */
export async function runSend(ctx: CommandContext): Promise<number> {
  const { out, values } = ctx;
  const to = ctx.positionals[0] as string;
  const str = (name: string) => (typeof values[name] === "string" ? values[name] : undefined);
  const text = str("text");
  const media: Partial<Record<MediaFlag, string>> = {};
  for (const flag of MEDIA_FLAGS) {
    const path = str(flag);
    if (path !== undefined) media[flag] = path;
  }
  if (text === undefined && Object.keys(media).length === 0) {
    throw new UsageError("At least one of --text, --image, --file, --video, --voice is required");
  }
  if (text === "") throw new UsageError("Invalid --text: the text is empty");
  const fileName = str("file-name");
  if (fileName !== undefined && media.file === undefined) {
    throw new UsageError("--file-name needs --file");
  }
  // Check every file before sending anything, so a typo does not leave a half-sent message.
  const uploads: { label: string; size: number }[] = [];
  for (const flag of MEDIA_FLAGS) {
    const path = media[flag];
    if (path === undefined) continue;
    const name = flag === "file" && fileName !== undefined ? fileName : baseName(path);
    uploads.push({ label: `Uploading ${name}`, size: await fileSize(flag, path) });
  }
  const progress = { quiet: out.quiet, write: (t: string) => out.stderr(t) };
  // Why a send failed, in the CLI's words (which command to run next, which flag is missing).
  const failure = (error: unknown) =>
    describeFailure(error, program(), dataDirectoryOf(ctx.common.basePath));

  let result;
  try {
    result = await withClient(ctx.common, (client) =>
      client.send(to, {
        ...(text !== undefined ? { text } : {}),
        ...(media.image !== undefined ? { image: { path: media.image } } : {}),
        ...(media.file !== undefined
          ? { file: { path: media.file }, fileName: fileName ?? baseName(media.file) }
          : {}),
        ...(media.video !== undefined ? { video: { path: media.video } } : {}),
        ...(media.voice !== undefined ? { voice: { path: media.voice } } : {}),
      }), { fetch: uploadProgressFetch(progress, uploads) });
  } catch (error) {
    // Refused before anything went out (no context token, quota, text too long, not logged in).
    out.error(`Send failed: ${failure(error)}`, {
      success: false,
      message_ids: [],
      remaining: null,
    });
    return 1;
  }

  if (!result.success) {
    const why = result.cause ? failure(result.cause) : result.error ?? "unknown error";
    out.error(`Send failed: ${why}`, {
      success: false,
      message_ids: result.messageIds,
      remaining: result.remaining,
    });
    return 1;
  }
  out.result(
    { success: true, message_ids: result.messageIds, remaining: result.remaining },
    () => {
      const quota = result.remaining === null ? "" : ` (${result.remaining} replies left)`;
      return `Message sent${quota}.`;
    },
  );
  return 0;
}
