/**
 * The phone page's view of the chats: each bot's messages in and out as chat events, who is
 * typing, whether the bot is online, and a long poll that ends at the first news.
 *
 * @module
 */

import type { BotRecord, ChatEvent } from "./bot_record.ts";
import { WakeList } from "./wake_list.ts";

/** A typing indicator lapses after this long without keep-alive (the client renews every 5 s). */
const TYPING_LAPSE_MS = 8000;

/** What one poll of the phone page gets for a bot. */
export interface ChatPage {
  /** Chat events from the index asked for on. */
  events: ChatEvent[];
  /** Users the bot is typing to right now. */
  typing: string[];
  /** Whether the bot announced `notifystart` last. */
  online: boolean;
}

/** Chat events of every bot, and the pages waiting for them. */
export class ChatView {
  readonly #wake = new WakeList();

  /** Appends an event to the bot's chat and wakes waiting pages. */
  add(bot: BotRecord, event: Omit<ChatEvent, "index">): void {
    bot.chat.push({ index: bot.chat.length, ...event });
    this.#wake.wake();
  }

  /** Wakes waiting pages: something they show changed (typing, presence, bots). */
  changed(): void {
    this.#wake.wake();
  }

  /**
   * The chat events of the bot `find` returns, from index `since` on, and who is typing. Waits up
   * to `waitMs` for news so the page can long-poll; undefined once the bot is gone.
   */
  async poll(
    find: () => BotRecord | undefined,
    since: number,
    waitMs: number,
    closing: AbortSignal,
  ): Promise<ChatPage | undefined> {
    const deadline = Date.now() + waitMs;
    let woken = false;
    while (true) {
      const bot = find();
      if (!bot) return undefined;
      const events = bot.chat.slice(Math.max(0, since));
      const left = deadline - Date.now();
      // Any activity (typing, presence) ends the wait, so the page's indicators stay current.
      if (events.length > 0 || woken || left <= 0 || closing.aborted) {
        const now = Date.now();
        const typing = [...bot.typing].filter(([, at]) => now - at < TYPING_LAPSE_MS)
          .map(([u]) => u);
        return { events, typing, online: bot.online };
      }
      woken = (await this.#wake.wait(left, closing)) === "wake";
    }
  }
}
