/**
 * The bot of README.md's "Testing your own bot", as a program: `permissions_test.ts` runs it
 * under the SDK's least-privilege flags while the test plays the sandbox's phone. It reads its
 * settings from the environment (`WEILINK_BASE_URL`, `WEILINK_CDN_BASE_URL`, the data directory
 * from `HOME`), and prints one line per step for the test to follow:
 *
 * - `QR`: waiting for the scan; the test confirms the login.
 * - `READY`: logged in; the test injects "hi".
 * - `ECHOED`: answered "echo: hi"; the test injects an image.
 * - `MEDIA`: sent the image back (downloaded from the CDN, uploaded again); then it exits.
 *
 * With the message store on, so that `node:sqlite` runs under the same flags.
 *
 * @module
 */

import { WeiLink } from "../../mod.ts";

const step = (line: string) => console.log(line);

await using wl = new WeiLink({ messageStore: true });
await wl.login({ onQr: () => step("QR") });
step("READY");

const [msg] = await wl.recv({ timeout: 10 });
const echoed = await wl.send(msg!.fromUser, { text: `echo: ${msg!.text}` });
if (!echoed.success) throw new Error(`Cannot echo: ${echoed.error}`);
step("ECHOED");

const [withImage] = await wl.recv({ timeout: 10 });
const image = await wl.download(withImage!);
const returned = await wl.send(withImage!.fromUser, { image });
if (!returned.success) throw new Error(`Cannot send the image back: ${returned.error}`);
step("MEDIA");
